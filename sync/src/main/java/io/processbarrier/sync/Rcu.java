package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Read-copy-update for the JVM: read-side sections that execute no fence and no atomic instruction, a
 * {@link #synchronize()} that waits for every section already begun, and deferred reclamation ({@link #retire}) after
 * a grace period. The JVM counterpart of liburcu ({@code rcu_read_lock}, {@code synchronize_rcu}, {@code call_rcu},
 * {@code start_poll_synchronize_rcu}) and folly's {@code rcu_domain}, built on {@link ProcessBarrier}.
 *
 * <pre>{@code
 * static final Rcu RCU = Rcu.shared();              // one per process: one retire thread for every library
 * final RcuReference<Config> config = new RcuReference<>(RCU, Config.load(), Config::release);
 *
 * int lookup(String key) {                           // any number of threads, platform or virtual
 *     return config.read(c -> c.lookup(key));        // c cannot be released while the function runs
 * }
 * void update(Config next) {                         // any number of writers: none is lost
 *     config.set(next);                              // release(old) once no reader can still hold it
 * }
 * int raw(String key) {                              // the same section by hand, around any shared state
 *     return RCU.read(() -> config.get().lookup(key));
 * }
 * }</pre>
 * A plain {@code volatile} field and the garbage collector already do this for objects that hold nothing but heap:
 * {@code Rcu} pays off when an old version holds something that must be released on time (off-heap memory, a
 * mapped file, a pooled buffer, a native handle, a lease).
 *
 * <h2>Memory-ordering contract</h2>
 * <ul>
 *   <li><b>Grace period</b> ({@link #synchronize()}): every read section that began before the call has ended when
 *       it returns, and everything such a section did happens-before the return. A section that began after the
 *       call sees every store the caller made before the call. Hence: unlink an object (any store, plain or not, by
 *       the caller), call {@code synchronize()}, and no section can still hold it.</li>
 *   <li><b>{@link #retire(Object, Consumer) retire(o, f)}</b> = a grace period that begins after the call, then
 *       {@code f.accept(o)} on the retire thread: the caller's stores before {@code retire} happen-before the grace
 *       period; every section that could have seen {@code o} happens-before {@code f}.</li>
 *   <li>{@link #startPoll()} / {@link #poll(long)}: {@code poll(c)} returns {@code true} once a grace period that
 *       began after the {@code startPoll()} that returned {@code c} has completed; a {@code true} poll is an acquire
 *       of everything the sections before that grace period did.</li>
 *   <li>{@link #barrier()}: every {@code retire} that happened-before the call has had its callback run, and the
 *       callbacks happen-before the return.</li>
 *   <li>Inside a section, loads of a pointer published by a release store (a {@code volatile} field, {@code
 *       setRelease}) see the object fully initialised, as anywhere in Java; the section adds the guarantee that
 *       the object is not reclaimed until the section ends.</li>
 * </ul>
 *
 * <h2>How it works, and why a reader that saw an old object never sees it reclaimed</h2>
 * A global grace-period number {@code gp} (a 64-bit counter, starting at 1) and one <em>record</em> per reading
 * thread (registered on the thread's first {@code read()}, padded to its own cache lines, written by that thread
 * only). Entering the outermost section: {@code e = gp} (acquire load); {@code record.epoch = e} (release store);
 * {@code light()}. Leaving it: {@code record.epoch = 0} (release store). Nested sections only count, in a field only
 * the owner touches. That is the whole read side: a load of a read-mostly line, a store to the thread's own line,
 * and {@code light()}, which on an asymmetric barrier is a compiler barrier.
 * <p>A grace period {@code g}: {@code gp = g} (atomic increment, under a lock held by one grace period at a time);
 * {@code heavy()}; then, for every record of a live thread, wait while {@code 0 < epoch < g}. Take a reader that
 * loaded the old pointer {@code p} inside its section and a writer that stored the new pointer, then ran grace
 * period {@code g}, then reclaimed {@code p}:
 * <ol>
 *   <li>If the grace period's scan read the reader's {@code epoch = e} of this section: either {@code e < g}, and the
 *       scan waited until the release store {@code epoch = 0} (its acquire load then happens-after everything the
 *       section did, including its use of {@code p}); or {@code e >= g}: the reader loaded {@code gp >= g}, which
 *       the increment wrote after the writer's store of the new pointer (happens-before: the writer's stores, its
 *       atomic read of {@code gp} on arrival, the increment that read that value, the reader's acquire load), so
 *       every load of the section sees the new pointer, and it could not have loaded {@code p}.</li>
 *   <li>If the scan did not read that store (it read 0, or a stale value, or the thread registered after the
 *       snapshot): this is the store-buffering pattern of {@link ProcessBarrier} &mdash; reader
 *       {@code epoch = e; light(); load pointer}, writer {@code store pointer; heavy(); load epoch}. Missing the
 *       reader's store forces the reader's later load to see the writer's pointer: again it could not load
 *       {@code p}.</li>
 *   <li>If the scan read a <em>later</em> section's epoch {@code e'} of the same thread (the section that held
 *       {@code p} had ended and the thread had entered again): the entry store of {@code e'} is a release store, so
 *       the scan's acquire load that read it happens-after everything program-ordered before it, the earlier
 *       section's use of {@code p} included. (With an opaque entry store, as before, this case held on HotSpot, by
 *       x86 TSO and the acquire load of {@code gp} on AArch64, but not by the Java memory model; the release store is
 *       the same plain {@code mov} on x86. jcstress: {@code RCU_LaterSection}.)</li>
 * </ol>
 * So the only readers not waited for are those that cannot hold {@code p}. Without {@code heavy()} case 2 breaks:
 * the reader's store can sit in its store buffer while its load runs ahead (observed with a jcstress run of an
 * {@code Rcu} whose {@code heavy()} does nothing, under C2: see {@code docs/rcu.md}); without {@code light()} the JIT
 * may move the load above the store just the same.
 * A reader that re-enters loads the new {@code gp} and is not waited for again, so continuous readers delay a grace
 * period by at most their longest section and never starve it. A record whose thread has ended is skipped and
 * dropped ({@link Thread#isAlive()} {@code false} happens-after everything the thread did), even if it ended inside
 * a section. Virtual threads: the record belongs to the virtual thread, not its carrier, so a section may block and
 * resume on another carrier; the hand-over between carriers is itself ordered (the scheduler's queues), so the
 * store-buffering argument holds across it.
 *
 * <h2>Threads that read rarely</h2>
 * A record costs its thread a registration (a lock, an allocation, a copy of the registry's dense array): nothing for
 * a thread that reads all day, microseconds for a virtual thread per request whose first read is its last. So
 * {@link #read(Supplier)} and {@link RcuReference#read} register nobody at first: a thread without a record counts its
 * section on one of a few padded <em>stripes</em> (chosen by a hash of its thread id, never by its carrier: a virtual
 * thread may park inside and resume on another carrier), as Linux SRCU counts on per-CPU counters. Entry: load the
 * phase {@code i} (0 or 1, volatile), {@code lock[stripe][i] += 1} (an atomic, a full fence); exit:
 * {@code unlock[stripe][i] += 1}. While inside, a virtual thread (most likely a request's, whose first read is its
 * last) keeps {@code {depth, i}} in its stripe's owner slot, taken with a CAS on entry and given back on exit (as
 * {@code ReentrantReadWriteLock}'s {@code firstReader}; see {@code StripeOwners}); a platform thread (most likely a
 * pool's, which reads again), or a virtual thread that found its slot taken, keeps {@code {depth, stripe, i}} in a
 * {@code ThreadLocal} whose value is an {@code int[]} (a JDK class: an entry left in a pool thread's map pins nothing
 * of this library, and dies with the thread). That is roughly what {@code ReentrantReadWriteLock}'s read lock pays
 * (one atomic each way, and the slot's CAS) with no lock, nothing whose size grows with the threads, and for a
 * virtual thread no allocation unless its slot was taken. A thread that has begun {@value #PROMOTE_AFTER} outermost
 * sections this way (a virtual thread's counted in a small table by thread id) registers a record and uses the fast
 * path from then on; {@link #read()} (whose handle a caller may fail to close) and {@link #local()} always use the
 * record.
 * <p>A grace period, after {@code heavy()} and the records, waits for the stripes in two steps, as SRCU does: it waits
 * until, under the index readers do not use now, the sections ended equal the sections begun (it sums the ended ones
 * over every stripe first, then the begun ones: a section whose end was counted had its beginning counted, so equal
 * sums mean every counted section has ended); it flips the phase; then it waits the same way for the index readers
 * used until the flip. Why a reader not counted cannot hold the object: its increment (a full fence) came after the
 * grace period's load of that counter, which came after the writer's stores and a full fence (the writer's own
 * atomic arrival, {@code heavy()}, and a fence before the scan): the store-buffering pattern with a full fence on
 * both sides, so the reader's loads see the writer's stores. The first step exists for a reader that loaded the
 * phase before an earlier flip and counted itself under the old index later: its section may have begun before this
 * grace period, and it is waited for there. Readers that keep entering under the current index cannot starve a
 * grace period (new ones use the other index after the flip). Stall warnings count the open sections per stripe and
 * name the last thread to enter a stripe if it is a live platform thread (the JDK lists no virtual threads; a
 * thread dump names them); {@link #oldestSectionNanos()} sees records only. A section on a stripe always ends
 * (every path that enters one leaves it in a {@code finally} block); a virtual thread parked for ever inside one
 * (and collected) would hold grace periods up for ever, where a record would be skipped once its thread is gone.
 *
 * <h2>Grace-period sharing</h2>
 * A caller of {@code synchronize()} takes its target {@code gp + 1} with an atomic read, then takes the grace-period
 * lock: if a grace period {@code >=} target has completed meanwhile (run by another caller or the retire thread) it
 * returns at once; else it runs exactly one. All the callers that arrive during one grace period are served by the
 * next single one: one {@code heavy()} per grace period, whatever the number of callers and readers.
 *
 * <h2>Deferred reclamation</h2>
 * {@code retire} pushes onto a lock-free stack (one CAS). One daemon thread per {@code Rcu}, named
 * {@code processbarrier-rcu-<n>-retire}, takes the whole stack at once, runs one grace period for it and then the
 * callbacks in {@code retire} order, so one grace period serves every object retired meanwhile. The thread exists
 * only while there is work: it is started by a {@code retire}, {@code startPoll} or {@code barrier} that finds none,
 * and ends after 1 s with nothing to do, for {@link #shared()} too; so an idle {@code Rcu} holds no thread, and a
 * redeployed application that used {@code shared()}, or an {@code Rcu} it never closed, leaves no thread behind: its
 * class loader is collected with nothing to call.
 * {@code retire} never waits for the retire thread (so it cannot deadlock with a callback that takes a lock the
 * caller holds); memory is bounded all the same: a caller that finds more than {@value #MAX_PENDING} objects waiting
 * helps, running that batch's grace period and callbacks on its own thread (not inside a read section of this
 * {@code Rcu}, nor on the retire thread). A callback that throws is logged through {@link System.Logger} (logger
 * {@code io.processbarrier.sync.Rcu}, level {@code ERROR}) and the others run.
 *
 * <h2>Fault model: nothing retired is ever dropped, and the retire path always recovers</h2>
 * <ul>
 *   <li>{@code heavy()} throws: the grace period did not complete ({@code completed} stays); the batch is kept and
 *       retried with a back-off; {@code synchronize()} throws it to its caller, who may retry.</li>
 *   <li>A callback throws anything, an {@link OutOfMemoryError} on a full heap included: the rest of its batch
 *       runs and {@link #callbacksPending()} stays right (nothing on that path allocates once a batch is taken, and
 *       the log message is built inside the guarded logging call: a record that cannot be built is lost).</li>
 *   <li>The logger or a handler throws (an {@link Error} included): swallowed.</li>
 *   <li>The retire thread cannot be made or started (the factory throws or returns null, {@code start()} throws
 *       "unable to create native thread"): logged; the {@code retire} reclaims what waits on its own thread, as a
 *       helper does, and returns (outside a read section of this {@code Rcu}; inside one its object is queued for
 *       the next call); later retires try to start a thread again; meanwhile {@link #barrier()} and {@link #close()}
 *       reclaim on their own thread too. A retire thread that dies all the same hands its batch on and, if work
 *       waits, starts its successor.</li>
 *   <li>The caller is interrupted: {@code synchronize()}, {@code barrier()} and {@code close()} go on waiting and
 *       keep the status; {@link #synchronize(long, TimeUnit)} throws {@link InterruptedException}.</li>
 *   <li>A reader's thread dies (inside a section or not): grace periods skip it, stall warnings do not list it.</li>
 *   <li>A grace period runs inside another on the same thread (a stall-warning log handler that calls
 *       {@code synchronize()}, or a {@code retire} that helps from there): allowed; {@link #gracePeriodsCompleted()}
 *       and {@link #poll} never go back.</li>
 *   <li>The class loader goes: see the thread above, and {@link #create(ProcessBarrier)}: library threads hold no
 *       context class loader of whoever started them.</li>
 * </ul>
 *
 * <h2>Stall warnings and counters</h2>
 * A grace period that has waited longer than {@code processbarrier.sync.stallWarningMillis} (default 10000, 0 = off)
 * logs one {@code WARNING} (logger {@code io.processbarrier.sync.Rcu}) naming every thread still inside a section
 * that blocks it, how long it has been inside at least (derived from when the grace periods began to wait for a
 * reader: the read side records no time) and its stack; again each time the wait has doubled; one {@code INFO} when
 * it completes. A warning never delays the grace period: the logger is created on a daemon thread of its own, never
 * on the waiting thread (a logging backend's initialisation can take hundreds of milliseconds); records due
 * meanwhile are logged by that thread. Counters:
 * {@link #gracePeriodsCompleted()}, {@link #callbacksPending()}, {@link #longestGracePeriodNanos()},
 * {@link #oldestSectionNanos()}, {@link #stallWarnings()}; {@link #toString()} shows them.
 * Objects still waiting when the JVM exits are not reclaimed (the thread is a daemon); {@link #close()} reclaims them
 * all; an {@code Rcu} dropped unclosed is collected with whatever it still held once its thread has ended.
 *
 * <h2>Costs</h2>
 * Measured with JMH ({@code benchmarks/run.sh rcu}) on 2 vCPU AMD EPYC under Firecracker, Linux 6.18, OpenJDK 17,
 * membarrier (numbers and ratios in {@code docs/rcu.md}): a section around a field read costs about 5 ns on 1 thread
 * (the read alone 0.8 ns), and as much per thread on 2 threads, where {@code ReentrantReadWriteLock}'s read lock
 * costs hundreds of ns and an atomic counter tens. Most of it is finding the thread's record: through the registry's
 * front cache, a few dependent loads (a {@code ThreadLocal} measured 4 ns more per section); {@code synchronize()}
 * with no reader 1.08-1.19x one {@code heavy()} (452-505 ns against 419-424 ns with no other thread running;
 * {@code heavy()} costs 4-10 µs when other threads run), otherwise plus the longest section in progress;
 * {@code retire} 81-91 ns per object over a million, reclamation included. Which thread pays what: a thread's first
 * {@value #PROMOTE_AFTER} sections through {@code read(Supplier)} or {@link RcuReference#read} cost two atomics on
 * a stripe, and a virtual thread's the CAS of its slot, with no allocation (a virtual thread per request: see
 * {@code ThreadPerRequest} in {@code docs/rcu.md}); later sections, and
 * every {@link #read()}, the record's fast path above (the first {@code read()} of a thread registers it:
 * microseconds); a {@link Local} the fast path without the lookup.
 *
 * <p>Thread-safe. Keep an {@code Rcu} in a {@code static final} field (or another final field) so the JIT inlines
 * the read side, and {@link #close()} one you no longer need whose callbacks must run.
 */
public final class Rcu extends RcuGracePeriods implements AutoCloseable {
    /** Pending retired objects beyond which {@code retire} waits for the retire thread (back-pressure). */
    public static final int MAX_PENDING = 1 << 16;

    private static final VarHandle CLOSED;
    private static final VarHandle GP = RcuGracePeriods.GP;
    private static final VarHandle COMPLETED = RcuGracePeriods.COMPLETED;
    private static final VarHandle REQUESTED = RcuGracePeriods.REQUESTED;
    private static final VarHandle EPOCH = RcuRecord.EPOCH;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(Rcu.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        linkAccesses();
        JdkFailurePaths.load();
    }

    /** Links every VarHandle access this class makes: see {@link VarHandleLinks}. */
    private static void linkAccesses() {
        Rcu none = null;
        RcuRecord noRecord = null;
        VarHandleLinks.link(
                () -> { boolean b = REQUESTED.compareAndSet(none, 0L, 0L); },
                () -> { boolean b = CLOSED.compareAndSet(none, false, true); },
                () -> { long l = (long) GP.getAcquire(none); },
                () -> { boolean b = (boolean) CLOSED.getOpaque(none); },
                () -> { long l = (long) GP.getVolatile(none); },
                () -> { boolean b = (boolean) CLOSED.getVolatile(none); },
                () -> EPOCH.setRelease(noRecord, 0L));
    }

    // The source files of Rcu, one concern each: this one, the public API and the read side's entry (read());
    // RcuRecord, a thread's reader record and section handles; RcuGracePeriods, the grace-period engine (which
    // this class extends, so that a reader's load of gp is a field of this object); RcuRetirer, the retire stack,
    // its thread and the helpers; LibraryThreads, the default thread factory; RcuLog, the logger.

    /** The registry's front cache, in a final field of our own: see {@link ReaderRegistry#front()}. */
    private final RcuRecord[] front;
    /** Set once by close(); opaque load on entry (no ordering needed: close() waits for sections by itself). */
    private volatile boolean closed;
    private final RcuRetirer retirer;
    /** {@link #shared()}: never closed. */
    private final boolean shared;
    /** Closed by the close() that closes, awaited by every other close(). */
    private final CountDownLatch closeDone = new CountDownLatch(1);

    private Rcu(ProcessBarrier barrier, ThreadFactory threads, boolean shared, StallWarnings stalls) {
        super(barrier, stalls);
        this.shared = shared;
        this.front = registry.front();
        this.retirer = new RcuRetirer(this, threads);
    }

    /** For tests: an {@code Rcu} with its own stall warnings (threshold, clock, logger). */
    static Rcu withStallWarnings(ProcessBarrier barrier, StallWarnings stalls) {
        return new Rcu(barrier, null, false, Objects.requireNonNull(stalls, "stalls"));
    }

    /**
     * An {@code Rcu} on {@link ProcessBarrier#get()}, the best barrier of this process.
     *
     * @throws io.processbarrier.ProcessBarrierException as {@link ProcessBarrier#get()}
     */
    public static Rcu create() {
        return new Rcu(ProcessBarrier.get(), null, false, null);
    }

    /**
     * An {@code Rcu} on the given barrier: its {@code light()} on the read side, its {@code heavy()} per grace period.
     * Its retire thread (started when there is work, ended after 1 s idle) inherits nothing from the thread that
     * starts it: no context class loader, no inheritable thread-locals; a daemon named
     * {@code processbarrier-rcu-<n>-retire}.
     */
    public static Rcu create(ProcessBarrier barrier) {
        return new Rcu(barrier, null, false, null);
    }

    /**
     * An {@code Rcu} on the given barrier whose retire thread comes from {@code threads} (a framework's own factory),
     * used as it is: its name, daemon status, context class loader and group are the factory's business. The
     * factory is called whenever a retire thread is needed and none runs (on first use, after the last one ended
     * idle, or died); it must return a new, unstarted thread. A factory that throws or returns null, or a thread
     * whose {@code start()} throws, is logged ({@code ERROR}) and asked again by a later {@code retire}; nothing
     * retired is lost, and {@link #barrier()} and {@link #close()} reclaim on their own thread meanwhile.
     *
     * @throws NullPointerException if {@code barrier} or {@code threads} is null
     */
    public static Rcu create(ProcessBarrier barrier, ThreadFactory threads) {
        return new Rcu(barrier, Objects.requireNonNull(threads, "threads: pass a ThreadFactory, or use create(barrier)"),
                false, null);
    }

    /**
     * The process-wide {@code Rcu} on {@link ProcessBarrier#get()}: created on first use, never closed. What
     * frameworks and libraries in one JVM should use by default, so that N libraries do not start N retire threads.
     * Its retire thread is made by the default factory (it holds no class loader of whoever first used it), and the
     * instance is loaded by this library's class loader. Its retire thread ends when idle, as any {@code Rcu}'s, so
     * nothing needs to be called when the application that loaded this library is undeployed. {@link #close()} on it
     * throws
     * {@link UnsupportedOperationException}; use {@link #barrier()} to wait for your own retires.
     *
     * @throws io.processbarrier.ProcessBarrierException as {@link ProcessBarrier#get()} (and again on later calls)
     */
    public static Rcu shared() {
        Rcu r = sharedInstance; // volatile load
        if (r == null) {
            synchronized (Rcu.class) { // not a holder class: a ProcessBarrierException is thrown again next time
                r = sharedInstance;
                if (r == null) {
                    r = new Rcu(ProcessBarrier.get(), null, true, null);
                    sharedInstance = r;
                }
            }
        }
        return r;
    }

    private static volatile Rcu sharedInstance;

    // ------------------------------------------------------------------------------------------------- read side

    /**
     * Enters a read-side section; close the returned {@link Reader} (try-with-resources) to leave it. Sections nest:
     * an inner {@code read()} returns another handle, to be closed first. The outermost entry is an acquire load of
     * the grace-period number, a release store to the calling thread's own record and {@code light()}: no fence (on
     * an asymmetric barrier), no atomic read-modify-write, no store to a line another thread writes. The handle is
     * the thread's own and reused: no allocation after the thread's first section at each depth. Never waits for a
     * writer (a thread's very first section allocates and registers its record, under a lock held for a few
     * instructions).
     *
     * @throws IllegalStateException after {@link #close()} (for an outermost section)
     */
    public Reader read() {
        RcuRecord r = enterSection();
        // the handle is allocated here, in a method small enough to be inlined into every caller, so that escape
        // analysis removes it in a try-with-resources block (see RcuRecord: Handles)
        return new RcuRecord.Section(r, r.newTag());
    }

    /**
     * Enters a section on the calling thread's record (registered on its first section) and returns the record: the
     * entry of {@link #read()}, {@link #read(Supplier)} and {@link RcuReference#read}, each of which leaves it with
     * {@link RcuRecord#exitInnermost()}.
     */
    RcuRecord enterSection() {
        Thread t = Thread.currentThread();
        RcuRecord r = ReaderRegistry.cached(front, t);
        if (r == null) {
            r = registry.current(t);
        }
        enter(r);
        return r;
    }

    /** Enters a section on {@code r}, the calling thread's record. */
    void enter(RcuRecord r) {
        enter(r, false);
    }

    /**
     * Enters a section on {@code r}, the calling thread's record; {@code acquireFence}: the barrier's
     * {@code light()} is known to be an acquire fence for good ({@link DeferredBarrier#lightIsAcquireFence}), so the
     * fence is emitted here without the call through {@link #barrier} (a {@link Local} learns it once).
     */
    void enter(RcuRecord r, boolean acquireFence) {
        if (r.epoch != 0) { // plain: our own field. Inside already: only count
            r.enterNested();
            return;
        }
        if ((boolean) CLOSED.getOpaque(this)) {
            throw new IllegalStateException("read(): this Rcu is closed; create a new one");
        }
        long e = (long) GP.getAcquire(this); // LoadLoad/LoadStore: the record's store and the section's loads follow
        // release (not opaque): a scan that reads this epoch then happens-after every earlier section of this thread
        // (the proof's case 3); on x86 the same plain mov, on AArch64 an stlr
        EPOCH.setRelease(r, e);
        try {
            if (acquireFence) {
                VarHandle.acquireFence(); // what that light() does: a full compiler barrier
            } else {
                barrier.light(); // store-buffering with heavy(): the store above is seen, or our loads see the writer
            }
        } catch (Throwable x) { // e.g. a StackOverflowError at the call: no handle, so leave no section behind
            EPOCH.setRelease(r, 0L);
            throw x;
        }
    }

    /**
     * Runs {@code section.get()} inside a read section and returns its result: {@link #read()} with the handle kept
     * out of sight (no try-with-resources variable that {@code -Xlint:all} would call unused, and no handle object).
     * The section ends however {@code section} ends, a throw included. Costs what {@code read()} and {@code close()}
     * cost (the JIT inlines the lambda at a monomorphic call site).
     *
     * @throws IllegalStateException after {@link #close()} (for an outermost section)
     * @throws NullPointerException  if {@code section} is null
     */
    public <R> R read(Supplier<? extends R> section) {
        Objects.requireNonNull(section, "read(section): section is null");
        Object s = enterAny();
        try {
            return section.get();
        } finally {
            exitAny(s);
        }
    }

    /**
     * Enters a section for a caller that leaves it itself, in a finally block ({@link #read(Supplier)},
     * {@link RcuReference#read}): on the thread's record if it has one, else counted on its stripe (a thread that
     * reads rarely: see "Threads that read rarely"). Returns what {@link #exitAny} needs.
     */
    Object enterAny() {
        Thread t = Thread.currentThread();
        RcuRecord r = ReaderRegistry.cached(front, t);
        if (r == null && (r = registry.lookup(t)) == null) {
            return enterRare(t);
        }
        enter(r);
        return r;
    }

    /** Leaves the section {@link #enterAny()} entered. */
    void exitAny(Object s) {
        if (s instanceof RcuRecord) { // a final class: one compare of the class
            ((RcuRecord) s).exitInnermost();
        } else if (s instanceof StripeOwners.Owner) {
            exitOwned((StripeOwners.Owner) s);
        } else {
            exitRare((int[]) s);
        }
    }

    private static final int R_DEPTH = 0;
    private static final int R_STRIPE = 1;
    private static final int R_INDEX = 2;
    private static final int R_SECTIONS = 3;
    private static final int R_SPILLED = 4;
    /** The default of {@link #promoteAfter}. */
    static final int PROMOTE_AFTER = 64;
    /**
     * Where a virtual thread without a record keeps its section's state: its stripe's owner slot, free in the common
     * case (see {@link StripeOwners}), else {@link #rare}.
     */
    private final StripeOwners owners = new StripeOwners(stripes.count());
    /**
     * The state of a platform thread that reads without a record, or of a virtual thread that found its stripe's slot
     * taken (see {@link StripeOwners}): {@code {depth, stripe, index, outermost sections so far, 1 if counted in the
     * slot's spills}}, sections {@code < 0} once it has a record. An {@code int[]} (a JDK class) under a plain
     * {@code ThreadLocal}: an entry left in a pool thread's map pins nothing of this library, and dies with its thread.
     */
    private final ThreadLocal<int[]> rare = new ThreadLocal<>();
    /** Outermost sections through the stripes after which a thread registers a record; tests may change it. */
    int promoteAfter = PROMOTE_AFTER;

    /**
     * {@link #enterAny()} for a thread the lookup did not find a record for: a platform thread through {@link #rare},
     * as ever; a virtual thread nested where it is inside already, else in its stripe's slot (one CAS, nothing
     * allocated), else through {@link #rare} (the slot is taken: it spills).
     */
    private Object enterRare(Thread t) {
        if (!StripeOwners.isVirtual(t)) {
            return enterSpilled(t, null, rare.get());
        }
        int stripe = stripes.stripeOf(t);
        StripeOwners.Owner o = owners.slot(stripe);
        if (o.inside(t)) { // nested in a section of the slot: only count
            o.depth++;
            return o;
        }
        // maybe nested in a spilled section of ours (no map made where none of the stripe spilled)
        int[] st = o.spilled() ? rare.get() : null;
        if (st != null && st[R_DEPTH] > 0) {
            st[R_DEPTH]++;
            return st;
        }
        if (owners.route(t.getId(), promoteAfter) == StripeOwners.PROMOTE) { // keeps reading
            return promoted(t, null);
        }
        checkOpen();
        if (!owners.claim(t, o)) {
            return enterSpilled(t, o, st != null ? st : rare.get());
        }
        boolean in = false;
        try {
            o.index = enterStripe(t, stripe);
            o.depth = 1;
            in = true;
        } finally {
            if (!in) { // an Error before the count: nothing counted, give the slot back
                owners.release(o);
            }
        }
        return o;
    }

    /** Registers the calling thread's record (it keeps reading) and enters a section on it. */
    private RcuRecord promoted(Thread t, int[] st) {
        if (st != null) {
            st[R_SECTIONS] = -1;
        }
        RcuRecord r = registry.current(t);
        enter(r);
        return r;
    }

    private void checkOpen() {
        if ((boolean) CLOSED.getOpaque(this)) {
            throw new IllegalStateException("read(): this Rcu is closed; create a new one");
        }
    }

    /**
     * Counts an outermost section on {@code stripe} under the current phase and returns the phase index: a volatile
     * load of the phase, then the increment (a volatile RMW, a full fence: StoreLoad before the section's loads), the
     * last thing it does, so that a caller that sees it throw knows nothing was counted.
     */
    private int enterStripe(Thread t, int stripe) {
        stripes.noteEntrant(stripe, LAST_ID, t.getId()); // for stall warnings only; before: the count is the last step
        int i = phase; // volatile load: the index of this section (see "Threads that read rarely")
        stripes.add(stripe, LOCK + i, 1L);
        return i;
    }

    /**
     * A section whose state goes to {@link #rare}: a platform thread's ({@code slot} null), or a virtual thread's whose
     * stripe's slot {@code slot} is taken (then counted in the slot's spills while it is inside). {@code st}: the
     * thread's value of {@link #rare}, as the caller looked it up (null if it has none yet).
     */
    private Object enterSpilled(Thread t, StripeOwners.Owner slot, int[] st) {
        if (st == null) {
            st = new int[] {0, stripes.stripeOf(t), 0, 0, 0};
            rare.set(st);
        }
        int d = st[R_DEPTH];
        if (d > 0) { // nested in a section of the stripes: only count
            st[R_DEPTH] = d + 1;
            return st;
        }
        if (st[R_SECTIONS] < 0 || ++st[R_SECTIONS] > promoteAfter) { // keeps reading (or an unstable getId())
            return promoted(t, st);
        }
        checkOpen();
        if (slot != null) {
            owners.spill(slot, 1); // before the count: a nested entry of ours must look in rare
        }
        boolean in = false;
        try {
            st[R_INDEX] = enterStripe(t, st[R_STRIPE]);
            st[R_SPILLED] = slot != null ? 1 : 0;
            st[R_DEPTH] = 1;
            in = true;
        } finally {
            if (!in && slot != null) {
                owners.spill(slot, -1);
            }
        }
        return st;
    }

    private void exitOwned(StripeOwners.Owner o) {
        int d = o.depth - 1;
        o.depth = d; // before the count: an Error after it leaves the slot ours at depth 0, never "inside"
        if (d == 0) {
            try {
                // volatile RMW: the section's accesses happen-before a grace period that reads this count
                stripes.add(o.stripe, UNLOCK + o.index, 1L);
            } finally {
                owners.release(o); // whatever the count did: the slot is not held for a section that is over
            }
        }
    }

    private void exitRare(int[] st) {
        int d = st[R_DEPTH] - 1;
        st[R_DEPTH] = d;
        if (d == 0) {
            // volatile RMW: the section's accesses happen-before a grace period that reads this count
            stripes.add(st[R_STRIPE], UNLOCK + st[R_INDEX], 1L);
            if (st[R_SPILLED] != 0) {
                owners.spill(owners.slot(st[R_STRIPE]), -1); // first: an Error at the call leaves the flag to retry
                st[R_SPILLED] = 0;
            }
        }
    }

    /** Whether the calling thread is inside a section counted on a stripe (its slot's, or one in {@link #rare}). */
    private boolean insideRare() {
        Thread t = Thread.currentThread();
        if (StripeOwners.isVirtual(t)) {
            StripeOwners.Owner o = owners.slot(stripes.stripeOf(t));
            if (o.inside(t)) {
                return true;
            }
            if (!o.spilled()) {
                return false; // none of this stripe's virtual threads spilled, we neither: no ThreadLocal map made
            }
        }
        int[] st = rare.get();
        return st != null && st[R_DEPTH] > 0;
    }

    /** Threads inside a section through a stripe's slot (tests). */
    int slotsHeld() {
        return owners.slotsHeld();
    }

    /**
     * The calling thread's handle for read sections without the lookup of its record: for a thread that reads in a
     * loop (an event loop, a worker), kept by the caller. Registers the thread's record now if it has none. The
     * handle holds its thread (it is the caller's object); the record does not (see {@link ReaderRegistry}).
     */
    public Local local() {
        Thread t = Thread.currentThread();
        return new RcuLocal(this, registry.current(t), t);
    }

    /**
     * One thread's handle for read sections (see {@link #local()}); only that thread may use it. A section through
     * it is what {@link #read()} does after the lookup of the thread's record: an acquire load of the grace-period
     * number, a release store to the record and {@code light()} on entry, a release store on exit.
     */
    public interface Local {
        /**
         * Begins a read section (nests), as {@link Rcu#read()} does.
         *
         * @throws IllegalStateException on another thread than the one that called {@link Rcu#local()}, or after
         *                               {@link Rcu#close()} (for an outermost section)
         */
        void enter();

        /**
         * Ends the innermost section.
         *
         * @throws IllegalStateException on another thread, or if no section is open
         */
        void exit();
    }

    /** A read-side section of one thread, left by {@link #close()}. */
    public interface Reader extends AutoCloseable {
        /**
         * Leaves the section (a release store to the thread's record: everything the section did happens-before
         * the end of any grace period that waited for it).
         *
         * @throws IllegalStateException if already closed, if an inner section is still open, or if called on
         *                               another thread than the one that entered
         */
        @Override
        void close();
    }
    // -------------------------------------------------------------------------------------------- grace periods

    /**
     * Waits until every read section that began before this call has ended: one {@code heavy()} and a scan of the
     * live readers' records (O(live reading threads)), shared with every concurrent caller. A reader that stays in
     * its section delays it (a virtual thread parked inside included); a thread that ended inside a section does not.
     * Memory ordering: the caller's earlier stores happen-before every section that begins after the call, and every
     * section that began before happens-before the return.
     *
     * <p>Interrupts: the wait is not interruptible (use {@link #synchronize(long, TimeUnit)} for that); an interrupt
     * neither ends it nor makes it spin, and the interrupt status is still set when it returns. A wait longer than
     * {@code processbarrier.sync.stallWarningMillis} logs a stall warning naming the threads that block it.
     *
     * @throws IllegalStateException if the calling thread is inside a read section of this {@code Rcu} (it would wait
     *                               for itself forever)
     * @throws io.processbarrier.ProcessBarrierException whatever the barrier's {@code heavy()} throws (an {@link
     *                               io.processbarrier.ErrnoException}, a provider's timeout): then no grace period
     *                               completed, nothing is reported complete, and calling again retries
     */
    public void synchronize() {
        checkOutsideSection("synchronize()");
        awaitGracePeriod(arrive(), SYNCHRONIZE);
    }

    /**
     * {@link #synchronize()} with a bound: waits at most {@code timeout} for every read section that began before the
     * call to end. Memory ordering as {@code synchronize()} when it returns {@code true}; none when it returns
     * {@code false}.
     *
     * @return {@code true} if a grace period completed, {@code false} if the time ran out first (a section begun
     *         before the call is still open, or another grace period held the way)
     * @throws InterruptedException      if the calling thread is interrupted before or while it waits (the status is
     *                                   cleared, as by {@link java.util.concurrent.locks.Lock#tryLock(long, TimeUnit)})
     * @throws IllegalStateException     inside a read section of this {@code Rcu}
     * @throws NullPointerException      if {@code unit} is null
     * @throws io.processbarrier.ProcessBarrierException whatever {@code heavy()} throws, as {@code synchronize()}
     */
    public boolean synchronize(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "synchronize(timeout, unit): unit is null");
        checkOutsideSection("synchronize(timeout, unit)");
        if (Thread.interrupted()) {
            throw new InterruptedException("synchronize(timeout, unit): interrupted before it began");
        }
        long now = System.nanoTime();
        long d = unit.toNanos(Math.max(0L, timeout));
        long deadline = now + d;
        if (deadline - now < 0) { // overflow: effectively forever
            deadline = now + Long.MAX_VALUE;
        }
        return awaitGracePeriod(arrive(), SYNCHRONIZE, deadline, true);
    }

    /**
     * A grace-period cookie for {@link #poll(long)}, and a request that the retire thread run that grace period
     * (started if none runs). Never blocks. Memory ordering as {@link #synchronize()}'s arrival: the caller's earlier
     * stores happen-before the grace period. A cookie returned is always completed, even by a {@link #close()} that
     * races with this call (close() runs every grace period asked for before it returns).
     *
     * @throws IllegalStateException after {@link #close()} (also if close() began while this call ran)
     */
    public long startPoll() {
        if ((boolean) CLOSED.getVolatile(this)) {
            throw new IllegalStateException("startPoll(): this Rcu is closed; its retire thread is stopped");
        }
        long cookie = arrive();
        long r;
        do {
            r = (long) REQUESTED.getVolatile(this);
        } while (r < cookie && !REQUESTED.compareAndSet(this, r, cookie));
        // Dekker with close(): closed = true (volatile) then its load of requested; here the CAS then this load.
        // Either close() sees our request and runs it, or we see closed and hand out no cookie.
        if ((boolean) CLOSED.getVolatile(this)) {
            throw new IllegalStateException("startPoll(): this Rcu was closed meanwhile; its retire thread is stopped");
        }
        retirer.wake();
        return cookie;
    }

    /**
     * Whether the grace period of {@code cookie} has completed: then no section that began before the
     * {@link #startPoll()} that returned it is still running (an acquire of everything they did). Never blocks. A
     * grace period whose {@code heavy()} threw has not completed: the retire thread retries it.
     *
     * @throws IllegalArgumentException if {@code cookie} was not returned by {@link #startPoll()} of this {@code Rcu}
     *                                  (not positive, or beyond any grace period asked for)
     */
    public boolean poll(long cookie) {
        if (cookie < 1 || cookie > (long) GP.getVolatile(this) + 1) {
            throw new IllegalArgumentException("poll(" + cookie + "): not a cookie of this Rcu (cookies are the values "
                    + "startPoll() returned, at most " + ((long) GP.getVolatile(this) + 1) + " now)");
        }
        return (long) COMPLETED.getAcquire(this) >= cookie;
    }

    private void checkOutsideSection(String what) {
        if (insideSection()) {
            throw new IllegalStateException(what + " inside a read section of the same Rcu would wait for that section"
                    + " forever; leave the section first (or use retire()/startPoll(), which do not wait)");
        }
    }

    // ---------------------------------------------------------------------------------------------- counters

    /**
     * Grace periods completed since creation (by {@code synchronize()}, the retire thread, polls and helpers). Never
     * decreases, also when a grace period runs inside another on the same thread.
     */
    public long gracePeriodsCompleted() {
        return (long) COMPLETED.getAcquire(this) - 1;
    }

    /** Objects retired whose callback has not run yet (on the stack, or in a batch being reclaimed); a racy sum. */
    public long callbacksPending() {
        return retirer.onStack() + retirer.inFlight.get();
    }

    /**
     * The longest wait for readers of a grace period completed so far, in nanoseconds: from the moment its scan found
     * the first reader inside to its end; 0 while no grace period had to wait. A grace period that finds no reader
     * inside costs one {@code heavy()} and reads no clock (the doctor and the benchmarks time {@code heavy()}).
     */
    public long longestGracePeriodNanos() {
        return longestWait();
    }

    /**
     * How long the oldest read section now open has been open, at least, in nanoseconds (0 if none, or if every open
     * section began during the current grace period). Scans the registered records without a lock: O(reading
     * threads); derived from when the grace periods began to wait for a reader (the read side records no time).
     */
    public long oldestSectionNanos() {
        return oldestSection();
    }

    /** How many stall warnings grace periods of this {@code Rcu} have logged. */
    public long stallWarnings() {
        return stallWarnings;
    }

    // -------------------------------------------------------------------------------------------------- retire

    /**
     * Calls {@code reclaim.accept(object)} after a grace period that begins after this call: once no read section can
     * still hold {@code object}. Unlink the object first. One CAS on a shared stack and an allocation of 24 bytes.
     * Never waits for the retire thread, so it cannot deadlock with a callback (retiring under a lock that the
     * callbacks take is fine). Memory is bounded all the same: a caller that finds more than {@link #MAX_PENDING}
     * objects waiting <em>helps</em>: it takes them all, runs their grace period and their callbacks itself, on its
     * own thread (except inside a read section of this {@code Rcu}, where a grace period would wait for the caller,
     * and on the retire thread). So at most about {@code MAX_PENDING} objects wait on the stack, plus one batch per
     * thread reclaiming. Memory ordering: the caller's earlier stores happen-before the grace period, and the
     * sections it waits for happen-before {@code reclaim}.
     *
     * <p>Callbacks run on the retire thread, or on a helping caller: callbacks of one batch run in {@code retire}
     * order, but two batches may be reclaimed at the same time on two threads, so a callback must be safe to run
     * concurrently with another. If a helper's grace period fails ({@code heavy()} threw) the batch goes to the
     * retire thread, which retries it: nothing retired is ever dropped. If no retire thread can be started, this
     * call reclaims the stack on its own thread, as a helper (outside a read section), and returns normally (the
     * failure is logged; see the class's fault model).
     *
     * @throws NullPointerException  if {@code object} or {@code reclaim} is null
     * @throws IllegalStateException after {@link #close()}
     */
    public <T> void retire(T object, Consumer<? super T> reclaim) {
        Objects.requireNonNull(object, "retire(object, reclaim): object is null");
        Objects.requireNonNull(reclaim, "retire(object, reclaim): reclaim is null");
        if ((boolean) CLOSED.getOpaque(this)) {
            throw closedForRetire();
        }
        @SuppressWarnings("unchecked")
        Consumer<Object> f = (Consumer<Object>) reclaim;
        int depth = retirer.push(new RcuRetirer.Node(object, f));
        if (depth < 0) {
            throw closedForRetire();
        }
        if (depth > MAX_PENDING && Thread.currentThread() != retirer.worker && !insideSection()) {
            retirer.help();
        } else if ((depth == 1 || !retirer.running) // volatile load: no thread (ended idle, died, or never started)
                && !retirer.wake() // never throws: a thread that cannot be started is logged, and retried later
                && Thread.currentThread() != retirer.worker && !insideSection()) {
            retirer.noThread(); // no thread to reclaim it: reclaim here, or it would wait for some later call
        }
    }

    private boolean insideSection() {
        if (insideRare()) {
            return true;
        }
        RcuRecord r = registry.find();
        return r != null && r.epoch != 0;
    }

    private static IllegalStateException closedForRetire() {
        return new IllegalStateException("retire(): this Rcu is closed; its retire thread is stopped");
    }

    /**
     * Returns once every {@link #retire} that happened-before this call has had its callback run (a grace period
     * that really completed, plus the callbacks of every batch ahead, whichever thread runs them). Returns at once if
     * nothing was ever retired, or after close(). Not interruptible: the interrupt status is kept. Hazard (as
     * folly's {@code rcu_barrier}): do not call it while holding a lock that a callback takes; it waits for that
     * callback.
     *
     * <p>While no retire thread can be started (see {@link #create(ProcessBarrier, ThreadFactory)}), the caller runs
     * the waiting batches itself.
     *
     * @throws IllegalStateException inside a read section of this {@code Rcu}, or in a retire callback, whichever
     *                               thread runs it (the retire thread, or a {@code retire} that helps under
     *                               back-pressure): either would wait for itself
     */
    public void barrier() {
        checkOutsideSection("barrier()");
        checkOutsideCallback("barrier()");
        if (retirer.neverUsed()) {
            return; // nothing was ever retired: no thread to start
        }
        CountDownLatch done = new CountDownLatch(1);
        int depth = retirer.push(new RcuRetirer.Node(done, RcuRetirer.MARKER));
        if (depth < 0) {
            return; // closed: close() reclaimed everything before it closed the stack
        }
        retirer.await(done); // reclaims on this thread if no retire thread can be started
    }

    private void checkOutsideCallback(String what) {
        if (Thread.currentThread() == retirer.worker || retirer.inCallback()) {
            throw new IllegalStateException(what + " in a retire callback (on the retire thread, or on a retire() "
                    + "that helps under back-pressure) would wait for that callback forever");
        }
    }

    private static void awaitUninterruptibly(CountDownLatch done) {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@link #barrier()}, then stops the retire thread; afterwards {@link #read()}, {@link #retire} and
     * {@link #startPoll()} throw {@link IllegalStateException}, while {@link #synchronize()}, {@link #poll} and
     * {@link #barrier()} still work, and sections already open may still be closed. Every object retired before
     * close() returns has been reclaimed, and every cookie {@code startPoll()} returned has completed; a
     * {@code retire} racing with it either is reclaimed or throws. Idempotent: a second call, also one racing with
     * the first, returns only once the first has finished. If {@code heavy()} keeps failing, close() keeps retrying
     * (it never reports reclamation that did not happen). Not interruptible: the interrupt status is kept.
     *
     * @throws IllegalStateException inside a read section of this {@code Rcu}, or in a retire callback (on any thread)
     * @throws UnsupportedOperationException on {@link #shared()}, which is never closed
     */
    @Override
    public void close() {
        if (shared) {
            throw new UnsupportedOperationException("close(): Rcu.shared() is process-wide and never closed; create "
                    + "your own with Rcu.create() if you need one you can close");
        }
        checkOutsideSection("close()");
        checkOutsideCallback("close()");
        if (!CLOSED.compareAndSet(this, false, true)) {
            awaitUninterruptibly(closeDone); // a racing or later close(): return when the first is done
            return;
        }
        try {
            barrier();
            retirer.stop();
            RcuRetirer.Batch rest = retirer.take(true); // from now on, retire() fails
            if (rest != null) { // retires that raced with the stop
                retirer.reclaimHere(rest, CLOSING);
            }
            // a helper's failed batch the thread did not take
            for (RcuRetirer.Batch b; (b = retirer.popOrphan()) != null; ) {
                retirer.reclaimHere(b, CLOSING);
            }
            long want = (long) REQUESTED.getVolatile(this); // after closed = true: see startPoll()
            retryGracePeriod(want, CLOSING);
        } finally {
            closeDone.countDown();
        }
    }
    /** How many reader records are registered (dead threads not yet pruned included): for tests. */
    int registeredReaders() {
        return registry.size();
    }

    /** How many threads wait for the grace-period lock: for tests. */
    int gracePeriodQueueLength() {
        return gpLock.getQueueLength();
    }

    /** The retire thread, or null before first use: for tests. */
    Thread retireThread() {
        return retirer.worker;
    }

    /** How many times a grace period of the retire thread or a helper failed and was retried: for tests. */
    long retiredBatchFailures() {
        return retirer.failures.get();
    }

    /** The library's thread factory, for {@link BurstEnder}: see {@link LibraryThreads#newThread}. */
    static Thread defaultThread(Runnable task, String name) {
        return LibraryThreads.newThread(task, name);
    }

    @Override
    public String toString() {
        long g = (long) GP.getVolatile(this); // first: a grace period that began after it is not "in progress"
        long done = (long) COMPLETED.getAcquire(this);
        return "Rcu#" + id + "[" + DeferredBarrier.nameNow(barrier) + (shared ? ", shared" : "")
                + ", grace periods completed " + (done - 1) + (g > done ? ", one in progress" : "") + ", longest wait "
                + TimeUnit.NANOSECONDS.toMicros(longestGracePeriodNanos()) + " us, pending " + callbacksPending()
                + ", oldest section " + TimeUnit.NANOSECONDS.toMillis(oldestSectionNanos()) + " ms, stall warnings "
                + stallWarnings + ((boolean) CLOSED.getVolatile(this) ? ", closed" : "") + "]";
    }
}
