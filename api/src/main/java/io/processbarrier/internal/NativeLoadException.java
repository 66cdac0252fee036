package io.processbarrier.internal;

import io.processbarrier.ProcessBarrierException;

/**
 * The native library could not be found, extracted, loaded or bound: a misconfiguration the user can fix (a missing
 * natives jar, a refused directory, denied native access), unlike a kernel that lacks a feature. A provider that is
 * unavailable for this reason makes a fallback worth a WARNING (Selector).
 */
final class NativeLoadException extends ProcessBarrierException {
    private static final long serialVersionUID = 1L;

    NativeLoadException(String message) {
        super(message);
    }

    NativeLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
