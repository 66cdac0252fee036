package io.processbarrier.signal;

import io.processbarrier.testsupport.ChildProcess;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test-only natives (src/test/c/signal_test_hooks.c), compiled with gcc on first use into target/: blocking a signal
 * in one thread and installing a foreign handler are what the tests need and the shipped library must not offer.
 */
final class TestHooks {
    static {
        try {
            Path src = Path.of("src/test/c/signal_test_hooks.c").toAbsolutePath();
            Path lib = Path.of("target/libsignal_test_hooks.so").toAbsolutePath();
            Path include = Path.of(System.getProperty("java.home"), "include");
            ChildProcess.Result gcc = ChildProcess.tool("gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror",
                    "-Wno-unused-parameter", "-I" + include, "-I" + include.resolve("linux"), "-o", lib.toString(),
                    src.toString());
            if (gcc.exit() != 0 || !Files.exists(lib)) {
                throw new IllegalStateException("gcc could not build the test hooks:\n" + gcc);
            }
            System.load(lib.toString());
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TestHooks() {
    }

    /** The calling thread's kernel thread id. */
    static native int gettid();

    /** Blocks or unblocks {@code sig} in the calling thread only. */
    static native void block(int sig, boolean block);

    /** Installs a do-nothing handler on {@code sig}, as another library would, or restores SIG_DFL. */
    static native void setForeignHandler(int sig, boolean foreign);
}
