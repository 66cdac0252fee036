package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The slow paths of a {@link ReadMostlyLock}: the writers' first-come, first-served queue and the readers that wait
 * for a writer to leave, with the phase-fair hand-over between the two. Nothing here runs on a read or write fast
 * path.
 *
 * <p><b>Hand-over.</b> A writer's release admits every reader that was waiting for it (one generation); the next
 * writer claims only once all of them have entered, or once {@link #ADMISSION_GRACE_NANOS} has passed on the
 * queue's clock since the admission: an admitted reader that is not scheduled in that time (a virtual thread whose
 * carriers are all busy, a platform thread the kernel left off-CPU) loses its turn and waits for the writer after,
 * so that one slow thread cannot hold back every writer. Readers that arrive while no writer claims do not wait
 * here at all.
 *
 * <p><b>Why nobody waits in the mutex's queue behind a reader.</b> The mutex guards short, non-blocking sections
 * only; all waiting is by {@link LockSupport#park} on a state of our own, never on a {@link Condition} of the mutex.
 * A {@code Condition}'s {@code signalAll} moves its waiters into the mutex's FIFO queue, where each must be scheduled
 * to pass the mutex on: with virtual readers on busy carriers, an unparked reader at the head of that queue may not
 * run for seconds (measured by {@code WriterProgress} on 2 vCPUs, Temurin 25: ReentrantReadWriteLock and the
 * earlier version of this lock, both built that way, let a writer wait 3 s of a 3 s run). So admitted readers enter without the mutex (the fenced
 * path's Dekker pair), count themselves with a CAS, and the last one unparks the first writer; and a writer takes
 * the mutex by barging ({@link #lockForWriter}: {@code tryLock}, never a queued {@code lock()}), so it passes a
 * reader that was unparked but not yet scheduled.
 *
 * <p><b>Fault model.</b> Nothing here calls user code or logs. An interrupt or a timeout of a waiting writer removes
 * it from the queue and unparks the writer behind it; of a waiting reader, takes it out of the count of readers to
 * admit (or, if it was admitted already, counts it as entered, so that writers do not wait for it). An
 * uninterruptible wait keeps the interrupt status, re-asserted when it returns. Every wake-up re-checks the state it
 * waits for, so a spurious or early unpark only costs a look.
 */
final class ReadMostlyLockQueue {
    /** How long writers wait for the readers admitted by a writer's release to enter (see the class doc). */
    static final long ADMISSION_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** How long {@link #lockForWriter} spins before it yields: about one uncontended heavy(). */
    private static final long SPIN_NANOS = 20_000L;

    static final int TRY = 0;
    static final int TIMED = 1;
    static final int INTERRUPTIBLE = 2;
    static final int UNINTERRUPTIBLE = 3;

    /** {@link #admission}: the low bits count the admitted readers not yet entered, the high bits the generation. */
    private static final int COUNT_BITS = 24;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

    private static final VarHandle ADMISSION;
    private static final VarHandle FIRST_WRITER;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ADMISSION = l.findVarHandle(ReadMostlyLockQueue.class, "admission", long.class);
            FIRST_WRITER = l.findVarHandle(ReadMostlyLockQueue.class, "firstWriter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
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
    /** The first writer in the queue, for the last admitted reader to unpark; written under the mutex. */
    private volatile Thread firstWriter;

    // ---- under the mutex
    private final ArrayDeque<Thread> writers = new ArrayDeque<>();
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
     */
    void lockForWriter() {
        if (mutex.tryLock()) {
            return;
        }
        boolean interrupted = false;
        long spinEnd = System.nanoTime() + SPIN_NANOS;
        for (int i = 0; !mutex.tryLock(); i++) {
            if (System.nanoTime() - spinEnd < 0L) {
                Thread.onSpinWait(); // the holder is inside a short section: most waits end here
            } else {
                try {
                    if (i % 64 != 0) {
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

    /** Under the mutex: whether a writer may claim now without queueing (nobody claims or queues, admission over). */
    boolean free() {
        return lock.claimant() == null && writers.isEmpty() && admissionOver();
    }

    /** Under the mutex: whether no writer claims or waits (a burst may end). */
    boolean noWriter() {
        return lock.claimant() == null && writers.isEmpty();
    }

    /**
     * Under the mutex (held on entry and on return; released while parked): waits until {@code me} is first in
     * line, nobody claims and the last admission is over, and takes {@code me} out of the queue.
     *
     * @return false if a timed wait ran out
     */
    boolean awaitTurn(Thread me, int how, long deadline) throws InterruptedException {
        writers.addLast(me);
        firstWriter = writers.peekFirst();
        boolean ok = false;
        boolean interrupted = false;
        try {
            while (true) {
                long park = 0L; // 0: until unparked
                if (lock.claimant() == null && writers.peekFirst() == me) {
                    if (admissionOver()) {
                        break;
                    }
                    park = Math.max(1L, admittedAt + ADMISSION_GRACE_NANOS - clock.getAsLong());
                }
                if (how == TIMED) {
                    long rem = deadline - System.nanoTime();
                    if (rem <= 0L) {
                        return false;
                    }
                    park = park == 0L ? rem : Math.min(park, rem);
                }
                mutex.unlock();
                try {
                    if (park == 0L) {
                        LockSupport.park(this);
                    } else {
                        LockSupport.parkNanos(this, park);
                    }
                } finally {
                    lockForWriter();
                }
                if (Thread.interrupted()) {
                    if (how == INTERRUPTIBLE || how == TIMED) {
                        throw new InterruptedException();
                    }
                    interrupted = true;
                }
            }
            ok = true;
            return true;
        } finally {
            writers.removeFirstOccurrence(me);
            Thread next = writers.peekFirst();
            firstWriter = next;
            if (!ok && next != null) {
                LockSupport.unpark(next); // it may be first now
            }
            if (interrupted) {
                me.interrupt(); // lock() is not interruptible, but the interrupt is not lost
            }
        }
    }

    /** Under the mutex: the claiming or holding writer left; admits the readers that waited for it. */
    void writerLeft() {
        int n = blockedReaders.size();
        if (n > 0) {
            long g = generation(admission) + 1;
            admittedAt = clock.getAsLong();
            admission = (g << COUNT_BITS) | Math.min(n, COUNT_MASK); // an earlier admission's latecomers drop out
            for (int i = 0; i < n; i++) {
                LockSupport.unpark(blockedReaders.get(i));
            }
            blockedReaders.clear();
        }
        Thread first = writers.peekFirst();
        if (first != null) {
            LockSupport.unpark(first);
        }
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
                long g;
                mutex.lock();
                try {
                    if (lock.claimant() == null) {
                        // under the mutex: a writer claims only under it, and then sees this store
                        ReadMostlyLock.ACTIVE.setVolatile(r, 1);
                        r.holds = 1;
                        return true;
                    }
                    blockedReaders.add(me);
                    g = generation(admission);
                } finally {
                    mutex.unlock();
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
                    ReadMostlyLock.ACTIVE.setOpaque(r, 1);
                    VarHandle.fullFence(); // the fenced path's Dekker pair with a claiming writer
                    if (lock.claimant() == null) {
                        r.holds = 1;
                        return true;
                    }
                    ReadMostlyLock.ACTIVE.setVolatile(r, 0); // a writer claimed after our grace ran out: wait for it
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
        } while (!ADMISSION.compareAndSet(this, a, a - 1));
        if ((a & COUNT_MASK) == 1) {
            Thread w = (Thread) FIRST_WRITER.getVolatile(this); // after the CAS: a writer that queued before sees 0
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ misc

    /** For tests that move the clock: the first waiting writer looks at it again. */
    void recheck() {
        Thread w = firstWriter;
        if (w != null) {
            LockSupport.unpark(w);
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
