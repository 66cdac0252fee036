package io.processbarrier;

/**
 * What selection found out about one provider.
 *
 * @param name      the provider's name
 * @param priority  higher is preferred
 * @param available whether it can be used on this machine
 * @param detail    how it works here when available (e.g. the membarrier command), else a one-line reason
 * @param cause     why it is unavailable, or {@code null} when it is available
 * @param selected  whether {@link ProcessBarrier#get()} chose it
 */
public record ProviderStatus(String name, int priority, boolean available, String detail, Throwable cause,
                             boolean selected) {

    /** The cause as one line (message chain), or the empty string when available. */
    public String causeMessage() {
        return cause == null ? "" : ProcessBarrierException.describe(cause);
    }
}
