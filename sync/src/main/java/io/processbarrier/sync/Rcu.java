package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
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
 * <h2>Grace-period sharing</h2>
 * A caller of {@code synchronize()} takes its target {@code gp + 1} with an atomic read, then takes the grace-period
 * lock: if a grace period {@code >=} target has completed meanwhile (run by another caller or the retire thread) it
 * returns at once; else it runs exactly one. All the callers that arrive during one grace period are served by the
 * next single one: one {@code heavy()} per grace period, whatever the number of callers and readers.
 *
 * <h2>Deferred reclamation</h2>
 * {@code retire} pushes onto a lock-free stack (one CAS). One daemon thread per {@code Rcu}, named
 * {@code processbarrier-rcu-<n>-retire} and started on first use, takes the whole stack at once, runs one grace period
 * for it and then the callbacks in {@code retire} order, so one grace period serves every object retired meanwhile.
 * {@code retire} never waits for the retire thread (so it cannot deadlock with a callback that takes a lock the
 * caller holds); memory is bounded all the same: a caller that finds more than {@value #MAX_PENDING} objects waiting
 * helps, running that batch's grace period and callbacks on its own thread (not inside a read section of this
 * {@code Rcu}, nor on the retire thread). A callback that throws is logged through {@link System.Logger} (logger
 * {@code io.processbarrier.sync.Rcu}, level {@code ERROR}) and the others run; a logger that throws, or a
 * {@code heavy()} that throws, never ends reclamation: a failed grace period keeps its batch and is retried.
 *
 * <h2>Stall warnings and counters</h2>
 * A grace period that has waited longer than {@code processbarrier.sync.stallWarningMillis} (default 10000, 0 = off)
 * logs one {@code WARNING} (logger {@code io.processbarrier.sync.Rcu}) naming every thread still inside a section
 * that blocks it, how long it has been inside at least (derived from when the grace periods began to wait for a
 * reader: the read side records no time) and its stack; again each time the wait has doubled; one {@code INFO} when
 * it completes. Counters:
 * {@link #gracePeriodsCompleted()}, {@link #callbacksPending()}, {@link #longestGracePeriodNanos()},
 * {@link #oldestSectionNanos()}, {@link #stallWarnings()}; {@link #toString()} shows them.
 * Objects still waiting when the JVM exits are not reclaimed (the thread is a daemon); {@link #close()} reclaims them
 * all.
 *
 * <h2>Costs</h2>
 * Measured with JMH ({@code benchmarks/run.sh rcu}) on 2 vCPU AMD EPYC under Firecracker, Linux 6.18, OpenJDK 17,
 * membarrier (numbers and ratios in {@code docs/rcu.md}): a section around a field read costs about 5 ns on 1 thread
 * (the read alone 0.8 ns), and as much per thread on 2 threads, where {@code ReentrantReadWriteLock}'s read lock
 * costs hundreds of ns and an atomic counter tens. Most of it is finding the thread's record: through the registry's
 * front cache, a few dependent loads (a {@code ThreadLocal} measured 4 ns more per section); {@code synchronize()}
 * with no reader 1.08-1.19x one {@code heavy()} (452-505 ns against 419-424 ns with no other thread running;
 * {@code heavy()} costs 4-10 µs when other threads run), otherwise plus the longest section in progress;
 * {@code retire} 81-91 ns per object over a million, reclamation included.
 *
 * <p>Thread-safe. Keep an {@code Rcu} in a {@code static final} field (or another final field) so the JIT inlines
 * the read side, and {@link #close()} one you no longer need: its retire thread lives until then.
 */
public final class Rcu implements AutoCloseable {
    /** Pending retired objects beyond which {@code retire} waits for the retire thread (back-pressure). */
    public static final int MAX_PENDING = 1 << 16;

    private static final AtomicInteger IDS = new AtomicInteger();
    private static final VarHandle GP;
    private static final VarHandle COMPLETED;
    private static final VarHandle REQUESTED;
    private static final VarHandle CLOSED;
    private static final VarHandle EPOCH;
    private static final VarHandle HEAD;
    private static final VarHandle LONGEST;
    private static final VarHandle GP_NUM = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle GP_TIME = GP_NUM;
    /** The grace periods whose start time is recorded for diagnostics: the last 64. */
    private static final int RING_MASK = 63;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            GP = l.findVarHandle(Rcu.class, "gp", long.class);
            COMPLETED = l.findVarHandle(Rcu.class, "completed", long.class);
            REQUESTED = l.findVarHandle(Rcu.class, "requested", long.class);
            CLOSED = l.findVarHandle(Rcu.class, "closed", boolean.class);
            EPOCH = l.findVarHandle(RecordFields.class, "epoch", long.class);
            HEAD = l.findVarHandle(Retirer.class, "head", Node.class);
            LONGEST = l.findVarHandle(Rcu.class, "longestGracePeriod", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Read by every reader on entry, written once per grace period: a read-mostly line. The retire stack, written
    // by every retire(), lives in its own padded object (Retirer) so that retiring does not slow reading.
    private final ProcessBarrier barrier;
    private final ReaderRegistry<Record> registry;
    /** The registry's front cache, in a final field of our own: see {@link ReaderRegistry#front()}. */
    private final Record[] front;
    /** The latest grace period begun; readers copy it into their record. Atomic RMW by writers, acquire by readers. */
    private volatile long gp = 1;
    /** Set once by close(); opaque load on entry (no ordering needed: close() waits for sections by itself). */
    private volatile boolean closed;
    /** The latest grace period completed: release store by its runner, acquire loads by everyone who waits. */
    private volatile long completed = 1;
    /** The highest grace period asked for by startPoll(), for the retire thread to run. */
    private volatile long requested = 1;
    private final ReentrantLock gpLock = new ReentrantLock();
    private final Retirer retirer;
    private final int id = IDS.incrementAndGet();
    /** The retire thread's factory; null: {@link #defaultThread}. */
    private final ThreadFactory threads;
    /** {@link #shared()}: never closed. */
    private final boolean shared;
    /** Closed by the close() that closes, awaited by every other close(). */
    private final CountDownLatch closeDone = new CountDownLatch(1);
    private final StallWarnings stalls;
    /**
     * Diagnostics, written under gpLock only: the number, and when it first found a reader inside (the stall clock), of
     * the last grace periods that had to wait. A grace period that waits for nobody records nothing.
     */
    private final long[] gpNum = new long[RING_MASK + 1];
    private final long[] gpTime = new long[RING_MASK + 1];
    /** The longest wait for readers of a grace period, ns: opaque stores under gpLock, opaque loads by anyone. */
    private long longestGracePeriod;
    /** Stall warnings logged: written under gpLock, read by anyone. */
    private volatile long stallWarnings;

    private Rcu(ProcessBarrier barrier, ThreadFactory threads, boolean shared, StallWarnings stalls) {
        this.barrier = Objects.requireNonNull(barrier, "barrier: pass ProcessBarrier.get() or ProcessBarrier.of(name)");
        this.threads = threads;
        this.shared = shared;
        this.stalls = stalls != null ? stalls : StallWarnings.system(() -> Log.LOGGER);
        this.registry = new ReaderRegistry<>(Record::new, Record[]::new, new ReentrantLock());
        this.front = registry.front();
        this.retirer = new Retirer();
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
     * Its retire thread (started on first use) inherits nothing from the thread that starts it: no context class
     * loader, no inheritable thread-locals; a daemon named {@code processbarrier-rcu-<n>-retire}.
     */
    public static Rcu create(ProcessBarrier barrier) {
        return new Rcu(barrier, null, false, null);
    }

    /**
     * An {@code Rcu} on the given barrier whose retire thread comes from {@code threads} (a framework's own factory),
     * used as it is: its name, daemon status, context class loader and group are the factory's business. The
     * factory is called on first use, and again only if that thread ever died; it must return a new, unstarted
     * thread (a null is an {@link IllegalStateException} at that use).
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
     * instance is loaded by this library's class loader. {@link #close()} on it throws
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
        Thread t = Thread.currentThread();
        Record r = ReaderRegistry.cached(front, t);
        if (r == null) {
            r = registry.current(t);
        }
        if (r.epoch != 0) { // plain: our own field. Inside already: only count
            return r.enterNested();
        }
        if ((boolean) CLOSED.getOpaque(this)) {
            throw new IllegalStateException("read(): this Rcu is closed; create a new one");
        }
        long e = (long) GP.getAcquire(this); // LoadLoad/LoadStore: the record's store and the section's loads follow
        // release (not opaque): a scan that reads this epoch then happens-after every earlier section of this thread
        // (the proof's case 3); on x86 the same plain mov, on AArch64 an stlr
        EPOCH.setRelease(r, e);
        try {
            barrier.light(); // store-buffering with heavy(): the store above is seen, or our loads see the writer
        } catch (Throwable x) { // e.g. a StackOverflowError at the call: no handle, so leave no section behind
            EPOCH.setRelease(r, 0L);
            throw x;
        }
        return r;
    }

    /**
     * Runs {@code section.get()} inside a read section and returns its result: {@link #read()} with the handle kept
     * out of sight (no try-with-resources variable that {@code -Xlint:all} would call unused). The section ends
     * however {@code section} ends, a throw included. Costs what {@code read()} and {@code close()} cost (the JIT
     * inlines the lambda at a monomorphic call site).
     *
     * @throws IllegalStateException after {@link #close()} (for an outermost section)
     * @throws NullPointerException  if {@code section} is null
     */
    public <R> R read(Supplier<? extends R> section) {
        Objects.requireNonNull(section, "read(section): section is null");
        Reader r = read();
        try {
            return section.get();
        } finally {
            r.close();
        }
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
     * (started on first use). Never blocks. Memory ordering as {@link #synchronize()}'s arrival: the caller's earlier
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

    /**
     * The grace period a caller arriving now needs: the next one to begin. An atomic read-modify-write (not a plain
     * read), so that the caller's earlier stores happen-before the increment that begins it, whoever runs it.
     */
    private long arrive() {
        return (long) GP.getAndAdd(this, 0L) + 1;
    }

    private static final int SYNCHRONIZE = 0;
    private static final int RETIRE_THREAD = 1;
    private static final int HELPER = 2;
    private static final int CLOSING = 3;
    private static final String[] WHO = {"synchronize()", "the retire thread (retire, barrier, poll)",
        "retire() helping to reclaim (more than MAX_PENDING waiting)", "close()"};

    /** Returns once grace period {@code target} (or a later one) has completed, running it if nobody else does. */
    void awaitGracePeriod(long target, int who) {
        try {
            awaitGracePeriod(target, who, 0L, false);
        } catch (InterruptedException e) {
            throw new AssertionError("an untimed grace period is not interruptible", e);
        }
    }

    /**
     * Set by the runner of an untimed grace period whose wait for a reader took the caller's interrupt (a park with
     * the status set returns at once), to restore it when the grace period ends. Under gpLock only.
     */
    private boolean swallowedInterrupt;

    /**
     * The grace-period engine. {@code deadline} is a {@link System#nanoTime()} bound, used if {@code timed}.
     *
     * @return false if timed and the deadline passed first
     */
    private boolean awaitGracePeriod(long target, int who, long deadline, boolean timed) throws InterruptedException {
        if ((long) COMPLETED.getAcquire(this) >= target) {
            return true;
        }
        if (timed) {
            if (!gpLock.tryLock(Math.max(0L, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        } else {
            gpLock.lock();
        }
        try {
            if ((long) COMPLETED.getAcquire(this) >= target) {
                return true; // served by a grace period that began after our arrival
            }
            long g = (long) GP.getAndAdd(this, 1L) + 1; // >= target: gp only grows under this lock
            barrier.heavy(); // throws: the grace period did not complete, completed stays, the caller retries
            // No clock is read unless a reader holds the grace period up: a grace period with no reader inside is
            // meant to cost little more than its heavy() (benchmarks/README.md), and two clock reads are much of that
            // margin. So the start recorded is when the scan first found a reader inside, after heavy(): every
            // "inside at least" derived from it stays a lower bound, since it is no earlier than the real start.
            boolean clocked = false;
            long start = 0L;
            StallWarnings.Watch watch = null;
            for (ReaderRegistry.Slot s : registry.snapshot()) { // after heavy(): one registered later cannot hold it
                Record r = (Record) s;
                long e = (long) EPOCH.getAcquire(r);
                if (e == 0 || e >= g) {
                    continue; // outside, or in a section that began after this grace period did
                }
                if (!clocked) {
                    clocked = true;
                    start = stalls.now(); // the stall warnings' clock (a test's own, or nanoTime)
                    // diagnostics, read racily: the time first, the number with release, so that a reader that
                    // acquires this number reads this time or a later grace period's (a smaller bound, still true)
                    GP_TIME.setOpaque(gpTime, (int) (g & RING_MASK), start);
                    GP_NUM.setRelease(gpNum, (int) (g & RING_MASK), g);
                }
                watch = awaitReader(r, g, who, start, watch, deadline, timed);
                if (watch == TIMED_OUT) {
                    return false;
                }
            }
            COMPLETED.setRelease(this, g);
            if (clocked) {
                long took = stalls.now() - start;
                if (took > longestGracePeriod) {
                    LONGEST.setOpaque(this, took); // only under gpLock
                }
            }
            if (watch != null) {
                watch.done();
            }
            return true;
        } finally {
            boolean restore = swallowedInterrupt;
            swallowedInterrupt = false;
            gpLock.unlock();
            if (restore) {
                Thread.currentThread().interrupt(); // the status the caller had, or got while waiting, is kept
            }
        }
    }

    /** Returned by awaitReader when a timed wait ran out. */
    private static final StallWarnings.Watch TIMED_OUT = new StallWarnings.Watch(null, null, 0L, 0L);

    /**
     * Waits while the record shows a section that began before grace period {@code g}. Spins, yields, then parks
     * (readers never signal: that would cost them an atomic). Interrupts neither end nor shorten the wait (a park
     * with the status set returns at once, so it is cleared here and restored by the caller), unless interruptible.
     *
     * @return the grace period's stall watch, created on its first park; {@link #TIMED_OUT} if the deadline passed
     */
    private StallWarnings.Watch awaitReader(Record r, long g, int who, long start, StallWarnings.Watch watch,
                                           long deadline, boolean timed) throws InterruptedException {
        long e = (long) EPOCH.getAcquire(r); // acquire: reading a release store orders everything the section did
        for (int spins = 0; e != 0 && e < g; spins++) {
            if (!r.owner.isAlive()) {
                return watch; // ended inside its section: it can use nothing any more
            }
            if (spins < 100) {
                Thread.onSpinWait();
            } else if (spins < 120) {
                Thread.yield();
            } else {
                if (Thread.interrupted()) {
                    if (timed) {
                        throw new InterruptedException("synchronize(timeout, unit): interrupted while waiting for a"
                                + " reader");
                    }
                    swallowedInterrupt = true; // restored when the grace period ends (under gpLock)
                }
                if (timed && deadline - System.nanoTime() <= 0) {
                    return TIMED_OUT;
                }
                if (watch == null) {
                    watch = stalls.begin("Rcu#" + id + " grace period " + g + " (" + WHO[who] + " on '"
                            + Thread.currentThread().getName() + "')", start);
                }
                if (watch.check(now -> blockers(g, now))) {
                    stallWarnings++; // plain: one grace period at a time (gpLock)
                }
                long nap = Math.min(1_000_000L, 1_000L << Math.min(10, (spins - 120) / 8)); // back off up to 1 ms
                if (timed) {
                    nap = Math.max(1L, Math.min(nap, deadline - System.nanoTime()));
                }
                LockSupport.parkNanos(this, nap);
            }
            e = (long) EPOCH.getAcquire(r);
        }
        return watch;
    }

    /** The live threads inside a section that began before grace period {@code g}: for a stall warning. */
    private List<StallWarnings.Blocker> blockers(long g, long now) {
        List<StallWarnings.Blocker> out = new ArrayList<>();
        for (ReaderRegistry.Slot s : registry.slots()) {
            long e = (long) EPOCH.getOpaque(s);
            if (e != 0 && e < g && s.owner.isAlive()) {
                out.add(new StallWarnings.Blocker(s.owner, insideAtLeast(e, now),
                        "a read section entered during grace period " + e));
            }
        }
        return out;
    }

    /**
     * How long a section that stored epoch {@code e} has been open, at least: it began before grace period
     * {@code e + 1} did (the reader loaded {@code gp == e}), so since at least that grace period's start. Derived from
     * the times the grace periods began to wait for a reader (no earlier than they began), which their runners
     * record: the read side records no time.
     */
    private long insideAtLeast(long e, long now) {
        long next = e + 1;
        if (next > (long) GP.getVolatile(this)) {
            return 0L; // entered during the current grace period: no lower bound yet
        }
        int i = (int) (next & RING_MASK);
        if ((long) GP_NUM.getAcquire(gpNum, i) == next) {
            return Math.max(0L, now - (long) GP_TIME.getOpaque(gpTime, i));
        }
        long oldest = now; // evicted: the section is older than every grace period still recorded
        for (int k = 0; k <= RING_MASK; k++) {
            long n = (long) GP_NUM.getAcquire(gpNum, k);
            if (n > next) { // began after `next`: the section is older than each of them
                long t = (long) GP_TIME.getOpaque(gpTime, k);
                if (t - oldest < 0) {
                    oldest = t;
                }
            }
        }
        return Math.max(0L, now - oldest);
    }

    private void checkOutsideSection(String what) {
        if (insideSection()) {
            throw new IllegalStateException(what + " inside a read section of the same Rcu would wait for that section"
                    + " forever; leave the section first (or use retire()/startPoll(), which do not wait)");
        }
    }

    // ---------------------------------------------------------------------------------------------- counters

    /** Grace periods completed since creation (by {@code synchronize()}, the retire thread, polls and helpers). */
    public long gracePeriodsCompleted() {
        return (long) COMPLETED.getAcquire(this) - 1;
    }

    /** Objects retired whose callback has not run yet (on the stack, or in a batch being reclaimed); a racy sum. */
    public long callbacksPending() {
        Node h = (Node) HEAD.getVolatile(retirer);
        long onStack = h == null || h == Retirer.CLOSED ? 0 : h.depth;
        return onStack + retirer.inFlight.get();
    }

    /**
     * The longest wait for readers of a grace period completed so far, in nanoseconds: from the moment its scan found
     * the first reader inside to its end; 0 while no grace period had to wait. A grace period that finds no reader
     * inside costs one {@code heavy()} and reads no clock (the doctor and the benchmarks time {@code heavy()}).
     */
    public long longestGracePeriodNanos() {
        return (long) LONGEST.getOpaque(this);
    }

    /**
     * How long the oldest read section now open has been open, at least, in nanoseconds (0 if none, or if every open
     * section began during the current grace period). Scans the registered records without a lock: O(reading
     * threads); derived from when the grace periods began to wait for a reader (the read side records no time).
     */
    public long oldestSectionNanos() {
        long min = Long.MAX_VALUE;
        for (ReaderRegistry.Slot s : registry.slots()) {
            long e = (long) EPOCH.getOpaque(s);
            if (e != 0 && e < min && s.owner.isAlive()) {
                min = e;
            }
        }
        return min == Long.MAX_VALUE ? 0L : insideAtLeast(min, stalls.now());
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
     * retire thread, which retries it: nothing retired is ever dropped.
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
        int depth = retirer.push(new Node(object, f));
        if (depth < 0) {
            throw closedForRetire();
        }
        if (depth == 1) {
            retirer.wake();
        } else if (depth > MAX_PENDING && Thread.currentThread() != retirer.worker && !insideSection()) {
            retirer.help();
        } else if ((depth & 1023) == 0) {
            retirer.wake(); // now and then: restarts a retire thread that died (cheap: an unpark per 1024 retires)
        }
    }

    private boolean insideSection() {
        Record r = registry.find();
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
     * @throws IllegalStateException inside a read section of this {@code Rcu}, or in a retire callback (either would
     *                               wait for itself)
     */
    public void barrier() {
        checkOutsideSection("barrier()");
        if (Thread.currentThread() == retirer.worker) {
            throw new IllegalStateException("barrier() in a retire callback would wait for that callback forever");
        }
        if ((Node) HEAD.getVolatile(retirer) == null && retirer.worker == null) {
            return; // nothing was ever retired: no thread to start
        }
        CountDownLatch done = new CountDownLatch(1);
        int depth = retirer.push(new Node(done, Retirer.MARKER));
        if (depth < 0) {
            return; // closed: close() reclaimed everything before it closed the stack
        }
        retirer.wake();
        awaitUninterruptibly(done);
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
     * @throws IllegalStateException inside a read section of this {@code Rcu}, or in a retire callback
     * @throws UnsupportedOperationException on {@link #shared()}, which is never closed
     */
    @Override
    public void close() {
        if (shared) {
            throw new UnsupportedOperationException("close(): Rcu.shared() is process-wide and never closed; create "
                    + "your own with Rcu.create() if you need one you can close");
        }
        checkOutsideSection("close()");
        if (Thread.currentThread() == retirer.worker) {
            throw new IllegalStateException("close() in a retire callback would wait for that callback forever");
        }
        if (!CLOSED.compareAndSet(this, false, true)) {
            awaitUninterruptibly(closeDone); // a racing or later close(): return when the first is done
            return;
        }
        try {
            barrier();
            retirer.stop();
            Batch rest = retirer.take(true); // from now on, retire() fails
            if (rest != null) { // retires that raced with the stop
                retirer.reclaimHere(rest, CLOSING);
            }
            for (Batch b; (b = retirer.orphans.poll()) != null; ) { // a helper's failed batch the thread did not take
                retirer.reclaimHere(b, CLOSING);
            }
            long want = (long) REQUESTED.getVolatile(this); // after closed = true: see startPoll()
            retryGracePeriod(want, CLOSING);
        } finally {
            closeDone.countDown();
        }
    }

    /** Runs (or waits for) grace period {@code target}, retrying while {@code heavy()} fails; logs each failure. */
    void retryGracePeriod(long target, int who) {
        for (int failures = 0; ; failures++) {
            try {
                awaitGracePeriod(target, who);
                return;
            } catch (Throwable t) {
                Log.error("Rcu#" + id + ": a grace period for " + WHO[who] + " failed; retrying (nothing reclaimed)",
                        t);
                LockSupport.parkNanos(this, Retirer.backoff(failures));
            }
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

    @Override
    public String toString() {
        return "Rcu#" + id + "[" + barrier.name() + (shared ? ", shared" : "") + ", grace period "
                + (long) GP.getVolatile(this) + ", completed " + gracePeriodsCompleted() + ", longest wait "
                + TimeUnit.NANOSECONDS.toMicros(longestGracePeriodNanos()) + " us, pending " + callbacksPending()
                + ", oldest section " + TimeUnit.NANOSECONDS.toMillis(oldestSectionNanos()) + " ms, stall warnings "
                + stallWarnings + ((boolean) CLOSED.getVolatile(this) ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------------------------------------- the records

    /** The fields of a record; all written by the owner thread only. */
    abstract static class RecordFields extends ReaderRegistry.Slot { // padded before by Slot
        /**
         * 0 outside a section, else the grace period loaded on entry (at least 1), so it also says whether the owner is
         * inside. Opaque/release stores by the owner only, which also reads it plain.
         */
        long epoch;
        /** The depth beyond the outermost section (0 in an outermost one); plain, owner only. */
        int nest;
        /** The handles of depths 2, 3, ...; created on first use, owner only. */
        Nested[] nested;

        RecordFields(Thread owner) {
            super(owner);
        }
    }

    /** A thread's record, which is also its handle for an outermost section. */
    static final class Record extends RecordFields implements Reader {
        long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

        Record(Thread owner) {
            super(owner);
        }

        /** Enters a section inside the outermost one: depth {@code nest + 2}. */
        Reader enterNested() {
            int n = nest + 1; // the new section's index among the nested ones, from 1
            if (n == Integer.MAX_VALUE - 1) {
                throw new IllegalStateException("read(): sections nested " + n + " deep; a Reader is not closed");
            }
            Nested[] a = nested;
            if (a == null || a.length < n) {
                a = nested = Arrays.copyOf(a == null ? new Nested[0] : a, Math.max(4, 2 * n));
            }
            Nested h = a[n - 1];
            if (h == null) {
                h = a[n - 1] = new Nested(this, n + 1);
            }
            nest = n;
            return h;
        }

        /** Leaves the outermost section. */
        @Override
        public void close() {
            leave(1);
        }

        void leave(int depth) {
            Thread t = Thread.currentThread();
            if (t != owner) {
                throw new IllegalStateException("Reader.close() on thread '" + t.getName() + "', but the section was "
                        + "entered on '" + owner.getName() + "': a section must be left by the thread that entered it");
            }
            int n = epoch == 0 ? 0 : nest + 1; // the depth now
            if (n != depth) {
                throw new IllegalStateException(n < depth
                        ? "Reader.close(): this section (depth " + depth + ") is already closed"
                        : "Reader.close(): an inner section (depth " + n + ") is still open; close it first");
            }
            if (depth == 1) {
                EPOCH.setRelease(this, 0L); // LoadStore|StoreStore: the section's accesses stay before
            } else {
                nest = depth - 2;
            }
        }
    }

    /** The handle of a nested section: only counts. */
    static final class Nested implements Reader {
        private final Record record;
        private final int depth;

        Nested(Record record, int depth) {
            this.record = record;
            this.depth = depth;
        }

        @Override
        public void close() {
            record.leave(depth);
        }
    }

    // ------------------------------------------------------------------------------------------ the retire side

    /** A retired object, on a Treiber stack; {@code next} and {@code depth} are set before the CAS publishes it. */
    static final class Node {
        final Object object;
        final Consumer<Object> reclaim;
        Node next;
        int depth;

        Node(Object object, Consumer<Object> reclaim) {
            this.object = object;
            this.reclaim = reclaim;
        }
    }

    /** A batch taken off the stack, with its place in the order of taking (for barrier()). */
    static final class Batch {
        final Node top;
        final long ticket;

        Batch(Node top, long ticket) {
            this.top = top;
            this.ticket = ticket;
        }
    }

    /** Keeps the retire stack's head, written by every retire(), off the Rcu's read-mostly line. */
    abstract static class RetirerPad {
        int pi; // the gap after the header: see ReaderRegistry.Slot
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    /**
     * The retire stack and its thread. Fault model: the thread's loop survives anything a grace period, a callback
     * or the logger throws (a batch whose grace period failed is kept and retried, never dropped), and if the thread
     * dies all the same, the batch it held goes back to {@link #orphans} and the next {@link #wake()} starts a new
     * one. A batch is counted open from its taking until its callbacks ran; a barrier marker opens its latch only
     * when every batch taken before its own has been reclaimed, whichever thread reclaims it.
     */
    final class Retirer extends RetirerPad {
        /** The stack head after close(): pushes fail. */
        static final Node CLOSED = new Node(null, null);
        /** The reclaim of barrier()'s markers; recognised by identity, run only in order (see finish). */
        static final Consumer<Object> MARKER = l -> ((CountDownLatch) l).countDown();

        /** Treiber stack of retired objects; CAS by retire(), CAS out under takeLock by whoever reclaims. */
        volatile Node head;
        /** The current retire thread (replaced if it ever dies), or null before first use. Under this monitor. */
        volatile Thread worker;
        private volatile boolean stopping;
        /** Batches whose grace period failed on a helper, for the retire thread to retry. */
        final ConcurrentLinkedQueue<Batch> orphans = new ConcurrentLinkedQueue<>();
        /** Objects taken off the stack whose callbacks have not run yet. */
        final AtomicLong inFlight = new AtomicLong();
        /** Grace periods of batches that failed and were retried. */
        final AtomicLong failures = new AtomicLong();
        /** Held for a few instructions (take, finish): never while a grace period or a callback runs. */
        private final ReentrantLock takeLock = new ReentrantLock();
        private long taken;                                        // under takeLock
        private final TreeSet<Long> open = new TreeSet<>();        // under takeLock
        private final ArrayList<long[]> deferredTickets = new ArrayList<>(); // under takeLock, parallel to:
        private final ArrayList<List<CountDownLatch>> deferred = new ArrayList<>();

        /** Pushes; returns the stack depth including {@code n}, or -1 if closed. */
        int push(Node n) {
            while (true) {
                Node h = (Node) HEAD.getVolatile(this);
                if (h == CLOSED) {
                    return -1;
                }
                n.next = h;
                n.depth = h == null ? 1 : h.depth + 1;
                if (HEAD.compareAndSet(this, h, n)) { // release: the node's fields and the caller's stores
                    return n.depth;
                }
            }
        }

        /** Takes the whole stack (or, for close(), closes it) and gives the batch its ticket; null if empty. */
        Batch take(boolean close) {
            takeLock.lock();
            try {
                Node h;
                do {
                    h = (Node) HEAD.getVolatile(this);
                    if (h == CLOSED) {
                        return null;
                    }
                    if (h == null && !close) {
                        return null;
                    }
                } while (!HEAD.compareAndSet(this, h, close ? CLOSED : null)); // acquire: the retirers' stores
                if (h == null) {
                    return null;
                }
                long t = ++taken;
                open.add(t);
                inFlight.addAndGet(h.depth);
                return new Batch(h, t);
            } finally {
                takeLock.unlock();
            }
        }

        /** The batch's callbacks ran: release the markers that no older open batch holds back. */
        private void finish(Batch b, List<CountDownLatch> markers) {
            List<CountDownLatch> release = new ArrayList<>();
            takeLock.lock();
            try {
                open.remove(b.ticket);
                if (!markers.isEmpty()) {
                    deferredTickets.add(new long[] {b.ticket});
                    deferred.add(markers);
                }
                long oldestOpen = open.isEmpty() ? Long.MAX_VALUE : open.first();
                for (int i = deferred.size() - 1; i >= 0; i--) {
                    if (deferredTickets.get(i)[0] < oldestOpen) {
                        release.addAll(deferred.remove(i));
                        deferredTickets.remove(i);
                    }
                }
            } finally {
                takeLock.unlock();
            }
            for (CountDownLatch l : release) {
                l.countDown();
            }
        }

        void wake() {
            Thread t = worker;
            if (t == null || t.getState() == Thread.State.TERMINATED) {
                t = start();
            }
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        private synchronized Thread start() {
            Thread w = worker;
            if (!stopping && (w == null || w.getState() == Thread.State.TERMINATED)) {
                Thread t = threads == null ? defaultThread(this::run, "processbarrier-rcu-" + id + "-retire")
                        : threads.newThread(this::run);
                if (t == null) {
                    throw new IllegalStateException("Rcu#" + id + ": the ThreadFactory given to Rcu.create returned "
                            + "null; it must return a new, unstarted thread");
                }
                worker = t;
                t.start();
                if (w != null) {
                    Log.error("Rcu#" + id + ": the retire thread " + w.getName() + " had died; started "
                            + t.getName(), null);
                }
            }
            return worker;
        }

        void stop() {
            Thread t;
            synchronized (this) {
                stopping = true;
                t = worker;
            }
            if (t == null) {
                return;
            }
            LockSupport.unpark(t);
            boolean interrupted = false;
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private void run() {
            Batch mine = null;
            try {
                for (int failed = 0; ; ) {
                    try {
                        if (mine == null) {
                            mine = orphans.poll();
                        }
                        if (mine == null) {
                            mine = take(false);
                        }
                        if (mine != null) {
                            awaitGracePeriod(arrive(), RETIRE_THREAD); // begins after every push of the batch
                            Batch b = mine;
                            mine = null; // the grace period completed: only now may the callbacks run
                            failed = 0;
                            runCallbacks(b);
                            continue;
                        }
                        long want = (long) REQUESTED.getVolatile(Rcu.this);
                        if ((long) COMPLETED.getAcquire(Rcu.this) < want) {
                            awaitGracePeriod(want, RETIRE_THREAD);
                            failed = 0;
                            continue;
                        }
                        if (stopping) {
                            return;
                        }
                        Thread.interrupted(); // nobody may interrupt this thread into spinning
                        LockSupport.park(this); // woken by the push onto an empty stack, startPoll() or stop()
                    } catch (Throwable e) { // heavy() failed, or worse: nothing was reclaimed; the batch is kept
                        failures.incrementAndGet();
                        Log.error("Rcu#" + id + " retire thread: a grace period failed; retrying, nothing is lost", e);
                        Thread.interrupted();
                        LockSupport.parkNanos(this, backoff(failed++));
                    }
                }
            } finally {
                if (mine != null) { // dying all the same (an Error in the handler above): hand the batch on
                    orphans.add(mine);
                }
            }
        }

        /** 1 ms, doubling up to 1 s: a barrier that fails for a while is not hammered, one that recovers is soon used. */
        static long backoff(int failures) {
            return TimeUnit.MILLISECONDS.toNanos(1L << Math.min(10, failures));
        }

        /** Called by a retire() that found more than MAX_PENDING waiting: reclaims the stack on the caller's thread. */
        void help() {
            Batch b = take(false);
            if (b == null) {
                return; // someone else took it
            }
            try {
                awaitGracePeriod(arrive(), HELPER);
            } catch (Throwable t) { // the retire thread retries it: the caller's retire() succeeded
                failures.incrementAndGet();
                orphans.add(b);
                Log.error("Rcu#" + id + ": a grace period failed while retire() helped; the retire thread retries it",
                        t);
                wake();
                return;
            }
            runCallbacks(b);
        }

        /** For close(): a grace period (retried until one completes), then the batch's callbacks, on this thread. */
        void reclaimHere(Batch b, int who) {
            retryGracePeriod(arrive(), who);
            runCallbacks(b);
        }

        /** Runs the callbacks of a batch whose grace period completed, oldest first; never throws. */
        void runCallbacks(Batch b) {
            List<CountDownLatch> markers = new ArrayList<>(0);
            try {
                Node prev = null;
                for (Node n = b.top; n != null; ) {
                    Node next = n.next;
                    n.next = prev;
                    prev = n;
                    n = next;
                }
                for (Node n = prev; n != null; ) {
                    Node next = n.next;
                    n.next = null;
                    if (n.reclaim == MARKER) {
                        markers.add((CountDownLatch) n.object);
                    } else {
                        try {
                            n.reclaim.accept(n.object);
                        } catch (Throwable t) {
                            Log.error("Rcu retire callback " + n.reclaim.getClass().getName() + " threw for an object"
                                    + " of " + n.object.getClass().getName() + "; the other callbacks still run", t);
                        }
                    }
                    inFlight.decrementAndGet();
                    n = next;
                }
            } finally {
                finish(b, markers);
            }
        }
    }

    /**
     * The default retire thread (and {@code ReadMostlyLock}'s burst timer): inherits nothing from whoever first
     * retires (like the JDK's InnocuousThread): no context class loader (a web application's loader stays
     * collectable after an undeploy), no inheritable thread-locals, no access-control context of the creator's stack
     * (on JDK 17 a thread keeps its creator's {@code AccessControlContext}, whose protection domains hold the class
     * loaders of every class on that stack), the system thread group (not the creator's), normal priority, a daemon
     * named after its {@code Rcu}.
     */
    @SuppressWarnings("removal") // AccessController: the JDK 17 access-control context, gone from JDK 24 on
    static Thread defaultThread(Runnable task, String name) {
        java.security.PrivilegedAction<Thread> make = () -> {
            Thread t = new Thread(systemGroup(), task, name, 0, false);
            t.setDaemon(true);
            t.setContextClassLoader(null);
            t.setPriority(Thread.NORM_PRIORITY);
            return t;
        };
        return java.security.AccessController.doPrivileged(make, NothingInherited.CONTEXT);
    }

    /** The root of the thread groups: a thread there keeps no application's group alive. */
    private static ThreadGroup systemGroup() {
        ThreadGroup g = Thread.currentThread().getThreadGroup();
        for (ThreadGroup p = g == null ? null : g.getParent(); p != null; p = p.getParent()) {
            g = p;
        }
        return g;
    }

    @SuppressWarnings("removal")
    private static final class NothingInherited {
        /** As the JDK's InnocuousThread: one protection domain with no code source and no permissions. */
        static final java.security.AccessControlContext CONTEXT = new java.security.AccessControlContext(
                new java.security.ProtectionDomain[] {new java.security.ProtectionDomain(null, null)});
    }

    /** The logger, created on first use (the first System.Logger costs tens of milliseconds). */
    private static final class Log {
        static final System.Logger LOGGER = System.getLogger(Rcu.class.getName());

        /** Logs; a logger or handler that throws (anything) is survived: reclamation must not depend on logging. */
        static void error(String message, Throwable t) {
            try {
                LOGGER.log(System.Logger.Level.ERROR, message, t);
            } catch (Throwable ignored) {
                // nothing to do: the log is broken, reclamation goes on
            }
        }
    }
}
