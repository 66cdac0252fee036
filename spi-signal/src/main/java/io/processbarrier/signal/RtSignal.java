package io.processbarrier.signal;

/** The native half (src/main/c/signal.c). Methods throw {@link io.processbarrier.ErrnoException} on failure. */
final class RtSignal {
    /** {@link #disposition} and {@link #install} results; keep in sync with signal.c. */
    static final int DEFAULT = 0;
    static final int OURS = 1;
    static final int FOREIGN = 2;
    static final int IGNORED = 3;
    /** The handler of another copy of ProcessBarrier (a shaded copy, another class loader) that is alive. */
    static final int OTHER_COPY = 4;
    /** The handler of another copy whose class loader was unloaded: {@link #install} takes the signal over. */
    static final int ORPHANED_COPY = 5;

    private RtSignal() {
    }

    /** The C library's SIGRTMIN: the first real-time signal it leaves to applications. */
    static native int sigrtmin();

    static native int sigrtmax();

    /** Who handles {@code sig} now: {@link #DEFAULT}, {@link #OURS}, {@link #FOREIGN} or {@link #IGNORED}. */
    static native int disposition(int sig);

    /** The signal whose handler this process installed, or 0. */
    static native int installedSignal();

    /** The library file of the other copy of ProcessBarrier whose handler holds {@code sig}, or null. */
    static native String handlerFile(int sig);

    /**
     * Installs the handler if {@code sig} is at its default, or held by an orphaned copy; returns the disposition
     * found before.
     */
    static native int install(int sig);

    /**
     * One barrier over every other thread of the process.
     *
     * @return {@code null} when every thread acknowledged or exited; on timeout {@code {signalled, stuck tids...}};
     *         an empty array if no complete thread listing could be read before the timeout
     * @param skipBlocking leave out threads that block {@code sig} (only under user-mode emulation: see
     *                     {@link SignalProvider#SKIP_BLOCKING_PROPERTY})
     */
    static native int[] barrier(int sig, long timeoutNanos, boolean skipBlocking);

    /**
     * The threads a barrier would signal now (every thread but the caller), from a listing of /proc/self/task
     * that is known to be complete; {@code null} if none could be obtained within the timeout.
     */
    static native int[] listThreads(long timeoutNanos);
}
