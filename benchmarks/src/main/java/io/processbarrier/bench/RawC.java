package io.processbarrier.bench;

/**
 * The C baseline's barriers (src/main/c-baseline/pbbaseline.c built with -DPB_JNI), loaded from the file named by
 * {@code -Dpb.bench.rawc=FILE} (run.sh builds it). Only for RawCBench: the signal one installs its own handler on
 * the provider's default signal, so it must not share a JVM with the signal provider.
 */
final class RawC {
    static final String LIBRARY_PROPERTY = "pb.bench.rawc";

    private RawC() {
    }

    /** 0 membarrier, 1 mprotect, 2 signal. */
    static int op(String provider) {
        switch (provider) {
            case "membarrier": return 0;
            case "mprotect": return 1;
            case "signal": return 2;
            default: throw new IllegalArgumentException("no raw C barrier for provider " + provider
                    + ": use membarrier, mprotect or signal");
        }
    }

    static void load() {
        String file = System.getProperty(LIBRARY_PROPERTY);
        if (file == null) {
            throw new IllegalStateException("-D" + LIBRARY_PROPERTY + "=FILE is not set: RawCBench needs the C "
                    + "baseline built as a JNI library (benchmarks/run.sh ratio does it)");
        }
        System.load(file);
    }

    /** Registers for membarrier, maps the page, or installs the handler; exits the JVM with a message on failure. */
    static native void setup(int op);

    /** One barrier; exits the JVM with a message on failure (a baseline, not the library). */
    static native void barrier(int op);
}
