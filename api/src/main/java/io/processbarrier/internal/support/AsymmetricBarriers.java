package io.processbarrier.internal.support;

import io.processbarrier.ProcessBarrier;

/**
 * Every asymmetric barrier this copy of the library has created, published before anyone is given it: what a
 * {@link DeferredBarrier} whose selection has not settled calls in its {@code heavy()}, so that it also orders a reader
 * whose {@code light()} is a compiler barrier only because it holds a barrier obtained another way ({@code of(name)}
 * or {@code providers()} before the first {@code get()}, or a later {@code get()} after a failed background selection).
 * Any one of them suffices: each one's {@code heavy()} makes every thread of the process execute a barrier.
 */
public final class AsymmetricBarriers {
    /** Copy-on-write, in order of creation; volatile: read without a lock by {@link DeferredBarrier#heavy()}. */
    private static volatile ProcessBarrier[] created = new ProcessBarrier[0];

    private AsymmetricBarriers() {
    }

    /** Called by selection once per barrier, after creating it and before returning it to anyone. */
    public static synchronized void add(ProcessBarrier b) {
        ProcessBarrier[] c = created;
        ProcessBarrier[] n = java.util.Arrays.copyOf(c, c.length + 1);
        n[c.length] = b;
        created = n; // volatile: published before the barrier is handed out (see DeferredBarrier)
    }

    /** The first created, or null when there is none yet. */
    static ProcessBarrier first() {
        ProcessBarrier[] c = created;
        return c.length == 0 ? null : c[0];
    }
}
