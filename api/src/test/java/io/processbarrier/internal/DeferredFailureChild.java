package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;

/**
 * A fresh JVM whose background selection throws an Error (the test provider service-good's probe): the deferred
 * barrier stays a fence, the next get() selects on its caller and throws the same Error there, and once the cause is
 * gone a later get() selects. Prints {@code deferred}, {@code firstName}, {@code firstAsymmetric}, {@code second},
 * {@code third}.
 */
public final class DeferredFailureChild {
    private DeferredFailureChild() {
    }

    public static void main(String[] args) {
        TestProviders.ServiceGood.probeError = new OutOfMemoryError("the test's error in selection");
        ProcessBarrier first = ProcessBarrier.get();
        System.out.println("deferred=" + (first instanceof DeferredBarrier));
        System.out.println("firstName=" + first.name()); // waits for the selection, which fails
        System.out.println("firstAsymmetric=" + first.isAsymmetric());
        first.light();
        first.heavy(); // a fence on both sides, for good
        try {
            System.out.println("second=" + ProcessBarrier.get().name());
        } catch (Throwable t) {
            System.out.println("second=" + t);
        }
        TestProviders.ServiceGood.probeError = null;
        System.out.println("third=" + ProcessBarrier.get().name());
        System.out.println("firstStill=" + first.isAsymmetric() + " " + first);
    }
}
