package io.processbarrier.sync;

import java.util.Date;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

import static io.processbarrier.sync.ReadMostlyLockQueue.UNINTERRUPTIBLE;

/**
 * A condition of a {@link ReadMostlyLock}'s write lock, as {@code ReentrantReadWriteLock}'s: {@code await} releases
 * the write lock fully (all holds; readers can proceed), waits on a condition of the lock's internal mutex (so a
 * signal by the next holder cannot be missed: it takes that mutex to signal), then reacquires the write lock with the
 * same hold count, uninterruptibly, before it returns or throws.
 *
 * <p>Fault model: an interrupt during the wait is thrown only after the write lock is held again (as the
 * {@link Condition} contract requires); a {@code heavy()} that throws while reacquiring propagates, with the lock not
 * held (the caller's {@code finally} then fails its {@code unlock()} with {@link IllegalMonitorStateException}: the
 * holds were lost with the barrier, and saying so is better than a silent hold count). Signalling or awaiting without
 * holding the write lock throws {@link IllegalMonitorStateException}.
 */
final class ReadMostlyLockCondition implements Condition {
    /** One wait on the internal condition, with the mutex held. */
    private interface Wait {
        long await() throws InterruptedException;
    }

    private final ReadMostlyLock lock;
    private final Condition inner;

    ReadMostlyLockCondition(ReadMostlyLock lock, Condition inner) {
        this.lock = lock;
        this.inner = inner;
    }

    private long await(Wait wait) throws InterruptedException {
        lock.checkWriteHeld();
        int saved = lock.writeHolds;
        InterruptedException interrupted = null;
        long result;
        lock.queue.lockForWriter();
        try {
            lock.writeHolds = 0;
            lock.releaseWriteLocked();
            try {
                result = wait.await();
            } catch (InterruptedException e) {
                interrupted = e;
                result = 0L;
            }
        } finally {
            lock.queue.mutex.unlock();
        }
        try {
            lock.acquireWrite(UNINTERRUPTIBLE, 0L, true);
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible", e);
        }
        lock.writeHolds = saved;
        if (interrupted != null) {
            throw interrupted;
        }
        return result;
    }

    @Override
    public void await() throws InterruptedException {
        lock.checkWriteHeld();
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        await(() -> {
            inner.await();
            return 0L;
        });
    }

    @Override
    public void awaitUninterruptibly() {
        try {
            await(() -> {
                inner.awaitUninterruptibly();
                return 0L;
            });
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible", e);
        }
    }

    @Override
    public long awaitNanos(long nanosTimeout) throws InterruptedException {
        lock.checkWriteHeld();
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return await(() -> inner.awaitNanos(nanosTimeout));
    }

    @Override
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        lock.checkWriteHeld();
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return await(() -> inner.await(time, unit) ? 1L : 0L) != 0L;
    }

    @Override
    public boolean awaitUntil(Date deadline) throws InterruptedException {
        lock.checkWriteHeld();
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return await(() -> inner.awaitUntil(deadline) ? 1L : 0L) != 0L;
    }

    @Override
    public void signal() {
        lock.checkWriteHeld();
        lock.queue.lockForWriter();
        try {
            inner.signal();
        } finally {
            lock.queue.mutex.unlock();
        }
    }

    @Override
    public void signalAll() {
        lock.checkWriteHeld();
        lock.queue.lockForWriter();
        try {
            inner.signalAll();
        } finally {
            lock.queue.mutex.unlock();
        }
    }
}
