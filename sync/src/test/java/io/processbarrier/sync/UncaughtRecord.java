package io.processbarrier.sync;

/**
 * For the full-heap children: the default uncaught-exception handler records the first thread that dies and why,
 * allocating nothing when it runs; {@link #print()} writes {@code died=} and the trace.
 */
final class UncaughtRecord {
    private static volatile Throwable uncaught;
    private static volatile String uncaughtThread;

    private UncaughtRecord() {
    }

    static void install() {
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            uncaughtThread = t.getName();
            uncaught = e;
        });
    }

    static void print() {
        System.out.println("died=" + uncaughtThread);
        Throwable e = uncaught;
        if (e != null) {
            e.printStackTrace(System.out);
        }
    }
}
