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
}
