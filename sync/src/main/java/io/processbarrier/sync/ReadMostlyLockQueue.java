package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The writers' side of a {@link ReadMostlyLock} and its slow paths: the claim word that orders the writers (and the
 * end of a burst), the queue of writers that wait for it, and the readers that wait for a writer to leave, with the
 * phase-fair hand-over between the two. Only the claim's CAS and its release run on a write fast path; nothing here
 * runs on a read fast path, and a reader's fenced path only loads the claim word ({@link #claimFree}).
 *
 * <p><b>Claim.</b> {@link #state}: {@link #CLAIMED}, plus {@link #WAKE} (the first queued writer parked and asked
 * to be woken: the release unparks it) and {@link #READERS} (readers wait for the holder: the release admits them,
 * under the mutex). Both bits are set by CAS only while the claim is held, so a release that finds neither is one CAS
 * to 0, and one that finds either sees every waiter that set it (a CAS on the same word orders the two). Who may
 * take it, and why nobody starves, is the lock's class doc ("Writers"): running writers barge, look once more
 * ({@link #lookAgain}), then queue; the first in line reserves the claim after {@link #HANDOFF_NANOS}.
 *
 * <p><b>Hand-over to readers.</b> A claim's release admits every reader that was waiting for it (one generation);
 * the next writer takes the claim only once all of them have entered, or once {@link #ADMISSION_GRACE_NANOS} has
 * passed on the queue's clock since the admission (it looks before its CAS, and takes the claim under the mutex
 * while an admission is pending, because readers on the fenced path check the claim word itself: see
 * {@link #claimFree}; a release that admits between its look and its CAS makes it give the claim back): an admitted
 * reader that is not scheduled in that time (a
 * virtual thread whose carriers are all busy, a platform thread the kernel left off-CPU) loses its turn and waits for
 * the writer after, so that one slow thread cannot hold back every writer. Readers that arrive while no writer claims
 * do not wait here at all.
 *
 * <p><b>Why nobody waits in the mutex's queue behind a reader.</b> The mutex guards short, non-blocking sections
 * only; all waiting is by {@link LockSupport#park} on a state of our own, never on a {@link Condition} of the mutex.
 * A {@code Condition}'s {@code signalAll} moves its waiters into the mutex's FIFO queue, where each must be scheduled
 * to pass the mutex on: with virtual readers on busy carriers, an unparked reader at the head of that queue may not
 * run for seconds (measured by {@code WriterProgress} on 2 vCPUs, Temurin 25: ReentrantReadWriteLock and the
 * earlier version of this lock, both built that way, let a writer wait 3 s of a 3 s run). So admitted readers enter
 * without the mutex (the fenced path's Dekker pair), count themselves with a CAS, and the last one unparks the first
 * writer; a writer takes the claim without the mutex, and the mutex by barging ({@link #lockForWriter}:
 * {@code tryLock}, never a queued {@code lock()}), so it passes a reader that was unparked but not yet scheduled;
 * a virtual writer waiting for the mutex yields rather than parking on a timer, whose wake-up would wait behind busy
 * carriers while it holds the claim. Nobody ever waits for the claim while holding the mutex (the mutex's holders
 * only try a CAS on it), so the two never deadlock.
 *
 * <p><b>Fault model.</b> Nothing here calls user code or logs. An interrupt or a timeout of a waiting writer removes
 * it from the queue (and its reservation) and unparks the writer behind it, holding no claim; of a waiting reader,
 * takes it out of the count of readers to admit (or, if it was admitted already, counts it as entered, so that
 * writers do not wait for it). An uninterruptible wait keeps the interrupt status, re-asserted when it returns.
 * Every wake-up re-checks the state it waits for, so a spurious or early unpark only costs a look.
 */
final class ReadMostlyLockQueue {
    /** How long writers wait for the readers admitted by a writer's release to enter (see the class doc). */
    static final long ADMISSION_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** How long {@link #lockForWriter} spins before it yields: about one uncontended heavy(). */
    private static final long MUTEX_SPIN_NANOS = 20_000L;
    /**
     * After this long first in line, a queued writer reserves the claim: nobody barges any more (but a
     * {@code tryLock()}), and the holder's release hands the claim over to it. Each hand-over costs the burst a
     * wake-up (tens of µs with nobody writing): 4 ms rather than 2 took 4 writers alone from 0.47x to 0.55-0.62x
     * {@code ReentrantReadWriteLock}'s throughput (WriteContention, two interleaved runs, JDK 17, 2 vCPU AMD EPYC),
     * with every stall still within 32 ms.
     */
    static final long HANDOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(4);
    /**
     * How often the first queued writer looks at the claim once it was woken and lost it to a running writer that
     * barged, until it reserves (see {@link #awaitTurn}). A free claim then waits that long for it, plus the timer's
     * slack and the scheduling (about 50-80 µs in all for a platform thread on Linux, whose default timer slack is
     * 50 µs; a virtual thread's timed park also waits for a carrier). 100 µs measured no better (WriteContention,
     * 2 vCPU AMD EPYC, JDK 17).
     */
    static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    /** {@link #state}: a writer (or the end of a burst) holds the claim. */
    private static final int CLAIMED = 1;
    /** {@link #state}: the first queued writer parked and asked to be woken; the claim's release must unpark it. */
    private static final int WAKE = 2;
    /** {@link #state}: readers wait for the claim's holder to leave; its release must admit them. */
    private static final int READERS = 4;

    static final int TRY = 0;
    static final int TIMED = 1;
    static final int INTERRUPTIBLE = 2;
    static final int UNINTERRUPTIBLE = 3;

    /** {@link #admission}: the low bits count the admitted readers not yet entered, the high bits the generation. */
    private static final int COUNT_BITS = 24;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

    private static final VarHandle ADMISSION;
    private static final VarHandle STATE;
    private static final VarHandle CONTENDERS;
    private static final VarHandle WAKES;
    private static final VarHandle POLLS;
    private static final VarHandle RESERVED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ADMISSION = l.findVarHandle(ReadMostlyLockQueue.class, "admission", long.class);
            STATE = l.findVarHandle(ReadMostlyLockQueue.class, "state", int.class);
            CONTENDERS = l.findVarHandle(ReadMostlyLockQueue.class, "contenders", int.class);
            WAKES = l.findVarHandle(ReadMostlyLockQueue.class, "wakes", int.class);
            POLLS = l.findVarHandle(ReadMostlyLockQueue.class, "polls", int.class);
            RESERVED = l.findVarHandle(ReadMostlyLockQueue.class, "reserved", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // Every VarHandle access linked now, with the class (VarHandleLinks says why; here it was seen as the clear of
        // a reservation in leaveQueue, the drop in heldBy and the count of contenders of the first contended write).
        // Volatile loads and stores are plain accesses of the volatile fields (no link); every other access goes
        // through one of the methods below, each run here on a queue of no lock.
        ReadMostlyLockQueue linked = new ReadMostlyLockQueue(null, null);
        linked.casState(0, 0);
        linked.opaqueState();
        linked.clearStateBits(0);
        linked.addContenders(0);
        linked.countWake();
        linked.countPoll();
        linked.casAdmission(0L, 0L);
        linked.dropReservation(null);
        linked.claimedBy(null); // the error path's look at the claim
        ReadMostlyLockReader reader = new ReadMostlyLockReader(Thread.currentThread()); // of no lock
        markInside(reader);
        backOut(reader);
        FullHeapPause.pause(linked, 0L); // loading a class allocates too: the one a full heap's wait calls, now
    }

    /** A waiting reader enters: opaque store of its record's {@code active} (the full fence after it is the caller's). */
    private static void markInside(ReadMostlyLockReader r) {
        ReadMostlyLock.ACTIVE.setOpaque(r, 1);
    }

    /** A reader that found a writer backs out: volatile store (StoreLoad after it), before it wakes the scanner. */
    private static void backOut(ReadMostlyLockReader r) {
        ReadMostlyLock.ACTIVE.setVolatile(r, 0);
    }

    // ---- the accesses that are not plain volatile loads and stores: one call of the VarHandle each (see above)

    /** CAS of {@link #state}: a full fence. */
    private boolean casState(int expected, int update) {
        return STATE.compareAndSet(this, expected, update);
    }

    /** Opaque load of {@link #state}: a look before a CAS, which does not fence. */
    private int opaqueState() {
        return (int) STATE.getOpaque(this);
    }

    /** Atomically clears {@code bits} of {@link #state} (a full fence). */
    private void clearStateBits(int bits) {
        STATE.getAndBitwiseAnd(this, ~bits);
    }

    private void addContenders(int delta) {
        CONTENDERS.getAndAdd(this, delta);
    }

    private void countWake() {
        WAKES.getAndAdd(this, 1);
    }

    /** Only the first in line counts its polls, one thread at a time (the first changes under the mutex). */
    private void countPoll() {
        POLLS.setOpaque(this, (int) POLLS.getOpaque(this) + 1);
    }

    private boolean casAdmission(long expected, long update) {
        return ADMISSION.compareAndSet(this, expected, update);
    }

    /** Every store of {@link #reserved}. */
    private void reserve(Thread t) {
        reserved = t; // volatile store
    }

    /** Every CAS of {@link #reserved}. */
    private boolean dropReservation(Thread r) {
        return RESERVED.compareAndSet(this, r, (Thread) null);
    }

    /** A queued writer. */
    static final class Waiter {
        final Thread thread;
        /** When it queued ({@link System#nanoTime()}): first in line for {@link #HANDOFF_NANOS}, it reserves. */
        final long since;
        /**
         * The queue's links, under the mutex: the queue is linked through its waiters, so queueing allocates nothing
         * but the waiter (an array deque that fails to grow on a full heap loses every element it held).
         */
        Waiter prev;
        Waiter next;

        Waiter(Thread thread, long since) {
            this.thread = thread;
            this.since = since;
        }
    }

    /** The lock's mutex: also orders reader registrations and the end of a burst with the writers' claims. */
    final ReentrantLock mutex = new ReentrantLock();
    private final ReadMostlyLock lock;
    /** The admission grace's clock: {@link System#nanoTime()}, or a test's own. */
    private final LongSupplier clock;

    /**
     * Generation (high bits: incremented by each release that admits readers) and the number of readers of that
     * admission that have not entered yet (low bits). Written under the mutex by writers, and by admitted readers
     * with a CAS that only decrements the count of their own generation.
     */
    private volatile long admission;
    /**
     * The writers' claim ({@link #CLAIMED}: a writer may be the writer now: it then drains the readers and holds the
     * lock; or a burst ends; readers on the fenced path check it, see {@link #claimFree}), with what its release must
     * do ({@link #WAKE}, {@link #READERS}: set by CAS, only while it is claimed). Taken by a CAS from 0, with or
     * without the mutex; given back by {@link #releaseClaim}, a single CAS when neither bit is set.
     */
    private volatile int state;
    /**
     * The thread whose CAS took the claim: stored right after that CAS, with no call between them, and cleared right
     * before the claim is given back. An {@link Error} can strike a thread anywhere on its way from the CAS to the
     * code that guards its claim with a {@code finally} (an {@link OutOfMemoryError} where the JVM links a call site
     * that runs for the first time with the heap full, a {@link StackOverflowError} at any call), and the claim
     * would then be held by nobody for ever (seen: {@code ReadMostlyLockFullHeapTest} on virtual threads, an error
     * out of {@link #leaveQueue} after the claim was taken); with this the thread can tell that the claim is its
     * own ({@link #claimedBy}: asked only where the thread cannot hold another claim already, or knows it does not,
     * as a writer reading inside its own write section must). Plain: a thread reads it only to ask whether it is
     * itself, and its own store of null before its last release keeps it from ever reading an older store of its
     * own.
     */
    private Thread claimant;
    /** Writers spinning or queued for the claim: while there are any, no burst ends ({@link #noWriter}). */
    private volatile int contenders;
    /** Unparks of the first queued writer by a release (tests: {@link #wakes}), on the release's slow path only. */
    private volatile int wakes;
    /**
     * Timed looks of the first queued writer that did not ask to be woken (tests: {@link #polls}). Written by the
     * first in line only, one thread at a time (the first changes under the mutex); read by tests.
     */
    private volatile int polls;
    /**
     * The first queued writer once it has waited {@link #HANDOFF_NANOS}: only it may claim (a try aside). A
     * reservation whose thread is no longer first is dropped by the next writer that meets it ({@link #heldBy}).
     */
    private volatile Thread reserved;
    /** The first queued writer, for a release (or the last admitted reader) to unpark; written under the mutex. */
    private volatile Waiter head;

    // ---- under the mutex
    /** The queued writers, first to last, linked through {@link Waiter#next}; {@link #head} mirrors the first. */
    private Waiter firstWaiter;
    private Waiter lastWaiter;
    private int queued;
    /** Readers waiting for the current writer to leave: the next admission's count, and whom it unparks. */
    private final ArrayList<Thread> blockedReaders = new ArrayList<>();
    /** When the last admission happened, on {@link #clock}. */
    private long admittedAt;

    /** For tests: run by an admitted reader before it enters and counts itself. */
    volatile Runnable admittedHook;

    ReadMostlyLockQueue(ReadMostlyLock lock, LongSupplier clock) {
        this.lock = lock;
        this.clock = clock;
    }

    private static long generation(long admission) {
        return admission >>> COUNT_BITS;
    }

    // ------------------------------------------------------------------------------------------------ the mutex

    /**
     * Takes the mutex for a writer (or the burst timer) without ever queueing in it: a queued thread can only
     * follow the one ahead of it, which may be a reader that was handed the mutex but is not scheduled. The sections
     * under the mutex are short and never block, so a barging {@code tryLock} soon succeeds. An interrupt meanwhile
     * is kept, not acted on.
     *
     * <p>A virtual thread only spins and yields, never parks on a timer here: a timed park's wake-up is submitted to
     * the scheduler from outside its carriers, and while virtual threads that yield (or never block) keep every
     * carrier busy it waits behind them, on Temurin 25 for as long as they yield. The claim's holder passes here on
     * its way out of the queue, so one such wait stalled every writer: 690-920 ms in about one run in ten of
     * {@code WriteContention} (virtual writers, 2 virtual readers yielding every 1024 reads), none in 48 runs after.
     * A yield goes back to the carriers' own queues. A platform thread still parks every 64th look, since the kernel's
     * timer wakes it.
     */
    void lockForWriter() {
        if (mutex.tryLock()) {
            return;
        }
        boolean interrupted = false;
        boolean virtual = StripeOwners.isVirtual(Thread.currentThread()); // off the fast path: after a failed try
        long spinEnd = System.nanoTime() + MUTEX_SPIN_NANOS;
        for (int i = 0; !mutex.tryLock(); i++) {
            if (System.nanoTime() - spinEnd < 0L) {
                Thread.onSpinWait(); // the holder is inside a short section: most waits end here
            } else {
                try {
                    if (virtual || i % 64 != 0) {
                        Thread.yield(); // the holder may be off-CPU (2 CPUs, more threads): let it run
                    } else {
                        LockSupport.parkNanos(this, 50_000L); // and if it stays off, do not burn a CPU for it
                        interrupted |= Thread.interrupted(); // a park with the status set returns at once
                    }
                } catch (OutOfMemoryError e) {
                    // a virtual thread's yield or timed park allocates (its scheduling); on a full heap spin instead
                    Thread.onSpinWait();
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------------ writers

    /** Under the mutex: whether the readers of the last admission have all entered, or their grace ran out. */
    private boolean admissionOver() {
        long a = admission;
        if ((a & COUNT_MASK) == 0) {
            return true;
        }
        if (clock.getAsLong() - admittedAt >= ADMISSION_GRACE_NANOS) {
            admission = a & ~COUNT_MASK; // the latecomers wait for the next writer (their CAS now fails)
            return true;
        }
        return false;
    }

    /** Whether readers admitted by the last release have not all entered yet (a volatile load; no clock). */
    private boolean admissionPending() {
        return (admission & COUNT_MASK) != 0;
    }

    /** Under the mutex: whether no writer claims, spins or queues (a burst may end). */
    boolean noWriter() {
        return state == 0 && contenders == 0 && firstWaiter == null; // volatile loads
    }

    /**
     * Takes the writers' claim for {@code me}: at once if it is free (barging past queued writers unless one of them
     * has waited longer than {@link #HANDOFF_NANOS}; a {@code tryOnly} barges past that one too, as
     * {@code Lock.tryLock} says), else after a short spin, else queued and parked (see the class doc). The claim is
     * only taken once the readers of the last admission have entered or their grace ran out.
     *
     * @return true if {@code me} holds the claim; false for a failed try or a timed wait that ran out
     * @throws InterruptedException for {@code INTERRUPTIBLE} and {@code TIMED}, holding nothing
     */
    boolean claim(Thread me, int how, long deadline, boolean tryOnly) throws InterruptedException {
        if (tryClaim(me, tryOnly)) {
            return true;
        }
        if (tryOnly) {
            return false;
        }
        addContenders(1); // while a writer spins or queues, no burst ends (noWriter)
        try {
            return lookAgain(me) || awaitTurn(me, how, deadline);
        } finally {
            addContenders(-1);
        }
    }

    /**
     * One attempt at the claim, as {@link #claim}'s first (never waits): the write path of a burst tries this before
     * anything else.
     */
    boolean claimNow(Thread me, boolean tryOnly) {
        return tryClaim(me, tryOnly);
    }

    /**
     * One attempt: the claim is free, not reserved for another (unless {@code ignoreReservation}), and the last
     * admission is over: looked at before the CAS (while one is pending the claim is taken only under the mutex, see
     * {@link #claimAfterAdmission}: readers check the claim word, so a claim taken for nothing would send an admitted
     * reader back to wait) and again after it (an admission made in between: the claim is given back at once).
     */
    private boolean tryClaim(Thread me, boolean ignoreReservation) {
        Thread r = reserved; // volatile load
        if ((r != null && r != me && !ignoreReservation && heldBy(r)) || state != 0) {
            return false;
        }
        if (admissionPending()) { // readers look at the claim: do not take it just to give it back
            return claimAfterAdmission(me);
        }
        if (!casState(0, CLAIMED)) { // the CAS: full fence, after the last holder's release
            return false;
        }
        claimant = me;
        // after the CAS: the admission a releasing writer made before it gave the claim back is visible
        if (!admissionPending()) {
            return true;
        }
        // a release admitted readers between our look and our CAS (rare): readers that saw the claim meanwhile back
        // out and wait for the next release
        if (mutex.tryLock()) { // the grace may have run out: only the mutex's holder ends it
            try {
                if (admissionOver()) {
                    return true;
                }
            } finally {
                mutex.unlock();
            }
        }
        releaseClaim();
        return false;
    }

    /**
     * The claim while the readers of the last admission may not have entered: taken under the mutex, only once they
     * have (or their grace ran out), so that they never see it claimed for nothing. Under the mutex no new admission
     * can be made (the admitting releases hold it), so none is missed.
     */
    private boolean claimAfterAdmission(Thread me) {
        if (!mutex.tryLock()) {
            return false;
        }
        try {
            if (!admissionOver() || !casState(0, CLAIMED)) {
                return false;
            }
            claimant = me;
            return true;
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Whether the reservation {@code r} still stands: only the first queued writer reserves, and it gives the
     * reservation up when it leaves the queue. A reservation whose thread is no longer first is one that an
     * {@link Error} kept its thread from giving up (seen with the heap full: a writer that had left stayed the
     * reserver, and the next writer, first in line, spun for ever on a free claim): it is dropped here.
     */
    private boolean heldBy(Thread r) {
        Waiter h = head; // volatile load
        if (h != null && h.thread == r) {
            return true;
        }
        // stale. Should r have queued again and reserved as first meanwhile, this drops that reservation too: r then
        // only waits as an unreserved first writer (its release wake-up still comes) and reserves again later
        dropReservation(r);
        return false;
    }

    /**
     * One more look at the claim before a writer queues (and before the first in line parks again), with no spin:
     * as {@code AbstractQueuedSynchronizer}. On 2 vCPUs (AMD EPYC, Firecracker, Linux 6.18, JDK 17) a spinner only
     * takes the line of the claim word away from the holder, which keeps writing: contended writers (2, 4, 8, no
     * readers) ran at 0.59, 0.43 and 0.53x {@code ReentrantReadWriteLock}'s throughput with this, 0.48, 0.38 and
     * 0.52x with a 1 µs spin, 0.71, 0.20 and 0.37x with 10 µs ({@code WriteContention}, one run, medians of 3).
     * A park is what lets the holder write alone at its uncontended speed, as the JDK's locks do.
     */
    private boolean lookAgain(Thread me) {
        Thread.onSpinWait();
        return opaqueState() == 0 && tryClaim(me, false); // opaque first: a shared line
    }

    /**
     * Queues {@code me} and parks until it takes the claim. Only the first in line competes (with running writers
     * that barge); once it has waited {@link #HANDOFF_NANOS} it reserves the claim for itself, and the holder's
     * release hands it over. Before that, the first in line asks the release to wake it ({@link #WAKE}) only the
     * first time it parks as first: woken, if it loses the claim to a barging writer, it looks again every
     * {@link #POLL_NANOS} instead (see the lock's class doc, "Writers").
     */
    private boolean awaitTurn(Thread me, int how, long deadline) throws InterruptedException {
        Waiter node;
        try {
            node = new Waiter(me, System.nanoTime());
        } catch (OutOfMemoryError e) { // a full heap: wait without a place in the queue rather than fail
            return awaitTurnWithoutNode(me, how, deadline);
        }
        lockForWriter();
        try {
            node.prev = lastWaiter; // plain: under the mutex
            if (lastWaiter == null) {
                firstWaiter = node;
            } else {
                lastWaiter.next = node;
            }
            lastWaiter = node;
            queued++;
            head = firstWaiter; // volatile store
        } finally {
            mutex.unlock();
        }
        boolean ok = false;
        boolean interrupted = false;
        boolean asked = false; // parked first in line, asking a release to wake it: now woken, it lost to a barger
        try {
            while (true) {
                boolean first = head == node; // volatile load
                if (first) {
                    if (tryClaim(me, false) || lookAgain(me)) {
                        ok = true;
                        return true;
                    }
                    if (reserved == null && System.nanoTime() - node.since >= HANDOFF_NANOS) {
                        reserve(me); // from now on nobody barges; the holder's release wakes us
                        continue;
                    }
                }
                long park = 0L; // 0: until unparked
                boolean untilReserve = false; // parks at most until it reserves
                boolean poll = false; // a timed look again, not asking the claim's release to wake us
                if (first) {
                    if (admissionPending()) {
                        park = ADMISSION_GRACE_NANOS; // the last admitted reader unparks us, or the grace ends
                    } else if (reserved == null) {
                        park = Math.max(1L, node.since + HANDOFF_NANOS - System.nanoTime()); // then reserve
                        untilReserve = true;
                        if (asked && park > POLL_NANOS) { // a writer barged past our wake-up: it writes on
                            park = POLL_NANOS;
                            poll = true;
                            countPoll();
                        }
                    }
                }
                if (how == TIMED) {
                    long rem = deadline - System.nanoTime();
                    if (rem <= 0L) {
                        return false;
                    }
                    park = park == 0L ? rem : Math.min(park, rem);
                }
                if (first && !poll && !askToBeWoken()) {
                    continue; // freed meanwhile: try at once
                }
                if (park == 0L) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, park);
                }
                asked |= untilReserve && !poll; // it asked (askToBeWoken), parked, and runs again
                if (Thread.interrupted()) {
                    if (how == INTERRUPTIBLE || how == TIMED) {
                        throw new InterruptedException();
                    }
                    interrupted = true;
                }
            }
        } finally {
            leaveQueue(node, ok);
            if (interrupted) {
                me.interrupt(); // lock() is not interruptible, but the interrupt is not lost
            }
        }
    }

    /** Under the mutex: takes {@code node} out of the queue. */
    private void unlink(Waiter node) {
        Waiter p = node.prev;
        Waiter n = node.next;
        if (p == null) {
            firstWaiter = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            lastWaiter = p;
        } else {
            n.prev = p;
        }
        node.prev = null;
        node.next = null;
        queued--;
    }

    /**
     * A writer whose waiter could not be allocated (a full heap): it waits with no place in the queue, taking the
     * claim whenever it finds it free (a queued writer's reservation still stops it), and re-checks every 1 ms, so
     * nothing on its way allocates; a reservation by a queued writer bounds how long it can keep that writer out.
     */
    private boolean awaitTurnWithoutNode(Thread me, int how, long deadline) throws InterruptedException {
        boolean interrupted = false;
        try {
            while (!tryClaim(me, false)) {
                if (how == TIMED && deadline - System.nanoTime() <= 0L) {
                    return false;
                }
                FullHeapPause.pause(this, 1_000_000L); // no timer of the JDK's for a virtual thread: see there
                if (Thread.interrupted()) {
                    if (how == INTERRUPTIBLE || how == TIMED) {
                        throw new InterruptedException();
                    }
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                me.interrupt(); // lock() is not interruptible, but the interrupt is not lost
            }
        }
    }

    /** {@code node} leaves the queue (with the claim, or giving up); the next in line becomes first. */
    private void leaveQueue(Waiter node, boolean claimed) {
        lockForWriter();
        try {
            unlink(node);
            Waiter next = firstWaiter;
            head = next; // volatile store
            dropReservation(node.thread); // a CAS: heldBy may have dropped it already, and the next first reserved
            if (next != null) {
                wake(next.thread); // it is first now: it competes, or asks the holder to wake it
            }
        } finally {
            mutex.unlock();
        }
    }

    /**
     * The first queued writer, about to park: sets {@link #WAKE} so that the claim's release unparks it (a CAS on the
     * state the release CASes too: one of the two sees the other).
     *
     * @return false if the claim is free (and no admission pending): try again instead of parking
     */
    private boolean askToBeWoken() {
        while (true) {
            int s = state; // volatile load
            if ((s & CLAIMED) == 0) {
                return admissionPending(); // the last admitted reader unparks us, or the grace ends
            }
            if ((s & WAKE) != 0 || casState(s, s | WAKE)) {
                return true;
            }
        }
    }

    /**
     * Gives the claim back: a single CAS if nobody asked for anything; else admits the readers that wait (under the
     * mutex) and unparks the first queued writer if it asked. It asks once ({@link #awaitTurn}): a woken writer that
     * loses the race to a barging one looks again on a timer instead, until it reserves (then it asks again, and the
     * release hands the claim over), so a stream of releases by a writer that keeps barging pays no unpark at all.
     */
    void releaseClaim() {
        claimant = null; // before the CAS publishes it: the next holder's store comes after
        if (casState(CLAIMED, 0)) { // full fence: the holder's stores before it
            return;
        }
        while (true) {
            int s = state; // volatile load
            if ((s & READERS) != 0) {
                lockForWriter(); // readers set the bit under the mutex: admit them, then look again
                try {
                    writerLeft();
                } finally {
                    mutex.unlock();
                }
                continue;
            }
            if (casState(s, 0)) {
                if ((s & WAKE) != 0) {
                    Waiter h = head; // volatile load
                    if (h != null) {
                        countWake(); // after the release: the next holder's release may count too
                        wake(h.thread);
                    }
                }
                return;
            }
        }
    }

    /** Under the mutex: takes the claim to end a burst (lowering the flag), if no writer claims, spins or queues. */
    boolean claimForBurstEnd() {
        if (noWriter() && casState(0, CLAIMED)) {
            claimant = Thread.currentThread();
            return true;
        }
        return false;
    }

    /**
     * Whether no writer (nor the end of a burst) holds the claim: what a reader on the fenced path, or one that waited,
     * checks after its store of {@code active} (or its stripe's count) and a full fence; the claim's CAS is the
     * writer's side of that Dekker pair (see the lock's class doc). A volatile load.
     */
    boolean claimFree() {
        return (state & CLAIMED) == 0;
    }

    /**
     * Whether the claim is held, and not by {@code me}: {@link #claimFree}'s check for a reader that may be the
     * claimant itself (a writer reading inside its write section, a downgrade). {@link #claimant} is read only once
     * the claim is seen held, and only to ask whether it is {@code me}: see its doc.
     */
    boolean claimedByOther(Thread me) {
        return (state & CLAIMED) != 0 && claimant != me; // volatile load
    }

    /** The thread whose CAS took the claim, or null: for diagnostics (a plain, racy read). */
    Thread claimant() {
        return claimant;
    }

    /** Whether {@code t} holds the claim: after an {@link Error} on its way from the claim to its guard. */
    boolean claimedBy(Thread t) {
        return claimant == t && (state & CLAIMED) != 0; // volatile load
    }

    /** Under the mutex: the writer holding the claim left; admits the readers that waited for it. */
    void writerLeft() {
        int n = blockedReaders.size();
        if (n > 0) {
            long g = generation(admission) + 1;
            admittedAt = clock.getAsLong();
            admission = (g << COUNT_BITS) | Math.min(n, COUNT_MASK); // an earlier admission's latecomers drop out
            for (int i = 0; i < n; i++) {
                wake(blockedReaders.get(i));
            }
            blockedReaders.clear();
        }
        clearStateBits(READERS); // under the mutex, where readers set it: every one of them admitted
    }

    // ------------------------------------------------------------------------------------------------ readers

    /**
     * Waits for the claiming writer to leave, then enters (marks {@code r} inside). Called without the mutex; takes
     * it only to join the waiting readers and to leave them on a timeout or an interrupt.
     *
     * @return false if a timed wait ran out
     */
    boolean awaitWriterGone(ReadMostlyLockReader r, int how, long deadline) throws InterruptedException {
        Thread me = Thread.currentThread();
        boolean interrupted = false;
        try {
            while (true) {
                long g = -1L;
                mutex.lock();
                try {
                    if (markReadersWaiting()) { // the claim's release will admit us
                        blockedReaders.add(me);
                        g = generation(admission);
                    }
                } finally {
                    mutex.unlock();
                }
                if (g < 0L) { // enter as the fenced path does: writers claim without the mutex
                    markInside(r);
                    VarHandle.fullFence(); // StoreLoad: active = 1 before the load of the claim (the Dekker pair)
                    if (claimFree()) {
                        r.holds = 1;
                        return true;
                    }
                    backOut(r); // a writer claimed meanwhile: wait for it
                    lock.wakeScanner();
                    if (how == TIMED && deadline - System.nanoTime() <= 0L) {
                        return false;
                    }
                    continue;
                }
                // admitted when the generation moves on (the writer's release unparks us after that store)
                while (generation(admission) == g) {
                    if (how == TIMED) {
                        long rem = deadline - System.nanoTime();
                        if (rem <= 0L) {
                            if (leaveWaiting(me, g)) {
                                return false;
                            }
                            break; // admitted meanwhile: enter (a timed lock may succeed late rather than leak)
                        }
                        LockSupport.parkNanos(this, rem);
                    } else {
                        LockSupport.park(this);
                    }
                    if (Thread.interrupted()) {
                        if (how != UNINTERRUPTIBLE) {
                            if (leaveWaiting(me, g)) {
                                throw new InterruptedException();
                            }
                            entered(g); // admitted, but leaving: the writers must not wait for us
                            throw new InterruptedException();
                        }
                        interrupted = true;
                    }
                }
                try {
                    Runnable hook = admittedHook;
                    if (hook != null) {
                        hook.run();
                    }
                    markInside(r);
                    VarHandle.fullFence(); // the fenced path's Dekker pair with a claiming writer
                    if (claimFree()) {
                        r.holds = 1;
                        return true;
                    }
                    backOut(r); // a writer claimed after our grace ran out: wait for it
                    lock.wakeScanner();
                } finally {
                    entered(g); // entered, going back to wait, or failing (an Error): writers must not wait for us
                }
            }
        } finally {
            if (interrupted) {
                me.interrupt(); // lock() is not interruptible, but the interrupt is not lost
            }
        }
    }

    /**
     * Under the mutex: sets {@link #READERS} if the claim is held (its release then admits the readers waiting here;
     * a CAS on the state its release CASes too); false if it is free: the reader may enter.
     */
    private boolean markReadersWaiting() {
        while (true) {
            int s = state; // volatile load
            if ((s & CLAIMED) == 0) {
                return false;
            }
            if ((s & READERS) != 0 || casState(s, s | READERS)) {
                return true;
            }
        }
    }

    /**
     * A reader that waited on generation {@code g} gives up: takes it out of the waiting readers if no admission
     * came meanwhile.
     *
     * @return true if it was still waiting (and is not any more); false if it had been admitted
     */
    private boolean leaveWaiting(Thread me, long g) {
        mutex.lock();
        try {
            if (generation(admission) == g) {
                blockedReaders.remove(me);
                return true;
            }
            return false;
        } finally {
            mutex.unlock();
        }
    }

    /** A reader admitted by the release that ended generation {@code g} entered or gave up; the last one says so. */
    private void entered(long g) {
        long a;
        do {
            a = admission;
            if (generation(a) != g + 1 || (a & COUNT_MASK) == 0) {
                return; // a later admission replaced ours, or its grace ran out: nobody waits for us
            }
        } while (!casAdmission(a, a - 1));
        if ((a & COUNT_MASK) == 1) {
            Waiter w = head; // volatile load, after the CAS: a writer that queued before sees 0
            if (w != null) {
                wake(w.thread);
            }
        }
    }

    /**
     * Unparks {@code t}, after the store that lets it go on. An {@link OutOfMemoryError} out of the unpark stays here:
     * it is the JDK failing, on a full heap, to schedule a virtual thread it has already marked unparked (Temurin
     * 25.0.3: {@code VirtualThread.submitRunContinuation} retries an OutOfMemoryError of the pool, but the first one on
     * a full heap escaped that retry until {@link JdkFailurePaths} loaded the class its catch needs). No retry of ours
     * can help that thread: an unpark finds its permit set and does nothing (the one the catch makes is for a thread
     * the error struck before it was marked). And the operation that woke it is complete (a claim given back, readers
     * admitted, a signal given): thrown on, the error made a completed release look failed (seen there: an {@code
     * await} whose release had freed the lock took itself for the holder again and threw, and its caller's {@code
     * unlock()} then failed the owner check) or left the admission's other readers asleep.
     */
    void wake(Thread t) {
        try {
            LockSupport.unpark(t);
            Runnable h = wakeHook;
            if (h != null) {
                h.run();
            }
        } catch (OutOfMemoryError e) {
            try {
                LockSupport.unpark(t); // nothing if it was marked unparked; a wake-up if the error came before that
            } catch (OutOfMemoryError again) {
                // the JDK's, for the thread it marked unparked: see above
            }
        }
    }

    /**
     * For tests: run by {@link #wake} right after its unpark (an OutOfMemoryError injected there, as the JDK throws
     * one after it has marked the thread unparked). Plain: set before the threads it concerns start.
     */
    Runnable wakeHook;

    // ------------------------------------------------------------------------------------------------ misc

    /** For tests that move the clock: the first waiting writer looks at it again. */
    void recheck() {
        Waiter w = head;
        if (w != null) {
            wake(w.thread);
        }
    }

    /** Tests: a reservation as an {@link Error} can leave it, by a thread that is not (or no longer) queued. */
    void reserveForTest(Thread t) {
        reserve(t);
    }

    /** How many times a release unparked the first queued writer because it asked (tests). */
    int wakes() {
        return wakes;
    }

    /** How many times the first queued writer parked to look again without asking to be woken (tests). */
    int polls() {
        return polls;
    }

    /** Whether the first queued writer asked the claim's release to wake it (tests: it stays asked until then). */
    boolean wakeAsked() {
        return (state & WAKE) != 0;
    }

    /** The queued writer that reserved the claim, or null (tests). */
    Thread reservedFor() {
        return reserved;
    }

    /** The number of queued writers (tests: no node is left behind by a failed timed try; racy). */
    int waitingWriters() {
        mutex.lock();
        try {
            return queued;
        } finally {
            mutex.unlock();
        }
    }

    /** The number of readers waiting for a writer (diagnostics; racy). */
    int waitingReaders() {
        mutex.lock();
        try {
            return blockedReaders.size();
        } finally {
            mutex.unlock();
        }
    }
}
