package io.processbarrier.sync;

/**
 * The logger of {@link Rcu} ({@code io.processbarrier.sync.Rcu}), created on first use (the first
 * {@code System.Logger} of a JVM costs tens of milliseconds, hundreds under some backends).
 *
 * <p><b>Fault model.</b> {@link #error} and {@link #callbackFailed} never throw: the logger's creation, the
 * building of the message (which allocates: it fails on a full heap) and the logging itself (a handler that throws
 * anything) all happen inside the guard, so reclamation never depends on logging; a record that cannot be built
 * or logged is lost. Stall warnings are not logged from here but through {@link StallWarnings}, which never
 * creates the logger on a waiting thread.
 */
final class RcuLog {
    private static final String NAME = Rcu.class.getName();
    /** The logger once created (racy: two threads may both create it, which is harmless). */
    private static volatile System.Logger logger;

    private RcuLog() {
    }

    /** The logger, created here if nobody did yet; may throw whatever its creation throws. */
    static System.Logger logger() {
        System.Logger l = logger;
        if (l == null) {
            l = System.getLogger(NAME);
            logger = l;
        }
        return l;
    }

    /** Logs {@code "Rcu#" + id + what} at {@code ERROR}; never throws. */
    static void error(int id, String what, Throwable t) {
        try {
            logger().log(System.Logger.Level.ERROR, "Rcu#" + id + what, t);
        } catch (Throwable ignored) {
            // nothing to do: the log (or the heap) is broken, reclamation goes on
        }
    }

    /** Logs a retire callback that threw; never throws (the message is built inside the guard). */
    static void callbackFailed(Object reclaim, Object object, Throwable t) {
        try {
            logger().log(System.Logger.Level.ERROR, "Rcu retire callback " + reclaim.getClass().getName()
                    + " threw for an object of " + object.getClass().getName() + "; the other callbacks still run", t);
        } catch (Throwable ignored) {
            // nothing to do: the log (or the heap) is broken, the other callbacks run
        }
    }
}
