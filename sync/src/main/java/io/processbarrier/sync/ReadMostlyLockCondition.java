package io.processbarrier.sync;

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
 * the write lock throws {@link IllegalMonitorStateException}. A timeout of zero or less (down to
 * {@code Long.MIN_VALUE}, in any unit) and a deadline in the past time out at once, after releasing and reacquiring
 * the write lock, as {@code AbstractQueuedSynchronizer}'s conditions: the timeout is clamped to zero before any
 * deadline is computed, so no sum overflows.
 *
 * <p><b>A full heap</b> ({@link OutOfMemoryError}) breaks no wait, as in {@code AbstractQueuedSynchronizer} since
 * JDK 20. A wait allocates one object, its waiter (the list of waiters is linked through them, so it never grows an
 * array); if that allocation fails, the wait goes on without a waiter: it releases the write lock as usual, parks for
 * {@link #NO_WAITER_PARK_NANOS} (or until its deadline, or an interrupt), takes the lock back and returns as a
 * spurious wake-up (the caller's loop re-checks its predicate and waits again; a timed wait says whether its time
 * ran out). A signal meanwhile wakes nobody in particular, which the {@link Condition} contract allows since such a
 * waiter looks again within that park. Release, park and reacquire allocate nothing on a platform thread but in
 * rare places of the write path (a stall warning's text while readers stay inside); an {@code OutOfMemoryError}
 * there while taking the lock back leaves no hold, and the reacquire waits {@link #NO_WAITER_PARK_NANOS} and tries
 * again until it holds the lock: an {@code OutOfMemoryError} never makes {@code await} return or throw without it.
 * A virtual thread's park allocates (its scheduling, the timer of a timed park): on a full heap the JDK parks its
 * carrier instead, or loses the timer's wake-up for good; so the waits that follow an {@code OutOfMemoryError}
 * here never park a virtual thread on a timer: it spins on its carrier for the pause ({@link FullHeapPause}). Only an
 * {@link InterruptedException} still to be thrown needs the heap (its constructor): on a full heap the thread gets
 * the {@code OutOfMemoryError} instead, holding the lock, with its interrupt status cleared.
 */
final class ReadMostlyLockCondition implements Condition {
    private static final int WAITING = 0;
    private static final int SIGNALLED = 1;
    private static final int GAVE_UP = 2;

    /**
     * How long a wait that could not allocate its waiter, or a reacquire that met an {@link OutOfMemoryError}, parks
     * before it looks again: AQS's delay on a full heap, short enough for a caller's loop, long enough for the
     * collector to find memory meanwhile.
     */
    static final long NO_WAITER_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * One thread's wait: its value goes from WAITING to SIGNALLED (by a signaller) or GAVE_UP (by the waiter). Also
     * the link of the condition's list, so that joining it allocates nothing but the waiter.
     */
    @SuppressWarnings("serial") // never serialized
    private static final class Waiter extends AtomicInteger {
        final Thread thread = Thread.currentThread();
        /** The next waiter in arrival order; accessed only by the write-lock holder, as {@link #head}. */
        Waiter next;
    }

    private final ReadMostlyLock lock;
    /**
     * The waiters in arrival order, linked through {@link Waiter#next}: {@code head} is the longest waiting, {@code tail}
     * the last. Accessed only by the write-lock holder (the write lock carries them between holders).
     */
    private Waiter head;
    private Waiter tail;

    /** For tests: while set, every wait finds the heap full (its waiter cannot be allocated). */
    volatile boolean failWaiters;

    ReadMostlyLockCondition(ReadMostlyLock lock) {
        this.lock = lock;
    }

    private static final int FOREVER = 0;
    private static final int NANOS = 1;
    private static final int UNTIL = 2;

    /** Under the write lock: a new waiter for the calling thread, last in line; null if the heap is full. */
    private Waiter enqueue() {
        Waiter w;
        try {
            if (failWaiters) {
                throw new OutOfMemoryError("Java heap space (test)");
            }
            w = new Waiter();
        } catch (OutOfMemoryError e) { // the heap is full: the wait goes on without a waiter (class doc)
            return null;
        }
        if (tail == null) {
            head = w;
        } else {
            tail.next = w;
        }
        tail = w;
        return w;
    }

    /** Under the write lock: the longest waiting waiter, taken off the list; null if none. */
    private Waiter dequeue() {
        Waiter w = head;
        if (w != null) {
            head = w.next;
            if (head == null) {
                tail = null;
            }
            w.next = null;
        }
        return w;
    }

    /** Under the write lock: takes {@code w} off the list if it is still on it (a signal may have taken it). */
    private void unlink(Waiter w) {
        Waiter prev = null;
        for (Waiter x = head; x != null; prev = x, x = x.next) {
            if (x == w) {
                if (prev == null) {
                    head = x.next;
                } else {
                    prev.next = x.next;
                }
                if (tail == x) {
                    tail = prev;
                }
                x.next = null;
                return;
            }
        }
    }

    /**
     * The wait. {@code timing}: FOREVER, NANOS ({@code time} is a {@link System#nanoTime()} deadline) or UNTIL
     * ({@code time} is a {@link System#currentTimeMillis()} deadline).
     *
     * @return whether it was signalled or woke spuriously (false: its time ran out)
     */
    private boolean await(boolean interruptible, int timing, long time) throws InterruptedException {
        lock.checkWriteHeld();
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException();
        }
        Waiter w = enqueue(); // null: a full heap, a wait without a waiter
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
                if (w != null) {
                    unlink(w);
                }
                lock.writeHolds = saved;
            }
        }
        boolean interruptedBeforeSignal = false;
        boolean interruptedAfterSignal = false;
        boolean timedOut = false;
        if (w == null) { // one bounded park, then a spurious wake-up (class doc): nobody can signal us
            long park = NO_WAITER_PARK_NANOS;
            if (timing == NANOS) {
                long left = time - System.nanoTime();
                timedOut = left <= 0L;
                park = Math.min(park, left);
            } else if (timing == UNTIL) {
                long now = System.currentTimeMillis();
                timedOut = now >= time; // compared before subtracted: time may be Long.MIN_VALUE
                if (!timedOut && time - now < park / 1_000_000L) {
                    park = (time - now) * 1_000_000L;
                }
            }
            if (!timedOut) {
                parkNanos(park);
                timedOut = timing == NANOS ? time - System.nanoTime() <= 0L
                        : timing == UNTIL && System.currentTimeMillis() >= time;
            }
            if (Thread.interrupted()) {
                if (interruptible) {
                    interruptedBeforeSignal = true;
                } else {
                    interruptedAfterSignal = true;
                }
            }
        }
        while (w != null && w.get() == WAITING) { // acquire (volatile) load: the signaller's CAS
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
        reacquire();
        lock.writeHolds = saved;
        if (w != null && w.get() == GAVE_UP) {
            unlink(w); // holding the write lock again (a signal may have dropped it already)
        }
        if (interruptedBeforeSignal) {
            throw new InterruptedException();
        }
        if (interruptedAfterSignal) {
            Thread.currentThread().interrupt();
        }
        return !timedOut;
    }

    /**
     * Takes the write lock back, uninterruptibly (an interrupt meanwhile is kept). An {@link OutOfMemoryError} from the
     * write path left no hold: wait a little for memory and try again, never return without the lock (class doc).
     */
    private void reacquire() {
        while (true) {
            try {
                lock.acquireWrite(UNINTERRUPTIBLE, 0L, true);
                return;
            } catch (OutOfMemoryError e) {
                parkNanos(NO_WAITER_PARK_NANOS);
            } catch (InterruptedException e) {
                throw new AssertionError("uninterruptible", e);
            }
        }
    }

    /**
     * The pause of a wait that met a full heap (no waiter, or an error while taking the lock back): allocates nothing
     * and needs no timer of the JDK's ({@link FullHeapPause} says why a virtual thread must not park on one there).
     * Pausing rather than returning at once: every failed allocation of the caller's next attempt costs a full
     * collection.
     */
    private void parkNanos(long nanos) {
        FullHeapPause.pause(this, nanos);
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

    /** A {@link System#nanoTime()} deadline {@code nanos} from now; a negative timeout counts as 0 (no overflow). */
    private static long deadline(long nanos) {
        return System.nanoTime() + Math.max(0L, nanos); // nanoTime + MAX_VALUE wraps, but differences stay right
    }

    @Override
    public long awaitNanos(long nanosTimeout) throws InterruptedException {
        long deadline = deadline(nanosTimeout);
        await(true, NANOS, deadline);
        long left = deadline - System.nanoTime();
        return left <= nanosTimeout ? left : Long.MIN_VALUE; // as AbstractQueuedSynchronizer: never above the bound
    }

    @Override
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "await(time, unit): unit is null");
        return await(true, NANOS, deadline(unit.toNanos(time))); // toNanos saturates at Long.MIN/MAX_VALUE
    }

    @Override
    public boolean awaitUntil(Date deadline) throws InterruptedException {
        Objects.requireNonNull(deadline, "awaitUntil(deadline): deadline is null");
        return await(true, UNTIL, deadline.getTime()); // compared with currentTimeMillis, never summed: no overflow
    }

    @Override
    public void signal() {
        lock.checkWriteHeld();
        for (Waiter w; (w = dequeue()) != null; ) {
            if (w.compareAndSet(WAITING, SIGNALLED)) { // volatile CAS: the waiter's loop sees it
                lock.queue.wake(w.thread);
                return;
            }
            // it gave up (timed out or interrupted) and has not yet taken itself off: the signal goes to the next
        }
    }

    @Override
    public void signalAll() {
        lock.checkWriteHeld();
        for (Waiter w; (w = dequeue()) != null; ) {
            if (w.compareAndSet(WAITING, SIGNALLED)) {
                lock.queue.wake(w.thread);
            }
        }
    }
}
