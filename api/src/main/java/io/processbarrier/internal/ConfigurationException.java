package io.processbarrier.internal;

import io.processbarrier.ProcessBarrierException;

/**
 * A {@code processbarrier.*} property has a value that breaks the rule of {@link
 * io.processbarrier.internal.support.Settings}. Not a reason to fall back quietly: selection throws it from the first
 * {@code get()} or {@code of()}.
 */
public final class ConfigurationException extends ProcessBarrierException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    /** The first one in {@code t} and its causes, or null. */
    static ConfigurationException in(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConfigurationException) {
                return (ConfigurationException) c;
            }
        }
        return null;
    }
}
