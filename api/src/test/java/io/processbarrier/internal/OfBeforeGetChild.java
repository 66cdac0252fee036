package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;

import java.util.concurrent.CountDownLatch;

/**
 * A fresh JVM: {@code of(name)} hands out an asymmetric barrier before the first {@code get()}, whose selection is then
 * held: a reader of the first may use its compiler-barrier light() while a writer uses the window barrier, so the
 * window barrier's heavy() must run a system barrier (the created one's), not only its own fence. Prints
 * {@code deferred}, {@code settled}, {@code barriersBefore}, {@code barriersAfter} (system barriers of the provider).
 */
public final class OfBeforeGetChild {
    private OfBeforeGetChild() {
    }

    public static void main(String[] args) {
        CountDownLatch hold = new CountDownLatch(1);
        BackgroundSelection.holdForTest = hold;
        ProcessBarrier early = ProcessBarrier.of("service-good");
        ProcessBarrier d = ProcessBarrier.get();
        System.out.println("deferred=" + (d instanceof DeferredBarrier));
        System.out.println("settled=" + ((DeferredBarrier) d).isSettled());
        TestProviders.ServiceGood p = TestProviders.ServiceGood.last;
        System.out.println("early=" + early.isAsymmetric());
        System.out.println("barriersBefore=" + p.barriers.get());
        d.heavy();
        System.out.println("barriersAfter=" + p.barriers.get());
        hold.countDown();
    }
}
