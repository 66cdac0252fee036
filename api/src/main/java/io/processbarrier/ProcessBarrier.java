package io.processbarrier;

import io.processbarrier.internal.BackgroundSelection;

import java.util.List;

/**
 * A process-wide memory barrier: an asymmetric pair of fences for read-mostly algorithms (RCU-style readers,
 * asymmetric locks, hazard pointers, biased locking), the JVM counterpart of Linux {@code membarrier(2)},
 * Windows {@code FlushProcessWriteBuffers} and .NET {@code Interlocked.MemoryBarrierProcessWide}.
 *
 * <h2>Memory-ordering contract</h2>
 * <ul>
 *   <li>{@link #heavy()}: when it returns, every thread of this process has executed a full memory barrier
 *       (StoreLoad included) at some point between the call and the return, and the calling thread has executed
 *       a full fence before and after. Consequently, in the store-buffering (Dekker) pattern
 *       <pre>
 *   reader:  x = 1; barrier.light(); r1 = y;
 *   writer:  y = 1; barrier.heavy(); r2 = x;
 *       </pre>
 *       the outcome {@code r1 == 0 && r2 == 0} is impossible: either the writer sees the reader's store, or the
 *       reader sees the writer's.</li>
 *   <li>{@link #light()}: for an {@linkplain #isAsymmetric() asymmetric} barrier, a compiler barrier only: it keeps
 *       the JIT from moving loads and stores across it and emits no hardware fence on x86_64 (on aarch64 it emits
 *       {@code dmb ishld}, the cheapest instruction HotSpot offers that is also a full compiler barrier). Its
 *       ordering power comes entirely from a concurrent {@code heavy()}. For a symmetric barrier (the
 *       {@code fence} fallback) it is a full fence, exactly like {@code heavy()}.</li>
 *   <li>Pairing {@code light()} with anything but {@code heavy()} gives no ordering at all: two readers that only
 *       call {@code light()} are not ordered with respect to each other.</li>
 *   <li><b>Access modes.</b> Around {@code light()}, use plain, opaque, release and acquire accesses
 *       ({@code VarHandle.setOpaque}/{@code getOpaque}, {@code setRelease}/{@code getAcquire}): {@code light()}
 *       supplies the one ordering they lack (a store before a later load) against a concurrent {@code heavy()}.
 *       Never {@code volatile} fields or read-modify-write operations on the reader's fast path: a volatile store
 *       is itself a full fence on x86_64 and aarch64, which is what {@code light()} exists to avoid (measured on a
 *       2-vCPU x86_64 VM, such a reader cost more than one with a plain {@code fullFence()}; see the README).</li>
 * </ul>
 *
 * <h2>What the Java memory model does and does not promise</h2>
 * The JMM has no notion of a process-wide barrier, nor of a compiler-only StoreLoad fence: formally, the only
 * fence that orders a store before a later load is {@link java.lang.invoke.VarHandle#fullFence()}.
 * {@code light()} relies on an implementation property of HotSpot instead: its JITs treat every
 * {@code VarHandle} fence intrinsic as a full compiler barrier (C2 puts a MemBar node across all memory slices,
 * C1 emits a membar LIR op, the interpreter executes bytecodes in order), so the store and the load of the
 * reader reach the hardware in program order, where the IPI-driven barrier of {@code heavy()} orders them.
 * This was verified with a store-buffering litmus test on HotSpot C2, C1 ({@code -XX:TieredStopAtLevel=1}) and
 * the interpreter ({@code -Xint}), JDK 17 and 25, x86_64; other JVMs (OpenJ9, Graal native image) are not
 * covered by that evidence. The {@code fence} provider makes no such assumption.
 *
 * <h2>Choosing</h2>
 * {@link #get()} picks the best available provider once per process (see
 * the README for the priorities) and falls back to {@code fence},
 * which is always correct. It probes providers in priority order and stops at the first available one, and leaves
 * off its caller's thread what can wait, so that it costs a framework little startup: the class-path scan for
 * providers other than the project's (selection waits for it whenever its answer could change), the DEBUG line of
 * its decision (a WARNING is written at once), and membarrier's registration; {@link #providers()} probes them all
 * and waits for all of it.
 *
 * <p><b>The selection window.</b> Without {@code processbarrier.*} settings, the first {@code get()} returns before
 * anything is chosen, in well under a millisecond of work: the choice (loading the providers, the natives, probing,
 * logging) runs on a daemon thread. The barrier it returns meanwhile fences on both sides; from the moment the
 * chosen barrier exists, its {@code light()} reads one field and is the chosen one's, and its {@code heavy()} is the
 * chosen one's. A writer that found no choice yet and a reader that already found one are still ordered: the
 * writer fenced before it looked, and the reader looked after the choice was published (the argument in full is in
 * the javadoc of {@code io.processbarrier.internal.support.DeferredBarrier}). Later {@code get()} calls return the
 * chosen barrier itself; sync's constructs exchange the first one for it on their writers' path. Every other
 * question ({@link #of}, {@link #providers()}, {@link #choice()}, {@link #isAvailable}, and that barrier's
 * {@code name()} and {@code isAsymmetric()}) waits for the choice in progress.
 *
 * <p><b>The registration window.</b> membarrier's {@code PRIVATE_EXPEDITED} needs a per-process registration that
 * waits for an RCU grace period (about 10 ms); it runs on a daemon thread, so {@code get()} may return before it is
 * done, and readers may call {@code light()} (a compiler barrier) from then on. A {@code heavy()} in that window
 * does not return before it can make every thread execute a barrier: it waits for the registration (or runs it, if
 * that thread has not) and then issues the registered command. If the registration fails after {@code get()}
 * returned, that {@code heavy()} and every later one use {@code MEMBARRIER_CMD_GLOBAL}, which returns only after every
 * CPU has passed an RCU grace period, so it orders every thread as the contract requires (milliseconds per call; a
 * WARNING says so); never a plain fence, which would leave those readers unordered. {@code toString()} of the barrier
 * and {@link #providers()} say whether the registration still runs or how it ended. Keep the result in a {@code static final} field so that the JIT inlines {@code light()} at every call
 * site (a barrier that the first {@code get()} returned before its selection was over keeps reading one field in
 * {@code light()}: where that load matters, take {@code get()} again once {@code name()} has returned). System properties: {@code processbarrier.provider=<name>} forces one provider (failing loudly if it is
 * unavailable), {@code processbarrier.exclude=<name,...>} skips some; names are matched without regard to case.
 *
 * <p>"Once per process" means once per copy of this library: a copy relocated by a shading plugin, or loaded by
 * another class loader, selects and loads its native library on its own, and gets the same provider.
 *
 * <p>Implementations are thread-safe; {@code heavy()} may be called from any number of threads at once.
 */
