package io.processbarrier.internal.support;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.AsymmetricProcessBarrier;

import java.lang.invoke.VarHandle;

/**
 * What the first {@code ProcessBarrier.get()} returns while the selection still runs in the background
 * ({@code BackgroundSelection}): a barrier that is symmetric (a full fence on both sides) until the selection is over,
 * then takes the selected barrier's fast {@link #light()} and its {@link #heavy()}.
 *
 * <h2>Why every pair stays ordered across the switch</h2>
 * The selected barrier {@code S} is published in {@link #settled} (a volatile) only once it exists: its
 * {@code heavy()} orders every thread from then on (membarrier's waits for a registration still running, or uses
 * {@code GLOBAL} if it failed). Then, and only then, {@code get()} starts handing out {@code S} itself. In the
 * store-buffering pattern (reader: {@code x = 1; light(); r1 = y}; writer: {@code y = 1; heavy(); r2 = x}):
 * <ul>
 *   <li>a reader that reads {@code settled == null} executes a full fence: with any writer (which always executes one)
 *       this is the symmetric pair, ordered by the JMM alone;</li>
 *   <li>a writer that reads {@code settled == S} runs {@code S.heavy()}, which orders every thread, whatever its
 *       {@code light()} was;</li>
 *   <li>left: a reader that reads {@code S} (a compiler barrier only) and a writer that read {@code null}, or a reader
 *       that holds {@code S} from a later {@code get()}. The writer stored {@code y}, fenced (its store is visible to
 *       all before its next load), then read {@code null}: its read comes before the write of {@code S} in that
 *       variable's order. The reader read {@code S} (or was given it by a {@code get()} that read it) with an
 *       acquire, which is after that write, and loads {@code y} after it (an acquire is not passed by later loads).
 *       So the reader's load of {@code y} comes after the writer's store of {@code y} was visible: {@code r1 == 1}.
 *       On x86_64 (TSO) and arm64 (other-multi-copy-atomic, an ordered chain of fence, from-read, read-from and
 *       acquire) this is the same argument.</li>
 * </ul>
 * The same argument covers an asymmetric barrier handed out another way while this one has not settled
 * ({@code of(name)} or {@code providers()} before the first {@code get()}, or a later {@code get()} that selected on
 * its caller after the background selection failed): every such barrier is published in {@link AsymmetricBarriers}
 * before it is handed out, and an unsettled {@link #heavy()} reads that list after its fence and runs the first one's
 * {@code heavy()}, which makes every thread of the process execute a barrier, whatever barrier its {@code light()}
 * belongs to. A failed selection leaves {@link #settled} null until a later {@code get()} selects on its caller and
 * settles this barrier with what it found (meanwhile a full fence on both sides, correct).
 *
 * <p>Cost: a {@code light()} reads one field more than the selected barrier's (a load that hits the cache and a
 * branch the CPU predicts; nothing on arm64 beyond the {@code dmb ishld} it already had); sync's constructs exchange
 * this barrier for the selected one on their writers' path ({@link #resolve}). {@link #name()} and
 * {@link #isAsymmetric()} wait for the selection: they report what it chose; {@link #toString()} never waits.
 */
public final class DeferredBarrier implements ProcessBarrier {
    /** The selected barrier once it is asymmetric and created; null: {@link #light()} must fence. */
    private volatile ProcessBarrier settled;
    /** What the selection returned (fence included), or null while it runs or when it failed. */
    private volatile ProcessBarrier outcome;
    /** Waits for the selection to end (it may be this thread's own call: then returns at once). */
    private final Runnable await;
    /** Whether the selection has ended, well or not; never waits. */
    private final java.util.function.BooleanSupplier isOver;

    /**
     * @param await  waits for the background selection to end; returns at once on the selection's own thread
     * @param isOver whether it has ended (well or not), without waiting
     */
    public DeferredBarrier(Runnable await, java.util.function.BooleanSupplier isOver) {
        this.await = await;
        this.isOver = isOver;
    }

    /**
     * Called once by the selection's thread with what it selected, before {@code get()} hands {@code selected} out
     * itself: from here on readers of this barrier may use the selected barrier's {@code light()}.
     */
    public void settle(ProcessBarrier selected) {
        if (selected.isAsymmetric()) {
            settled = selected; // first: resolve() hands out outcome, and light() goes by settled
        }
        outcome = selected;
    }

    @Override
    public void light() {
        if (settled == null) {
            VarHandle.fullFence(); // the selection is not over: the symmetric pair
        } else {
            VarHandle.acquireFence(); // AsymmetricProcessBarrier.light(): a full compiler barrier
        }
    }

    @Override
    public void heavy() {
        VarHandle.fullFence(); // before reading settled: see the class javadoc
        ProcessBarrier s = settled;
        if (s == null) {
            s = AsymmetricBarriers.first(); // one created otherwise (of(), or a later get()): its readers are fast
        }
        if (s != null) {
            s.heavy();
        }
    }

    /** The selected barrier's name; waits for the selection ({@code fence} if it failed: what this barrier is then). */
    @Override
    public String name() {
        await.run();
        ProcessBarrier o = outcome;
        return o == null ? "fence" : o.name();
    }

    /** Whether {@link #light()} is a compiler barrier only: waits for the selection. */
    @Override
    public boolean isAsymmetric() {
        await.run();
        return settled != null;
    }

    /**
     * The selected barrier's text (e.g. {@code ProcessBarrier[membarrier: registering in the background ...]}), or,
     * while the selection runs, {@code ProcessBarrier[selecting: ...]}; never waits (a debugger calls it).
     */
    @Override
    public String toString() {
        ProcessBarrier o = outcome;
        if (o != null) {
            return o.toString();
        }
        return isOver.getAsBoolean() ? "ProcessBarrier[fence: the selection failed, the next get() says why]"
                : "ProcessBarrier[selecting in the background: a full fence on both sides until it ends]";
    }

    /**
     * {@code b}'s name without waiting: for a deferred barrier whose selection runs, {@code selecting}. For text that
     * must never block (sync's {@code toString()}, exception messages).
     */
    public static String nameNow(ProcessBarrier b) {
        if (b instanceof DeferredBarrier) {
            ProcessBarrier o = ((DeferredBarrier) b).outcome;
            return o == null ? "selecting" : o.name();
        }
        return b.name();
    }

    /** Whether the selection is over (tests, diagnostics); never waits. */
    public boolean isSettled() {
        return outcome != null;
    }

    /**
     * {@code b}, or, if it is a deferred barrier whose selection is over, the barrier it selected: sync's constructs
     * call this on their writers' path so that their readers stop paying for the check in {@link #light()} (a reader
     * that still holds the deferred barrier is ordered as well: see the class javadoc).
     */
    public static ProcessBarrier resolve(ProcessBarrier b) {
        if (b instanceof DeferredBarrier) {
            ProcessBarrier o = ((DeferredBarrier) b).outcome;
            return o == null ? b : o;
        }
        return b;
    }

    /**
     * Whether {@code b.light()} is, from now on and for good, {@link AsymmetricProcessBarrier#light()}: an
     * {@code acquireFence}. True for an asymmetric barrier of the api, and for a deferred one whose selection settled
     * on one (its {@link #settled} never changes again). A caller that knows this may emit that fence itself and skip
     * the call through its barrier field (sync's per-thread handles). Never waits.
     */
    public static boolean lightIsAcquireFence(ProcessBarrier b) {
        return resolve(b) instanceof AsymmetricProcessBarrier;
    }
}
