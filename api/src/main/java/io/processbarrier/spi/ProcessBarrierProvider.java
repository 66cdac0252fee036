package io.processbarrier.spi;

/**
 * A way to implement {@link io.processbarrier.ProcessBarrier#heavy()}: a name, a priority, a probe, and the system
 * barrier itself. Found with {@link java.util.ServiceLoader} on the class path
 * ({@code META-INF/services/io.processbarrier.spi.ProcessBarrierProvider}) and the module path
 * ({@code provides io.processbarrier.spi.ProcessBarrierProvider with ...}).
 *
 * <p>The api does the rest, the same for every provider: the caller's own fences around {@link #barrier()},
 * {@code light()}, sharing one barrier among concurrent {@code heavy()} callers (the protocol and its correctness
 * argument are in {@code docs/coalescing.md}), batching for a provider that asks for it, configuration and
 * selection. Selection takes the available provider with the highest {@link #priority()}; ties break by name.
 *
 * <p>The life of a provider, once per copy of ProcessBarrier in a JVM: a public no-argument constructor that does no
 * work; {@link #priority()} and {@link #probe()} when selection looks at it (in priority order, so a provider below
 * an available one may never be probed); {@link #prepare()} once, if it is used; then {@link #barrier()} for every
 * system barrier. Whatever a provider throws from its constructor, {@code probe()} or {@code prepare()} makes it an
 * unavailable entry with that cause; it never breaks selection.
 *
 * <p>A minimal provider:
 * <pre>{@code
 * public final class FlushProvider implements ProcessBarrierProvider {
 *     public String name() { return "flush"; }
 *     public int priority() { return 250; }
 *     public Availability probe() {
 *         return isWindows() ? Availability.available("FlushProcessWriteBuffers")
 *                            : Availability.unavailable("Windows only");
 *     }
 *     public void barrier() { Native.flushProcessWriteBuffers(); }
 * }
 * }</pre>
 */
public interface ProcessBarrierProvider {

    /** A short lowercase name, unique among providers, used by {@code processbarrier.provider}. */
    String name();

    /**
     * Higher is preferred. Asked before {@link #probe()}, where it is the best this provider can offer (selection
     * probes in that order), and after it, where it may be lower (what the probe found, e.g. only a slow command).
     * The project's own providers use 100 to 400 (see the README); {@code fence}, the fallback, has 0.
     */
    int priority();

    /**
     * Whether this provider works here, and if not, why, with a cause that says what the user can do. Answers from
     * what can be learnt without changing the process: it may load the native library and ask the kernel, but must
     * not register with it, install handlers or start threads ({@link #prepare()} does). Called at most once.
     */
    Availability probe();

    /**
     * One-off work before the first barrier, such as a kernel registration or installing a signal handler. Called
     * once, after {@link #probe()} said available, only if the provider is used. May throw: the provider is then
     * unavailable with that cause.
     */
    default void prepare() {
    }

    /**
     * For a provider whose {@link #prepare()} leaves work running in the background (membarrier's registration, so
     * that {@code get()} need not wait for it): {@code null} when there is none or it is done and succeeded; else one
     * line that says what still runs or how it ended, e.g. {@code "registering in the background"}, or
     * {@code "registration failed (EPERM): heavy() uses MEMBARRIER_CMD_GLOBAL"}. With {@code await}, it first waits
     * until that work has ended (what {@code providers()} does, to report exactly), uninterruptibly (the interrupt
     * status is kept). Never throws. Default: {@code null}.
     */
    default String preparation(boolean await) {
        return null;
    }

    /**
     * The system barrier: returns once every other thread of the process has executed a full memory barrier at some
     * point after this call began. Throws {@link io.processbarrier.ErrnoException} when a system call fails, or
     * another {@link io.processbarrier.ProcessBarrierException} (a timeout), never silently returns early. The api
     * calls it one thread at a time while coalescing (the default), concurrently when coalescing is off: it must be
     * thread-safe either way.
     */
    void barrier();

    /**
     * Whether concurrent callers should be gathered into batches: the api holds the next barrier open (for at most
     * what one barrier costs) until the callers the last one served have come back. That pays for a barrier whose
     * cost does not depend on what the other threads do, such as one that signals every thread; not for one that
     * interrupts only the CPUs running this process (membarrier, mprotect), where callers kept running to join a
     * batch are more CPUs to interrupt. Default {@code false}.
     */
    default boolean formsBatches() {
        return false;
    }
}