public interface ProcessBarrier {

    /**
     * Forces every thread of the process to execute a full memory barrier before this method returns.
     *
     * @throws ErrnoException if the underlying system call fails (never silently ignored)
     * @throws ProcessBarrierException if the barrier cannot be completed for another reason (e.g. a timeout)
     */
    void heavy();

    /**
     * The reader side: a compiler barrier for an asymmetric barrier, a full fence for a symmetric one.
     * Never blocks, never allocates, never throws.
     */
    void light();

    /** The provider's name, e.g. {@code membarrier}, {@code mprotect}, {@code signal}, {@code fence}. */
    String name();

    /** {@code true} if {@link #light()} is only a compiler barrier and {@link #heavy()} does the real work. */
    boolean isAsymmetric();

    /**
     * The process-wide default barrier, chosen once on first use. Without {@code processbarrier.*} settings the first
     * call returns at once and the choice is made on a library thread: what it returns meanwhile is a full fence on
     * both sides and takes the chosen barrier's fast {@code light()} when the choice is made (correct for every pair
     * from the first call on: see "The selection window" above); later calls return the chosen barrier itself. With
     * settings given, the caller chooses, so that what they make this method throw reaches it (unless they force
     * {@code fence} and nothing contradicts it: then nothing can fail).
     *
     * @throws ProcessBarrierException if {@code processbarrier.provider} forces a provider that is unknown or
     *                                 unavailable (the message lists every provider found and why)
     */
    static ProcessBarrier get() {
        return BackgroundSelection.get();
    }

    /**
     * The barrier of one specific provider, created once per process and shared.
     *
     * @throws ProcessBarrierException if no provider has that name, or it is unavailable here (with the cause)
     */
    static ProcessBarrier of(String name) {
        return BackgroundSelection.selector().barrier(name);
    }

    /**
     * Whether the named provider (any case) works here, as far as its probe can tell. Selects nothing, registers
     * nothing with the kernel and logs nothing (it may load the native library), like Netty's
     * {@code Epoll.isAvailable()}. Never throws for an unknown name: that provider is simply not available.
     */
    static boolean isAvailable(String name) {
        return BackgroundSelection.selector().availability(name).isAvailable();
    }

    /** Why the named provider is not available here ({@code null} if it is), without side effects (see {@link #isAvailable}). */
    static Throwable unavailabilityCause(String name) {
        return BackgroundSelection.selector().availability(name).cause();
    }

    /**
     * The name of the provider {@link #get()} chose or would choose, without choosing it: selects nothing, registers
     * nothing, logs nothing. A provider whose one-off preparation fails when {@code get()} runs it is found out only
     * by {@link #get()}, which then falls back to the next one (membarrier's registration runs after {@code get()}
     * returned: see the registration window above).
     *
     * @throws ProcessBarrierException whenever {@link #get()} would throw
     */
    static String choice() {
        return BackgroundSelection.selector().choice();
    }

    /**
     * Every provider found, in selection order, with its availability and whether {@link #get()} chose it. Probes
     * every provider (and so may load the native library and make {@link #get()}'s choice first).
     */
    static List<ProviderStatus> providers() {
        return BackgroundSelection.selector().statuses();
    }
}
