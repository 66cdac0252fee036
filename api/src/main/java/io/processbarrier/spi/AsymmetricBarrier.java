package io.processbarrier.spi;

import io.processbarrier.ProcessBarrier;

import java.lang.invoke.VarHandle;

/**
 * Base class of every asymmetric provider: {@link #light()} is defined once, here, so that all providers share
 * the choice (and the evidence behind it, see {@link ProcessBarrier}); a provider only implements
 * {@link #barrier()}.
 */
public abstract class AsymmetricBarrier implements ProcessBarrier {

    /**
     * {@code acquireFence} is a full compiler barrier in every HotSpot JIT and emits nothing on x86_64
     * ({@code dmb ishld} on aarch64, cheaper than {@code releaseFence}'s full {@code dmb ish}). The JMM itself
     * does not order a store before a later load here; the concurrent {@link #heavy()} does.
     */
    @Override
    public final void light() {
        VarHandle.acquireFence();
    }

    /**
     * The caller's own fences make the caller's side of the contract independent of how the provider reaches the
     * other threads (a syscall, a page fault, a signal); they cost nanoseconds against microseconds.
     */
    @Override
    public final void heavy() {
        VarHandle.fullFence();
        barrier();
        VarHandle.fullFence();
    }

    /** Makes every other thread of the process execute a full memory barrier before returning. */
    protected abstract void barrier();

    @Override
    public final boolean isAsymmetric() {
        return true;
    }

    @Override
    public String toString() {
        return "ProcessBarrier[" + name() + "]";
    }
}
