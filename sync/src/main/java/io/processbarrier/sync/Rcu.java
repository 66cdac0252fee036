package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Read-copy-update for the JVM: read-side sections that execute no fence and no atomic instruction, a
 * {@link #synchronize()} that waits for every section already begun, and deferred reclamation ({@link #retire}) after
 * a grace period. The JVM counterpart of liburcu ({@code rcu_read_lock}, {@code synchronize_rcu}, {@code call_rcu},
 * {@code start_poll_synchronize_rcu}) and folly's {@code rcu_domain}, built on {@link ProcessBarrier}.
 *
 * <pre>{@code
 * static final Rcu RCU = Rcu.create();
 * volatile Config config;                          // readers follow it, the writer swaps it
 *
 * int read() {                                     // any number of threads, platform or virtual
 *     try (Rcu.Reader r = RCU.read()) {
 *         return config.lookup();                  // config cannot be reclaimed while we are inside
 *     }
 * }
 * void update(Config next) {                       // the rare writer
 *     Config old = config;
 *     config = next;                               // unlink first
 *     RCU.retire(old, Config::release);            // release(old) once no reader can still hold it
 * }
 * }</pre>
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
 * only). Entering the outermost section: {@code e = gp} (acquire load); {@code record.epoch = e} (opaque store);
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
 * Memory is bounded: when more than {@value #MAX_PENDING} objects wait, {@code retire} blocks until the retire thread
 * has taken them (that is, until the previous batch's grace period and callbacks are done), so at most about twice
 * that many objects are held. Except where waiting would deadlock: inside a read section of this {@code Rcu} and on
 * the retire thread itself (a callback that retires), {@code retire} never blocks. A callback that throws is logged
 * through {@link System.Logger} (logger {@code io.processbarrier.sync.Rcu}, level {@code ERROR}) and the others run.
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

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            GP = l.findVarHandle(Rcu.class, "gp", long.class);
            COMPLETED = l.findVarHandle(Rcu.class, "completed", long.class);
            REQUESTED = l.findVarHandle(Rcu.class, "requested", long.class);
            CLOSED = l.findVarHandle(Rcu.class, "closed", boolean.class);
            EPOCH = l.findVarHandle(RecordFields.class, "epoch", long.class);
            HEAD = l.findVarHandle(Retirer.class, "head", Node.class);
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

    private Rcu(ProcessBarrier barrier) {
        this.barrier = Objects.requireNonNull(barrier, "barrier: pass ProcessBarrier.get() or ProcessBarrier.of(name)");
        this.registry = new ReaderRegistry<>(Record::new, Record[]::new, new ReentrantLock());
        this.front = registry.front();
        this.retirer = new Retirer();
    }

    /**
     * An {@code Rcu} on {@link ProcessBarrier#get()}, the best barrier of this process.
     *
     * @throws io.processbarrier.ProcessBarrierException as {@link ProcessBarrier#get()}
     */
    public static Rcu create() {
        return new Rcu(ProcessBarrier.get());
    }

    /** An {@code Rcu} on the given barrier: its {@code light()} on the read side, its {@code heavy()} per grace period. */
    public static Rcu create(ProcessBarrier barrier) {
        return new Rcu(barrier);
    }

    // ------------------------------------------------------------------------------------------------- read side

    /**
     * Enters a read-side section; close the returned {@link Reader} (try-with-resources) to leave it. Sections nest:
     * an inner {@code read()} returns another handle, to be closed first. The outermost entry is an acquire load of
     * the grace-period number, an opaque store to the calling thread's own record and {@code light()}: no fence (on
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
        EPOCH.setOpaque(r, e);
        try {
            barrier.light(); // store-buffering with heavy(): the store above is seen, or our loads see the writer
        } catch (Throwable x) { // e.g. a StackOverflowError at the call: no handle, so leave no section behind
            EPOCH.setRelease(r, 0L);
            throw x;
        }
        return r;
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
     * @throws IllegalStateException if the calling thread is inside a read section of this {@code Rcu} (it would wait
     *                               for itself forever)
     */
    public void synchronize() {
        checkOutsideSection("synchronize()");
        awaitGracePeriod(arrive());
    }

    /**
     * A grace-period cookie for {@link #poll(long)}, and a request that the retire thread run that grace period
     * (started on first use). Never blocks. Memory ordering as {@link #synchronize()}'s arrival: the caller's earlier
     * stores happen-before the grace period.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public long startPoll() {
        if ((boolean) CLOSED.getOpaque(this)) {
            throw new IllegalStateException("startPoll(): this Rcu is closed; its retire thread is stopped");
        }
        long cookie = arrive();
        long r;
        do {
            r = (long) REQUESTED.getVolatile(this);
        } while (r < cookie && !REQUESTED.compareAndSet(this, r, cookie));
        retirer.wake();
        return cookie;
    }

    /**
     * Whether the grace period of {@code cookie} has completed: then no section that began before the
     * {@link #startPoll()} that returned it is still running (an acquire of everything they did). Never blocks.
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

    /** Returns once grace period {@code target} (or a later one) has completed, running it if nobody else does. */
    void awaitGracePeriod(long target) {
        if ((long) COMPLETED.getAcquire(this) >= target) {
            return;
        }
        gpLock.lock();
        try {
            if ((long) COMPLETED.getAcquire(this) >= target) {
                return; // served by a grace period that began after our arrival
            }
            long g = (long) GP.getAndAdd(this, 1L) + 1; // >= target: gp only grows under this lock
            barrier.heavy();
            for (ReaderRegistry.Slot r : registry.snapshot()) { // after heavy(): one registered later cannot hold it
                awaitReader((Record) r, g);
            }
            COMPLETED.setRelease(this, g);
        } finally {
            gpLock.unlock();
        }
    }

    /** Waits while the record shows a section that began before grace period {@code g}. */
    private static void awaitReader(Record r, long g) {
        long e = (long) EPOCH.getAcquire(r); // acquire: a 0 read here is after everything the section did
        for (int spins = 0; e != 0 && e < g; spins++) {
            if (!r.owner.isAlive()) {
                return; // ended inside its section: it can use nothing any more
            }
            if (spins < 100) {
                Thread.onSpinWait();
            } else if (spins < 120) {
                Thread.yield();
            } else {
                // readers never signal (that would cost them an atomic): poll, backing off up to 1 ms
                LockSupport.parkNanos(Math.min(1_000_000L, 1_000L << Math.min(10, (spins - 120) / 8)));
            }
            e = (long) EPOCH.getAcquire(r);
        }
    }

    private void checkOutsideSection(String what) {
        if (insideSection()) {
            throw new IllegalStateException(what + " inside a read section of the same Rcu would wait for that section"
                    + " forever; leave the section first (or use retire()/startPoll(), which do not wait)");
        }
    }

    // -------------------------------------------------------------------------------------------------- retire

    /**
     * Calls {@code reclaim.accept(object)} on the retire thread after a grace period that begins after this call:
     * once no read section can still hold {@code object}. Unlink the object first. One CAS on a shared stack and an
     * allocation of 24 bytes. Blocks (back-pressure) while more than {@link #MAX_PENDING} objects wait, except inside
     * a read section of this {@code Rcu} and on the retire thread. Memory ordering: the caller's earlier stores
     * happen-before the grace period, and the sections it waits for happen-before {@code reclaim}.
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
        } else if (depth > MAX_PENDING && Thread.currentThread() != retirer.worker
                && !insideSection()) {
            retirer.awaitRoom();
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
     * plus the callbacks of the batches ahead). Returns at once if nothing was ever retired, or after close().
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
        int depth = retirer.push(new Node(done, l -> ((CountDownLatch) l).countDown()));
        if (depth < 0) {
            return; // closed: close() reclaimed everything before it closed the stack
        }
        if (depth == 1) {
            retirer.wake();
        }
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
     * close() returns has been reclaimed; a {@code retire} racing with it either is reclaimed or throws.
     * Idempotent.
     *
     * @throws IllegalStateException inside a read section of this {@code Rcu}, or in a retire callback
     */
    @Override
    public void close() {
        checkOutsideSection("close()");
        if (Thread.currentThread() == retirer.worker) {
            throw new IllegalStateException("close() in a retire callback would wait for that callback forever");
        }
        if (!CLOSED.compareAndSet(this, false, true)) {
            return;
        }
        barrier();
        retirer.stop();
        Node rest = (Node) HEAD.getAndSet(retirer, Retirer.CLOSED); // from now on, retire() fails
        if (rest != null) { // retires that raced with the stop
            awaitGracePeriod(arrive());
            retirer.reclaim(rest);
        }
        retirer.signalRoom();
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

    @Override
    public String toString() {
        return "Rcu#" + id + "[" + barrier.name() + ", grace period " + (long) GP.getVolatile(this) + "]";
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

    /** Keeps the retire stack's head, written by every retire(), off the Rcu's read-mostly line. */
    abstract static class RetirerPad {
        int pi; // the gap after the header: see ReaderRegistry.Slot
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    /** The retire stack and its thread. */
    final class Retirer extends RetirerPad {
        /** The stack head after close(): pushes fail. */
        static final Node CLOSED = new Node(null, null);

        /** Treiber stack of retired objects; CAS by retire(), getAndSet by the retire thread and close(). */
        volatile Node head;
        /** Started on first use (under this object's monitor), never replaced. */
        volatile Thread worker;
        private volatile boolean stopping;
        /** Producers blocked by back-pressure; read without the lock by the retire thread. */
        private volatile int waiting;
        private final ReentrantLock roomLock = new ReentrantLock();
        private final Condition room = roomLock.newCondition();

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

        void wake() {
            Thread t = worker;
            if (t == null) {
                t = start();
            }
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        private synchronized Thread start() {
            if (worker == null && !stopping) {
                Thread t = new Thread(this::run, "processbarrier-rcu-" + id + "-retire");
                t.setDaemon(true);
                worker = t;
                t.start();
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
            while (true) {
                try {
                    Node batch = (Node) HEAD.getAndSet(this, null); // acquire: the retirers' stores
                    if (batch != null) {
                        if (waiting > 0) {
                            signalRoom();
                        }
                        awaitGracePeriod(arrive()); // begins after every push of the batch
                        reclaim(batch);
                        continue;
                    }
                    long want = (long) REQUESTED.getVolatile(Rcu.this);
                    if ((long) COMPLETED.getAcquire(Rcu.this) < want) {
                        awaitGracePeriod(want);
                        continue;
                    }
                    if (stopping) {
                        return;
                    }
                    LockSupport.park(this); // woken by the push onto an empty stack, startPoll() or stop()
                } catch (RuntimeException | Error e) { // heavy() failed: nothing was reclaimed; retry later
                    Log.error("Rcu retire thread: a grace period failed; retrying in 100 ms", e);
                    LockSupport.parkNanos(100_000_000L);
                }
            }
        }

        /** Runs the callbacks of a batch taken from the stack, oldest first. */
        void reclaim(Node batch) {
            Node prev = null;
            for (Node n = batch; n != null; ) {
                Node next = n.next;
                n.next = prev;
                prev = n;
                n = next;
            }
            for (Node n = prev; n != null; ) {
                Node next = n.next;
                n.next = null;
                try {
                    n.reclaim.accept(n.object);
                } catch (Throwable t) {
                    Log.error("Rcu retire callback " + n.reclaim.getClass().getName() + " threw for an object of "
                            + n.object.getClass().getName() + "; the other callbacks still run", t);
                }
                n = next;
            }
        }

        void awaitRoom() {
            boolean interrupted = false;
            roomLock.lock();
            try {
                waiting++; // under the lock; the volatile write is the retire thread's cue
                while (true) {
                    Node h = (Node) HEAD.getVolatile(this);
                    if (h == null || h == CLOSED || h.depth <= MAX_PENDING) {
                        break;
                    }
                    try {
                        room.await(10, TimeUnit.MILLISECONDS); // bounded: re-check even without a signal
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                waiting--;
                roomLock.unlock();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        void signalRoom() {
            roomLock.lock();
            try {
                room.signalAll();
            } finally {
                roomLock.unlock();
            }
        }
    }

    /** The logger, created on first use (the first System.Logger costs tens of milliseconds). */
    private static final class Log {
        static final System.Logger LOGGER = System.getLogger(Rcu.class.getName());

        static void error(String message, Throwable t) {
            LOGGER.log(System.Logger.Level.ERROR, message, t);
        }
    }
}
