package io.processbarrier.sync;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The slow paths of a {@link ReadMostlyLock} that take its internal mutex: the writers' first-come, first-served
 * queue and the readers that wait for a writer to leave, with the phase-fair hand-over between the two. Nothing here
 * runs on a read or write fast path.
 *
 * <p><b>Hand-over.</b> A writer's release admits every reader that was waiting for it (one generation); the next
 * writer claims only once all of them have entered, or once {@link #ADMISSION_GRACE_NANOS} has passed on the
 * queue's clock since the admission: an admitted reader that is not scheduled in that time (a virtual thread whose
 * carriers are all busy, a platform thread the kernel left off-CPU) loses its turn and waits for the writer after,
 * so that one slow thread cannot hold back every writer. Readers that arrive while no writer claims do not wait
 * here at all.
 *
 * <p><b>Fault model.</b> Nothing here calls user code, logs or allocates on the way out. An interrupt or a timeout
 * of a waiting writer removes it from the queue and wakes the writer behind it; of a waiting reader, takes it out of
 * the count of readers to admit (or, if it was admitted already, counts it as entered, so that writers do not wait
 * for it). An uninterruptible wait keeps the interrupt status, re-asserted when it returns. A thread that dies while
 * waiting here cannot: it is either parked in {@link Condition#await} (it does not die there) or past it.
 */
final class ReadMostlyLockQueue {
    /** How long writers wait for the readers admitted by a writer's release to enter (see the class doc). */
    static final long ADMISSION_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    static final int TRY = 0;
    static final int TIMED = 1;
    static final int INTERRUPTIBLE = 2;
    static final int UNINTERRUPTIBLE = 3;

    /** The lock's mutex: also orders reader registrations and the end of a burst with the writers' claims. */
    final ReentrantLock mutex = new ReentrantLock();
    /** Signalled whenever a writer may have become able to claim, or waiting readers admitted. */
    private final Condition changed = mutex.newCondition();
    private final ReadMostlyLock lock;
    /** The admission grace's clock: {@link System#nanoTime()}, or a test's own. */
    private final LongSupplier clock;

    // ---- under the mutex
    private final ArrayDeque<Thread> writers = new ArrayDeque<>();
    /** Readers waiting for the current writer to leave. */
    private int blockedReaders;
    /** Readers let in by the last writer's release that have not entered yet; no writer may claim before. */
    private int admitted;
    /** Incremented when a writer's release admits the waiting readers. */
    private long generation;
    /** When the last admission happened, on {@link #clock}. */
    private long admittedAt;

    /** For tests: run by an admitted reader outside the mutex before it counts itself as entered. */
    volatile Runnable admittedHook;

    ReadMostlyLockQueue(ReadMostlyLock lock, LongSupplier clock) {
        this.lock = lock;
        this.clock = clock;
    }

    /** Under the mutex: whether a writer may claim now without queueing (nobody claims, queues or is admitted). */
    boolean free() {
        return lock.claimant() == null && writers.isEmpty() && admitted == 0;
    }

    /** Under the mutex: whether no writer claims or waits (a burst may end). */
    boolean noWriter() {
        return lock.claimant() == null && writers.isEmpty();
    }

    /**
     * Under the mutex: waits until {@code me} is first in line, nobody claims and no admitted reader is pending.
     *
     * @return false if a timed wait ran out
     */
    boolean awaitTurn(Thread me, int how, long deadline) throws InterruptedException {
        writers.addLast(me);
        boolean ok = false;
        boolean interrupted = false;
        try {
            while (true) {
                long grace = Long.MAX_VALUE;
                if (lock.claimant() == null && writers.peekFirst() == me) {
                    if (admitted == 0) {
                        break;
                    }
                    grace = admittedAt + ADMISSION_GRACE_NANOS - clock.getAsLong();
                    if (grace <= 0L) {
                        admitted = 0; // the admitted readers that did not show up in time wait for us now
                        break;
                    }
                }
                if (how == TIMED) {
                    long rem = deadline - System.nanoTime();
                    if (rem <= 0L) {
                        return false;
                    }
                    changed.awaitNanos(Math.min(rem, grace));
                } else if (grace != Long.MAX_VALUE) {
                    if (how == INTERRUPTIBLE) {
                        changed.awaitNanos(grace);
                    } else {
                        interrupted |= awaitNanosUninterruptibly(grace);
                    }
                } else if (how == INTERRUPTIBLE) {
                    changed.await();
                } else {
                    changed.awaitUninterruptibly();
                }
            }
            ok = true;
            return true;
        } finally {
            writers.removeFirstOccurrence(me);
            if (!ok) {
                changed.signalAll(); // the writer behind us may be first now
            }
            if (interrupted) {
                me.interrupt(); // lock() is not interruptible, but the interrupt is not lost
            }
        }
    }

    private boolean awaitNanosUninterruptibly(long nanos) {
        try {
            changed.awaitNanos(nanos);
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }

    /**
     * Under the mutex: waits for the claiming writer to leave, then marks {@code r} inside.
     *
     * @return false if a timed wait ran out
     */
    boolean awaitWriterGone(ReadMostlyLockReader r, int how, long deadline) throws InterruptedException {
        // a writer that claimed after our admission's grace ran out sends us back to waiting
        while (lock.claimant() != null) {
            blockedReaders++;
            long g = generation;
            try {
                while (generation == g) {
                    if (how == TIMED) {
                        long rem = deadline - System.nanoTime();
                        if (rem <= 0L) {
                            blockedReaders--;
                            return false;
                        }
                        changed.awaitNanos(rem);
                    } else if (how == INTERRUPTIBLE) {
                        changed.await();
                    } else {
                        changed.awaitUninterruptibly();
                    }
                }
                Runnable hook = admittedHook;
                if (hook != null) {
                    mutex.unlock();
                    try {
                        hook.run();
                    } finally {
                        mutex.lock();
                    }
                }
            } catch (InterruptedException e) {
                if (generation == g) {
                    blockedReaders--;
                } else {
                    admittedEntered(g); // admitted, but leaving: the writers must not wait for us
                }
                throw e;
            }
            admittedEntered(g);
        }
        // under the mutex: a writer claims only under it, and then sees this store with its volatile load
        ReadMostlyLock.ACTIVE.setVolatile(r, 1);
        r.holds = 1;
        return true;
    }

    /**
     * Under the mutex: a reader admitted by the release that ended generation {@code g} entered (or gave up); the
     * last one lets the writers claim. Not counted if a later admission replaced ours, or the grace ran out.
     */
    private void admittedEntered(long g) {
        if (generation == g + 1 && admitted > 0 && --admitted == 0) {
            changed.signalAll();
        }
    }

    /** Under the mutex: the claiming or holding writer left; admits the readers that waited for it. */
    void writerLeft() {
        if (blockedReaders > 0) {
            admitted = blockedReaders; // an earlier admission's latecomers are not waited for again
            blockedReaders = 0;
            generation++;
            admittedAt = clock.getAsLong();
        }
        changed.signalAll();
    }

    /** Under the mutex, for tests that move the clock: waiting writers look at it again. */
    void recheck() {
        changed.signalAll();
    }

    /** A new condition of the mutex, for the write lock's conditions. */
    Condition newCondition() {
        return mutex.newCondition();
    }

    /** Under the mutex: the number of threads waiting for the write lock (diagnostics). */
    int queuedWriters() {
        return writers.size();
    }
}
