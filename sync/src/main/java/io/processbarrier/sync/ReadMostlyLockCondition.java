package io.processbarrier.sync;

import java.util.ArrayDeque;
import java.util.Date;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;

import static io.processbarrier.sync.ReadMostlyLockQueue.UNINTERRUPTIBLE;

/**
 * A condition of a {@link ReadMostlyLock}'s write lock, as {@code ReentrantReadWriteLock}'s: {@code await} releases
 * the write lock fully (all holds; readers can proceed), parks until signalled, interrupted or timed out, then
 * reacquires the write lock with the same hold count, uninterruptibly, before it returns or throws. Signals wake the
 * waiters in the order they began to wait (FIFO, as {@code AbstractQueuedSynchronizer}'s conditions).
 *
 * <p><b>Why not a {@code Condition} of the internal mutex.</b> Such a condition hands a signalled waiter to the
 * mutex's FIFO queue, where it must wait behind whoever queued there first, readers included, and a virtual reader
 * that was unparked but is not scheduled (carriers busy) holds that queue for as long as it stays off a carrier
 * ({@link ReadMostlyLockQueue} says why writers never queue there). Here the waiters are a list of our own, guarded by
 * the write lock itself (a waiter joins it while it holds the write lock, a signaller must hold it, a waiter that
 * gave up leaves it once it holds it again), each parks on its own state, and a woken waiter takes the write lock as
 * any writer does: by barging for the mutex, never behind a reader.
 *
 * <p><b>Memory ordering.</b> As {@link java.util.concurrent.locks.Lock}'s conditions: whatever the signaller did
 * before it released the write lock happens-before the awaiting thread's return (it returns holding the lock).
 *
 * <p><b>Fault model.</b> An interrupt during the wait is thrown only after the write lock is held again (as the
 * {@link Condition} contract requires); an interrupt that comes after a signal does not cancel it: the wait returns
 * normally with the interrupt status set (as {@code AbstractQueuedSynchronizer}). A waiter that times out or is
 * interrupted before a signal gives up its place atomically, so a signal never goes to a waiter that already left:
 * it wakes the next one. A {@code heavy()} that throws while reacquiring propagates, with the lock not held (the
 * caller's {@code finally} then fails its {@code unlock()} with {@link IllegalMonitorStateException}: the holds were
 * lost with the barrier, and saying so is better than a silent hold count). Signalling or awaiting without holding
 * the write lock throws {@link IllegalMonitorStateException}.
 */
final class ReadMostlyLockCondition implements Condition {
    private static final int WAITING = 0;
    private static final int SIGNALLED = 1;
    private static final int GAVE_UP = 2;
    /** One thread's wait: its value goes from WAITING to SIGNALLED (by a signaller) or GAVE_UP (by the waiter). */
    @SuppressWarnings("serial") // never serialized
    private static final class Waiter extends AtomicInteger {
        final Thread thread = Thread.currentThread();
    }

    private final ReadMostlyLock lock;
    /** Waiters in arrival order; accessed only by the write-lock holder (the write lock carries it between holders). */
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    ReadMostlyLockCondition(ReadMostlyLock lock) {
        this.lock = lock;
    }

    private static final int FOREVER = 0;
    private static final int NANOS = 1;
    private static final int UNTIL = 2;

    /**
     * The wait. {@code timing}: FOREVER, NANOS ({@code time} is a {@link System#nanoTime()} deadline) or UNTIL
     * ({@code time} is a {@link System#currentTimeMillis()} deadline).
     *
     * @return whether it was signalled (false: it timed out)
     */
    private boolean await(boolean interruptible, int timing, long time) throws InterruptedException {
        lock.checkWriteHeld();
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException();
        }
        Waiter w = new Waiter();
        waiters.addLast(w);
        int saved = lock.writeHolds;
        lock.writeHolds = 0;
        boolean released = false;
        try {
            lock.queue.lockForWriter();
            try {
                lock.releaseWriteLocked();
                released = true;
            } finally {
                lock.queue.mutex.unlock();
            }
        } finally {
            if (!released) { // an Error on the way out: still the holder, as if await had not begun
                waiters.removeLastOccurrence(w);
                lock.writeHolds = saved;
            }
        }
        boolean interruptedBeforeSignal = false;
        boolean interruptedAfterSignal = false;
        boolean timedOut = false;
        while (w.get() == WAITING) {
            if (Thread.interrupted()) { // also clears it, or the park below would return at once
                if (interruptible && w.compareAndSet(WAITING, GAVE_UP)) {
                    interruptedBeforeSignal = true;
                    break;
                }
                interruptedAfterSignal = true; // uninterruptible, or a signal won the race: keep the status only
                continue;
            }
            if (timing == NANOS) {
                long left = time - System.nanoTime();
                if (left <= 0L) {
                    timedOut = w.compareAndSet(WAITING, GAVE_UP); // false: signalled just now, which counts
                    break;
                }
                LockSupport.parkNanos(this, left);
            } else if (timing == UNTIL) {
                if (System.currentTimeMillis() >= time) {
                    timedOut = w.compareAndSet(WAITING, GAVE_UP);
                    break;
                }
                LockSupport.parkUntil(this, time);
            } else {
                LockSupport.park(this);
            }
        }
        try {
            lock.acquireWrite(UNINTERRUPTIBLE, 0L, true);
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible", e);
        }
        lock.writeHolds = saved;
        if (w.get() == GAVE_UP) {
            waiters.removeFirstOccurrence(w); // holding the write lock again (a signal may have dropped it already)
        }
        if (interruptedBeforeSignal) {
            throw new InterruptedException();
        }
        if (interruptedAfterSignal) {
            Thread.currentThread().interrupt();
        }
        return !timedOut;
    }

    @Override
    public void await() throws InterruptedException {
        await(true, FOREVER, 0L);
    }

    @Override
    public void awaitUninterruptibly() {
        try {
            await(false, FOREVER, 0L);
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible", e);
        }
    }

    @Override
    public long awaitNanos(long nanosTimeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + nanosTimeout;
        if (nanosTimeout > 0L && deadline - start < 0L) {
            deadline = start + Long.MAX_VALUE; // overflow: effectively forever
        }
        await(true, NANOS, deadline);
        long left = deadline - System.nanoTime();
        return left <= nanosTimeout ? left : Long.MIN_VALUE; // as AbstractQueuedSynchronizer, for an overflowed bound
    }

    @Override
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "await(time, unit): unit is null");
        long nanos = unit.toNanos(time);
        long start = System.nanoTime();
        long deadline = start + nanos;
        if (nanos > 0L && deadline - start < 0L) {
            deadline = start + Long.MAX_VALUE;
        }
        return await(true, NANOS, deadline);
    }

    @Override
    public boolean awaitUntil(Date deadline) throws InterruptedException {
        Objects.requireNonNull(deadline, "awaitUntil(deadline): deadline is null");
        return await(true, UNTIL, deadline.getTime());
    }

    @Override
    public void signal() {
        lock.checkWriteHeld();
        for (Waiter w; (w = waiters.pollFirst()) != null; ) {
            if (w.compareAndSet(WAITING, SIGNALLED)) {
                LockSupport.unpark(w.thread);
                return;
            }
            // it gave up (timed out or interrupted) and has not yet taken itself off: the signal goes to the next
        }
    }

    @Override
    public void signalAll() {
        lock.checkWriteHeld();
        for (Waiter w; (w = waiters.pollFirst()) != null; ) {
            if (w.compareAndSet(WAITING, SIGNALLED)) {
                LockSupport.unpark(w.thread);
            }
        }
    }
}
