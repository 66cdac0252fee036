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
     * {@code processbarrier.coalesce=false} gives every {@link #heavy()} call a system barrier of its own; by default
     * concurrent callers share them. Read once, when the barrier is created.
     */
    public static final String COALESCE_PROPERTY = "processbarrier.coalesce";

    private final Coalescer coalescer =
            new Coalescer(this, !"false".equalsIgnoreCase(System.getProperty(COALESCE_PROPERTY, "true").trim()));

    /**
     * The caller's own fences make the caller's side of the contract independent of how the provider reaches the
     * other threads (a syscall, a page fault, a signal); they cost nanoseconds against microseconds.
     *
     * <p>Concurrent callers share system barriers: a caller that arrives while a barrier is in flight waits for the
     * next one to start and complete, which serves every caller that arrived meanwhile (one {@link #barrier()} for
     * many {@code heavy()} calls). A barrier that started after the call and completed before the return gives the
     * same guarantee as one the caller ran itself; the argument and the handling of failures are in
     * {@code Coalescer}. A lone caller runs its own barrier at once.
     */
    @Override
    public final void heavy() {
        VarHandle.fullFence();
        coalescer.await(); // ends with a full fence on every path
    }

    /**
     * How many times {@link #barrier()} has been called by {@link #heavy()} on this instance (failed calls
     * included): with concurrent callers, fewer than the {@code heavy()} calls. For benchmarks and diagnostics.
     * -1 when coalescing is off: every {@code heavy()} call then runs exactly one, and nothing is counted (so
     * that the uncoalesced path stays exactly what it was).
     */
    public final long barriersExecuted() {
        return coalescer.barriersExecuted();
    }

    /** Whether concurrent {@link #heavy()} calls share barriers (see {@link #COALESCE_PROPERTY}). */
    public final boolean isCoalescing() {
        return coalescer.enabled();
    }

    /**
     * Makes every other thread of the process execute a full memory barrier before returning. Called by one thread
     * at a time while coalescing (the default), concurrently when it is off: must be thread-safe either way.
     */
    protected abstract void barrier();

    /**
     * Whether concurrent callers should be gathered into batches: a leader holds the next barrier open (for at most
     * what one barrier costs) until the callers the last one served have come back, so that one barrier serves all
     * of them. That pays for a barrier whose cost does not depend on what the other threads do, such as one that
     * signals every thread (about 100 us here, whoever is running: batches of 8 instead of 4 double the
     * throughput). It does not for one that interrupts only the CPUs running this process (membarrier, mprotect):
     * callers kept running to join a batch are more CPUs to interrupt, and a barrier with no running thread to
     * reach costs less than the wait (measured here: a third to a sixth of the throughput). Default {@code false}.
     */
    protected boolean formsBatches() {
        return false;
    }

    @Override
    public final boolean isAsymmetric() {
        return true;
    }

    @Override
    public String toString() {
        return "ProcessBarrier[" + name() + "]";
    }
}
