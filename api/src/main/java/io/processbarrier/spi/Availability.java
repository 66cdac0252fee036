package io.processbarrier.spi;

import java.util.Objects;

/** The answer of {@link ProcessBarrierProvider#probe()}: available with a detail, or unavailable with a cause. */
public final class Availability {
    private final String detail;
    private final Throwable cause;

    private Availability(String detail, Throwable cause) {
        this.detail = detail;
        this.cause = cause;
    }

    /** @param detail how the provider will work here, e.g. {@code "MEMBARRIER_CMD_PRIVATE_EXPEDITED"} */
    public static Availability available(String detail) {
        return new Availability(Objects.requireNonNull(detail), null);
    }

    /** @param cause why not, with a message that says what the user can do about it */
    public static Availability unavailable(Throwable cause) {
        return new Availability(null, Objects.requireNonNull(cause));
    }

    public static Availability unavailable(String reason) {
        return unavailable(new UnsupportedOperationException(reason));
    }

    public boolean isAvailable() {
        return cause == null;
    }

    /** The detail when available, else {@code null}. */
    public String detail() {
        return detail;
    }

    /** The cause when unavailable, else {@code null}. */
    public Throwable cause() {
        return cause;
    }

    @Override
    public String toString() {
        return isAvailable() ? "available: " + detail : "unavailable: " + cause;
    }
}
