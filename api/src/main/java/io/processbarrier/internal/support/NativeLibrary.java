package io.processbarrier.internal.support;

import io.processbarrier.internal.NativeLoader;

/**
 * The one native library ({@code libprocessbarrier.so}) that holds the JNI code of every provider, loaded once per
 * process from the natives jar of the running architecture.
 *
 * <p>System properties: {@code processbarrier.native.path} loads that file instead of the jar's;
 * {@code processbarrier.native.dir} extracts into that directory instead of
 * {@code ${java.io.tmpdir}/processbarrier-<uid>}. The directory must belong to the current user and be
 * writable by nobody else; the extracted file is verified against the SHA-256 shipped in the jar.
 */
public final class NativeLibrary {
    private NativeLibrary() {
    }

    /**
     * Loads the library if not yet loaded, then binds the native methods of {@code group} (the provider's C file:
     * its {@code PB_GROUP} name) to {@code natives}, the class that declares them. Binding goes through the library
     * ({@code RegisterNatives}), not through {@code Java_*} symbol names, so a relocated (shaded) copy binds too.
     * Idempotent and thread-safe; a failure to load is remembered and reported again.
     *
     * @throws io.processbarrier.ProcessBarrierException with a message that says what is missing and what to do
     */
    public static void load(Class<?> natives, String group) {
        NativeLoader.system().bindNatives(natives, group);
    }

    /** The natives platform of this JVM ({@code linux-x86_64}, {@code linux-aarch64}), or why there is none. */
    public static String platform() {
        return NativeLoader.platform(System.getProperty("os.name"), System.getProperty("os.arch"));
    }
}
