package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.internal.Selector;

/** Obtaining the barrier under test, with or without coalescing, and failing loudly if that is impossible. */
final class Barriers {
    private Barriers() {
    }

    /**
     * The barrier of {@code provider}, with coalescing as asked. The coalescing switch is read when the barrier is
     * created, once per JVM: run every benchmark that sets it in its own fork (JMH's default), never with -f 0.
     */
    static ProcessBarrier of(String provider, boolean coalesce) {
        System.setProperty(Selector.COALESCE_PROPERTY, String.valueOf(coalesce));
        ProcessBarrier b = ProcessBarrier.of(provider);
        if (b instanceof AsymmetricProcessBarrier && ((AsymmetricProcessBarrier) b).isCoalescing() != coalesce) {
            throw new IllegalStateException(provider + " was created earlier in this JVM with coalescing "
                    + (coalesce ? "off" : "on") + ": run each configuration in a fresh fork (-f 1 or more)");
        }
        return b;
    }

    /** System barriers run so far by {@code b} (0 for the symmetric fence; -1 if it does not count them). */
    static long executed(ProcessBarrier b) {
        return b instanceof AsymmetricProcessBarrier ? ((AsymmetricProcessBarrier) b).barriersExecuted() : 0;
    }
}
