package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The grace-period engine of an {@link Rcu}: the grace-period number {@code gp} that readers copy, the number of the
 * latest grace period completed, the lock that lets one grace period run at a time, the wait for the readers that
 * block one, and the diagnostics derived from it (stall warnings, the longest wait, how long the oldest section has
 * been open). The read side (in {@link Rcu} and {@link RcuRecord}) and the retire side ({@link RcuRetirer}) are
 * elsewhere; {@code Rcu} extends this class only so that a reader's load of {@code gp} is a field of the object it
 * already holds (no extra dependent load on the read side).
 *
 * <p><b>Fault model.</b> A {@code heavy()} that throws (anything) leaves the grace period incomplete: {@code completed}
 * is not advanced, the lock is released, the exception reaches the caller, and the next caller runs a grace period
 * again ({@link #retryGracePeriod} retries with a back-off for callers that must not give up). A logger or a stall
 * warning that throws never escapes (see {@link StallWarnings}). An interrupt neither ends nor shortens an untimed
 * wait: the status is cleared while waiting (a park with it set would return at once) and restored when the grace
 * period ends; a timed wait throws {@link InterruptedException}. A reader whose thread has ended (inside a section
 * or not) is not waited for: {@link Thread#isAlive()} {@code false} happens-after everything it did. Nothing here
 * holds a thread or a class loader beyond the registry's records (see {@link ReaderRegistry}).
 */
abstract class RcuGracePeriods {
    private static final AtomicInteger IDS = new AtomicInteger();
    static final VarHandle GP;
    static final VarHandle COMPLETED;
    static final VarHandle REQUESTED;
    private static final VarHandle LONGEST;
    private static final VarHandle GP_NUM = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle GP_TIME = GP_NUM;
    /** The grace periods whose start time is recorded for diagnostics: the last 64. */
    private static final int RING_MASK = 63;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            GP = l.findVarHandle(RcuGracePeriods.class, "gp", long.class);
            COMPLETED = l.findVarHandle(RcuGracePeriods.class, "completed", long.class);
            REQUESTED = l.findVarHandle(RcuGracePeriods.class, "requested", long.class);
            LONGEST = l.findVarHandle(RcuGracePeriods.class, "longestGracePeriod", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        linkAccesses();
    }

    /** Links every VarHandle access this class makes: see {@link VarHandleLinks}. */
    private static void linkAccesses() {
        RcuGracePeriods none = null;
        RcuRecord noRecord = null;
        ReaderRegistry.Slot noSlot = null;
        long[] noRing = null;
        VarHandleLinks.link(
                () -> { long l = (long) COMPLETED.getAcquire(none); },
                () -> { long l = (long) RcuRecord.EPOCH.getAcquire(noRecord); },
                () -> { long l = (long) GP_NUM.getAcquire(noRing, 0); },
                () -> { long l = (long) GP.getAndAdd(none, 0L); },
                () -> { long l = (long) COMPLETED.getOpaque(none); },
                () -> { long l = (long) RcuRecord.EPOCH.getOpaque(noSlot); },
                () -> { long l = (long) GP_TIME.getOpaque(noRing, 0); },
                () -> { long l = (long) GP.getVolatile(none); },
                () -> LONGEST.setOpaque(none, 0L),
                () -> GP_TIME.setOpaque(noRing, 0, 0L),
                () -> COMPLETED.setRelease(none, 0L),
                () -> GP_NUM.setRelease(noRing, 0, 0L));
    }

    // Read by every reader on entry, written once per grace period: a read-mostly line. The retire stack, written
    // by every retire(), lives in its own padded object (RcuRetirer) so that retiring does not slow reading.
    /**
     * Not final: a {@link DeferredBarrier} (the first {@code ProcessBarrier.get()}, its selection still running) is
     * exchanged here for the barrier it selected once that exists, so that readers stop paying its check; a reader
     * that still reads the old one is ordered as well (see DeferredBarrier).
     */
    ProcessBarrier barrier;
    final ReaderRegistry<RcuRecord> registry;
    /** The latest grace period begun; readers copy it into their record. Atomic RMW by writers, acquire by readers. */
    volatile long gp = 1;
    /** The latest grace period completed: release store by its runner, acquire loads by everyone who waits. */
    volatile long completed = 1;
    /** The highest grace period asked for by startPoll(), for the retire thread to run. */
    volatile long requested = 1;
    final ReentrantLock gpLock = new ReentrantLock();
    /**
     * The sections of threads without a record (see "Threads that read rarely" in {@link Rcu}): per stripe, the
     * sections begun ({@code LOCK + index}) and ended ({@code UNLOCK + index}) under each of the two indexes, and the
     * id of the last thread to begin one there.
     */
    final ReaderStripes stripes = new ReaderStripes(5);
    static final int LOCK = 0;
    static final int UNLOCK = 2;
    static final int LAST_ID = 4;
    /** The index that sections without a record count under now (0 or 1): flipped by each grace period. */
    volatile int phase;
    final int id = IDS.incrementAndGet();
    final StallWarnings stalls;
    /**
     * Diagnostics, written under gpLock only: the number, and when it first found a reader inside (the stall clock), of
     * the last grace periods that had to wait. A grace period that waits for nobody records nothing.
     */
    private final long[] gpNum = new long[RING_MASK + 1];
    private final long[] gpTime = new long[RING_MASK + 1];
    /** The longest wait for readers of a grace period, ns: opaque stores under gpLock, opaque loads by anyone. */
    private long longestGracePeriod;
    /** For the controls of the tests: grace periods skip the stripes (they forget every reader without a record). */
    volatile boolean skipStripes;
    /** Stall warnings logged: written under gpLock, read by anyone. */
    volatile long stallWarnings;

    RcuGracePeriods(ProcessBarrier barrier, StallWarnings stalls) {
        this.barrier = Objects.requireNonNull(barrier, "barrier: pass ProcessBarrier.get() or ProcessBarrier.of(name)");
        this.stalls = stalls != null ? stalls : StallWarnings.system(RcuLog::logger);
        this.registry = new ReaderRegistry<>(RcuRecord::new, RcuRecord[]::new, new ReentrantLock());
    }

    /**
     * The grace period a caller arriving now needs: the next one to begin. An atomic read-modify-write (not a plain
     * read), so that the caller's earlier stores happen-before the increment that begins it, whoever runs it.
     */
    final long arrive() {
        return (long) GP.getAndAdd(this, 0L) + 1;
    }

    static final int SYNCHRONIZE = 0;
    static final int RETIRE_THREAD = 1;
    static final int HELPER = 2;
    static final int CLOSING = 3;
    /**
     * A writer's heavy(), through the barrier the construct was made with or, once a {@link DeferredBarrier}'s
     * selection is over, through the barrier it selected: stored after heavy() (a plain store, once, by a writer,
     * which the claim or the grace-period lock serializes), so that readers stop paying the deferred one's check; a
     * reader that still reads the deferred one is ordered as well (see DeferredBarrier).
     */
    final void writerHeavy() {
        ProcessBarrier b = barrier;
        ProcessBarrier r = DeferredBarrier.resolve(b);
        r.heavy();
        if (r != b) {
            barrier = r;
        }
    }

    private static final String[] WHO = {"synchronize()", "the retire thread (retire, barrier, poll)",
        "retire() helping to reclaim (more than MAX_PENDING waiting)", "close()"};
    /** What retryGracePeriod logs, per caller: built once, not on a path that may run on a full heap. */
    private static final String[] RETRYING = {": a grace period for " + WHO[0] + " failed; retrying (nothing reclaimed)",
        ": a grace period for " + WHO[1] + " failed; retrying (nothing reclaimed)",
        ": a grace period for " + WHO[2] + " failed; retrying (nothing reclaimed)",
        ": a grace period for " + WHO[3] + " failed; retrying (nothing reclaimed)"};

    /** Returns once grace period {@code target} (or a later one) has completed, running it if nobody else does. */
    final void awaitGracePeriod(long target, int who) {
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
    final boolean awaitGracePeriod(long target, int who, long deadline, boolean timed) throws InterruptedException {
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
            writerHeavy(); // throws: the grace period did not complete, completed stays, the caller retries
            // No clock is read unless a reader holds the grace period up: a grace period with no reader inside is
            // meant to cost little more than its heavy() (benchmarks/README.md), and two clock reads are much of that
            // margin. So the start recorded is when the scan first found a reader inside, after heavy(): every
            // "inside at least" derived from it stays a lower bound, since it is no earlier than the real start.
            boolean clocked = false;
            long start = 0L;
            StallWarnings.Watch watch = null;
            for (ReaderRegistry.Slot s : registry.snapshot()) { // after heavy(): one registered later cannot hold it
                RcuRecord r = (RcuRecord) s;
                long e = (long) RcuRecord.EPOCH.getAcquire(r);
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
            if (!skipStripes) {
                if (!clocked) { // no clock read unless the stripes hold us up: see above
                    long ended0 = stripes.sum(UNLOCK) + stripes.sum(UNLOCK + 1);
                    if (stripes.sum(LOCK) + stripes.sum(LOCK + 1) != ended0) {
                        clocked = true;
                        start = stalls.now();
                        GP_TIME.setOpaque(gpTime, (int) (g & RING_MASK), start);
                        GP_NUM.setRelease(gpNum, (int) (g & RING_MASK), g);
                    }
                }
                watch = awaitStripes(g, who, start, watch, deadline, timed);
                if (watch == TIMED_OUT) {
                    return false;
                }
            }
            // Monotonic: a grace period may run inside another on the same thread (gpLock is reentrant: a stall
            // warning's log handler that calls synchronize(), a retire() that helps under back-pressure from there);
            // the inner one completed a later number, which the outer one must not lower (poll() would turn false).
            if (g > (long) COMPLETED.getOpaque(this)) { // opaque: written only under gpLock, which we hold
                COMPLETED.setRelease(this, g);
            }
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
     * @return the grace period's stall watch, created on its first park (null while the heap has no room for it);
     *         {@link #TIMED_OUT} if the deadline passed
     */
    private StallWarnings.Watch awaitReader(RcuRecord r, long g, int who, long start, StallWarnings.Watch watch,
                                           long deadline, boolean timed) throws InterruptedException {
        // acquire: reading a release store orders everything the section did
        long e = (long) RcuRecord.EPOCH.getAcquire(r);
        for (int spins = 0; e != 0 && e < g; spins++) {
            if (r.ownerGone()) {
                return watch; // ended inside its section: it can use nothing any more
            }
            watch = backOff(spins, g, who, start, watch, deadline, timed);
            if (watch == TIMED_OUT) {
                return TIMED_OUT;
            }
            e = (long) RcuRecord.EPOCH.getAcquire(r);
        }
        return watch;
    }

    /**
     * One step of a grace period's wait for readers: spins, then yields, then parks with a growing back-off (readers
     * never signal: that would cost them an atomic), logging stall warnings when due. Interrupts neither end nor
     * shorten an untimed wait (the status is cleared here and restored when the grace period ends).
     *
     * @return the grace period's stall watch, created on its first park (null while the heap has no room for it);
     *         {@link #TIMED_OUT} if the deadline passed
     */
    private StallWarnings.Watch backOff(int spins, long g, int who, long start, StallWarnings.Watch watch,
                                        long deadline, boolean timed) throws InterruptedException {
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
                watch = stallWatch(g, who, start);
            }
            if (watch != null && watch.enabled()) {
                try {
                    if (watch.check(now -> blockers(g, now))) {
                        stallWarnings++; // plain: one grace period at a time (gpLock)
                    }
                } catch (OutOfMemoryError full) {
                    // the lambda's object: on a full heap the wait goes on unwatched until there is room again
                }
            }
            long nap = Math.min(1_000_000L, 1_000L << Math.min(10, (spins - 120) / 8)); // back off up to 1 ms
            if (timed) {
                nap = Math.max(1L, Math.min(nap, deadline - System.nanoTime()));
            }
            LockSupport.parkNanos(this, nap);
        }
        return watch;
    }

    /**
     * The grace period's stall watch: {@link StallWarnings#OFF} if warnings are off (no message built, nothing
     * allocated); null if the heap has no room for the message, and the next park tries again. A full heap must not
     * fail the grace period: the callbacks it would let run may be what frees the heap, and the retire thread would
     * only back off and retry into the same wait.
     */
    private StallWarnings.Watch stallWatch(long g, int who, long start) {
        if (!stalls.enabled()) {
            return StallWarnings.OFF;
        }
        try {
            return stalls.begin("Rcu#" + id + " grace period " + g + " (" + WHO[who] + " on '"
                    + Thread.currentThread().getName() + "')", start, true);
        } catch (OutOfMemoryError full) {
            return null;
        }
    }

    /**
     * Waits until every section counted under stripe index {@code i} that began before this call has ended: sums the
     * sections ended under {@code i} over every stripe, then the sections begun (volatile loads, in that order), and
     * is done when the two are equal (the SRCU check; see "Threads that read rarely" in {@link Rcu}).
     */
    private StallWarnings.Watch awaitIndex(int i, long g, int who, long start, StallWarnings.Watch watch,
                                           long deadline, boolean timed) throws InterruptedException {
        for (int spins = 0; ; spins++) {
            long ended = stripes.sum(UNLOCK + i); // first: a section whose end is counted has its beginning counted
            long begun = stripes.sum(LOCK + i);
            if (begun == ended) {
                return watch;
            }
            watch = backOff(spins, g, who, start, watch, deadline, timed);
            if (watch == TIMED_OUT) {
                return TIMED_OUT;
            }
        }
    }

    /**
     * After the records: waits for the sections of threads without a record, as SRCU does. First the index readers do
     * not use now (a reader that loaded the phase before the last flip may have counted itself there since, inside a
     * section that began before this grace period), then flips the phase (new sections count under the other index),
     * then waits for the index they used until now.
     */
    private StallWarnings.Watch awaitStripes(long g, int who, long start, StallWarnings.Watch watch, long deadline,
                                             boolean timed) throws InterruptedException {
        VarHandle.fullFence(); // StoreLoad: the caller's stores (and heavy()) before the loads of the counters
        int cur = phase; // volatile load; written under gpLock only
        watch = awaitIndex(1 - cur, g, who, start, watch, deadline, timed);
        if (watch == TIMED_OUT) {
            return TIMED_OUT;
        }
        phase = 1 - cur; // volatile store: a reader that loads it sees everything before it
        return awaitIndex(cur, g, who, start, watch, deadline, timed);
    }

    /** The live threads inside a section that began before grace period {@code g}: for a stall warning. */
    private List<StallWarnings.Blocker> blockers(long g, long now) {
        List<StallWarnings.Blocker> out = new ArrayList<>();
        for (ReaderRegistry.Slot s : registry.slots()) {
            long e = (long) RcuRecord.EPOCH.getOpaque(s);
            Thread t = s.owner(); // null once its thread ended and was collected
            if (e != 0 && e < g && t != null && t.isAlive()) {
                out.add(new StallWarnings.Blocker(t, insideAtLeast(e, now),
                        "a read section entered during grace period " + e));
            }
        }
        for (int i = 0; i < stripes.count(); i++) {
            long open = stripes.get(i, LOCK) + stripes.get(i, LOCK + 1) - stripes.get(i, UNLOCK)
                    - stripes.get(i, UNLOCK + 1);
            if (open > 0) { // counted, not recorded: name the last thread to enter the stripe if it can be found
                long lastId = stripes.get(i, LAST_ID);
                Thread last = ReaderStripes.liveThread(lastId);
                String what = open + " section(s) open on stripe " + i + " of " + stripes.count() + ", entered by"
                        + " threads without a record (threads that read rarely)";
                out.add(last != null
                        ? new StallWarnings.Blocker(last, -1L, "a read section, most likely: the last thread to"
                        + " enter " + what)
                        : new StallWarnings.Blocker(null, -1L, what + "; the last to enter had id " + lastId + ", which"
                        + " no live platform thread has (a virtual thread: a thread dump names it)"));
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

    /** Runs (or waits for) grace period {@code target}, retrying while {@code heavy()} fails; logs each failure. */
    final void retryGracePeriod(long target, int who) {
        for (int failures = 0; ; failures++) {
            try {
                awaitGracePeriod(target, who);
                return;
            } catch (Throwable t) {
                try { // nothing may leave the handler: on a full heap even a first call may throw
                    RcuLog.error(id, RETRYING[who], t);
                    LockSupport.parkNanos(this, RcuRetirer.backoff(failures));
                } catch (Throwable ignored) {
                    // retry at once
                }
            }
        }
    }

    /** The longest wait for readers of a grace period so far, ns (see {@link Rcu#longestGracePeriodNanos}). */
    final long longestWait() {
        return (long) LONGEST.getOpaque(this);
    }

    /** How long the oldest read section now open has been open, at least (see {@link Rcu#oldestSectionNanos}). */
    final long oldestSection() {
        long min = Long.MAX_VALUE;
        for (ReaderRegistry.Slot s : registry.slots()) {
            long e = (long) RcuRecord.EPOCH.getOpaque(s);
            if (e != 0 && e < min && !s.ownerGone()) {
                min = e;
            }
        }
        return min == Long.MAX_VALUE ? 0L : insideAtLeast(min, stalls.now());
    }
}
