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

    /** What {@link #error(int, int, Throwable)} says: the texts live inside its guard (see the fault model). */
    static final int START_FAILED = 0;
    static final int GRACE_PERIOD_FAILED = 1;
    static final int HELPER_GRACE_PERIOD_FAILED = 2;
    static final int RETIRE_THREAD_DIED = 3;

    /**
     * Logs one of the retire side's failures at {@code ERROR}; never throws. The message text is chosen here, inside
     * the guard: a string literal is resolved (allocated) the first time its code runs, which on a full heap is
     * when an error path first runs, so an error path that names its literal outside the guard can throw.
     */
    static void error(int id, int what, Throwable t) {
        try {
            String m;
            switch (what) {
                case START_FAILED:
                    m = ": could not start the retire thread; a later retire() tries again; meanwhile retire(), "
                            + "barrier() and close() reclaim on their own thread; nothing retired is lost";
                    break;
                case GRACE_PERIOD_FAILED:
                    m = " retire thread: a grace period failed; retrying, nothing is lost";
                    break;
                case HELPER_GRACE_PERIOD_FAILED:
                    m = ": a grace period failed while a caller reclaimed; retried later, nothing is lost";
                    break;
                default:
                    m = ": the retire thread died; the next retire(), barrier() or startPoll() starts another";
                    break;
            }
            logger().log(System.Logger.Level.ERROR, "Rcu#" + id + m, t);
        } catch (Throwable ignored) {
            // nothing to do: the log (or the heap) is broken, reclamation goes on
        }
    }

    /** Logs {@code "Rcu#" + id + what} at {@code ERROR}; never throws (pass a string that already exists). */
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
