package io.processbarrier.spi;

import io.processbarrier.ProcessBarrier;

/**
 * A way to implement {@link ProcessBarrier#heavy()}, found with {@link java.util.ServiceLoader} on the class path
 * ({@code META-INF/services/io.processbarrier.spi.ProcessBarrierProvider}) and the module path
 * ({@code provides io.processbarrier.spi.ProcessBarrierProvider with ...}).
 *
 * <p>Selection takes the available provider with the highest {@link #priority()}. The project's providers use:
 * <table>
 *   <caption>Priorities</caption>
 *   <tr><th>priority</th><th>provider</th><th>cost of heavy() (one socket, Linux)</th></tr>
 *   <tr><td>{@value #PRIORITY_MEMBARRIER_PRIVATE_EXPEDITED}</td><td>membarrier, PRIVATE_EXPEDITED</td><td>microseconds (IPIs)</td></tr>
 *   <tr><td>{@value #PRIORITY_MEMBARRIER_GLOBAL_EXPEDITED}</td><td>membarrier, GLOBAL_EXPEDITED</td><td>microseconds (IPIs)</td></tr>
 *   <tr><td>{@value #PRIORITY_MPROTECT}</td><td>mprotect (TLB shootdown, x86_64 only)</td><td>tens of microseconds</td></tr>
 *   <tr><td>{@value #PRIORITY_SIGNAL}</td><td>signal to every thread</td><td>tens of microseconds to milliseconds</td></tr>
 *   <tr><td>{@value #PRIORITY_MEMBARRIER_GLOBAL}</td><td>membarrier, GLOBAL (RCU grace period)</td><td>milliseconds</td></tr>
 *   <tr><td>{@value #PRIORITY_FENCE}</td><td>fence (built in, symmetric)</td><td>nanoseconds, but light() is a full fence too</td></tr>
 * </table>
 *
 * <p>Implementations must have a public no-argument constructor that does no work: everything that can fail
 * (loading natives, asking the kernel) belongs in {@link #probe()}. Whatever a provider throws, from its
 * constructor, {@code probe()} or {@code create()}, makes it an unavailable entry with that cause; it never breaks
 * selection.
 */
public interface ProcessBarrierProvider {

    int PRIORITY_MEMBARRIER_PRIVATE_EXPEDITED = 400;
    int PRIORITY_MEMBARRIER_GLOBAL_EXPEDITED = 390;
    int PRIORITY_MPROTECT = 300;
    int PRIORITY_SIGNAL = 200;
    int PRIORITY_MEMBARRIER_GLOBAL = 100;
    int PRIORITY_FENCE = 0;

    /** A short lowercase name, unique among providers, used by {@code processbarrier.provider}. */
    String name();

    /**
     * Checks whether this provider works here: OS, architecture, natives, kernel support. Called once per process
     * by the selector, which caches the answer. Must not throw; if it does, the throwable is the cause.
     */
    Availability probe();

    /** The priority; may depend on what {@link #probe()} found (called after it). */
    int priority();

    /**
     * Creates the barrier. Called at most once per process, only after {@link #probe()} said available; may do
     * one-off expensive work such as a kernel registration. May throw: the provider then becomes unavailable.
     */
    ProcessBarrier create();
}
