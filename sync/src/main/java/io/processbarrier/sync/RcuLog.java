package io.processbarrier.sync;

/**
 * The logger of {@link Rcu} ({@code io.processbarrier.sync.Rcu}), created on first use in a holder class (the first
 * {@code System.Logger} of a JVM costs tens of milliseconds).
 *
 * <p><b>Fault model.</b> {@link #error} survives anything the logger or a handler throws (an {@link Error}
 * included): reclamation must not depend on logging. The creation of the logger itself is not guarded here.
 */
final class RcuLog {
    static final System.Logger LOGGER = System.getLogger(Rcu.class.getName());

    /** Logs; a logger or handler that throws (anything) is survived: reclamation must not depend on logging. */
    static void error(String message, Throwable t) {
        try {
            LOGGER.log(System.Logger.Level.ERROR, message, t);
        } catch (Throwable ignored) {
            // nothing to do: the log is broken, reclamation goes on
        }
    }
}
