package io.processbarrier;

/** Thrown when a barrier cannot be selected, created or completed. The message says what to do. */
public class ProcessBarrierException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ProcessBarrierException(String message) {
        super(message);
    }

    public ProcessBarrierException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The message chain of {@code t} in one line, for tables and logs. */
    public static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
            if (sb.indexOf(m) >= 0) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(m);
        }
        return sb.toString();
    }
}
