package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.lang.invoke.VarHandle;

/**
 * Every asymmetric barrier: a provider's system barrier with what the api adds around it, the same for all providers
 * (liburcu's one algorithm around one small function). {@link #light()} is defined here once, so that all providers
 * share the choice and the evidence behind it (see {@link ProcessBarrier}).
 */
public final class AsymmetricProcessBarrier implements ProcessBarrier {
    private final ProcessBarrierProvider provider;
    private final String name;
    private final Coalescer coalescer;

    /**
     * @param coalesce whether concurrent {@link #heavy()} callers share system barriers ({@code processbarrier.coalesce})
     */
    public AsymmetricProcessBarrier(ProcessBarrierProvider provider, boolean coalesce) {
        this(provider, coalesce, Coalescer.SPINS);
    }

    /** With another number of spins before a waiter parks: tests vary it to exercise the sleeping paths. */
    AsymmetricProcessBarrier(ProcessBarrierProvider provider, boolean coalesce, int spins) {
        this.provider = provider;
        this.name = provider.name();
        this.coalescer = new Coalescer(provider, coalesce, spins);
    }

    /**
     * {@code acquireFence} is a full compiler barrier in every HotSpot JIT and emits nothing on x86_64
     * ({@code dmb ishld} on aarch64, cheaper than {@code releaseFence}'s full {@code dmb ish}). The JMM itself
     * does not order a store before a later load here; the concurrent {@link #heavy()} does.
     */
    @Override
    public void light() {
        VarHandle.acquireFence();
    }

    /**
     * The caller's own fences make the caller's side of the contract independent of how the provider reaches the
     * other threads (a syscall, a page fault, a signal); they cost nanoseconds against microseconds. Concurrent
     * callers share system barriers: a call is served by any barrier that started after it arrived
     * ({@link Coalescer}, docs/coalescing.md). A lone caller runs its own barrier at once.
     */
    @Override
    public void heavy() {
        VarHandle.fullFence();
        coalescer.await(); // ends with a full fence on every path
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean isAsymmetric() {
        return true;
    }

    /**
     * How many system barriers {@link #heavy()} has started on this instance (failed ones included): with concurrent
     * callers, fewer than the {@code heavy()} calls. -1 when coalescing is off (then every call runs one, uncounted).
     * For benchmarks and diagnostics.
     */
    public long barriersExecuted() {
        return coalescer.barriersExecuted();
    }

    /** Whether concurrent {@link #heavy()} calls share barriers. */
    public boolean isCoalescing() {
        return coalescer.enabled();
    }

    Coalescer coalescer() {
        return coalescer;
    }

    /** {@code ProcessBarrier[membarrier]}, or with what its preparation still does, e.g. {@code registering}. */
    @Override
    public String toString() {
        String p;
        try {
            p = provider.preparation(false);
        } catch (RuntimeException e) {
            p = null;
        }
        return "ProcessBarrier[" + name + (p == null ? "" : ": " + p) + "]";
    }
}
