package io.processbarrier.sync;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

import static io.processbarrier.sync.ReadMostlyLockQueue.INTERRUPTIBLE;
import static io.processbarrier.sync.ReadMostlyLockQueue.TIMED;
import static io.processbarrier.sync.ReadMostlyLockQueue.TRY;
import static io.processbarrier.sync.ReadMostlyLockQueue.UNINTERRUPTIBLE;

/**
 * The two {@link Lock} views of a {@link ReadMostlyLock}: the {@code Lock} contract's entry points mapped onto the
 * lock's acquisition modes (try, timed, interruptible, uninterruptible). The contract of each is the lock's class
 * documentation; nothing here holds state.
 */
final class ReadMostlyLockViews {
    private ReadMostlyLockViews() {
    }

    static final class Read implements Lock {
        private final ReadMostlyLock lock;

        Read(ReadMostlyLock lock) {
            this.lock = lock;
        }

        @Override
        public void lock() {
            try {
                lock.acquireRead(UNINTERRUPTIBLE, 0L);
            } catch (InterruptedException e) {
                throw new AssertionError("uninterruptible", e);
            }
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            lock.acquireRead(INTERRUPTIBLE, 0L);
        }

        /**
         * Takes the read lock if no writer has claimed it (see "tryLock() does not barge" in the lock's doc), or if
         * the caller holds it already.
         */
        @Override
        public boolean tryLock() {
            try {
                return lock.acquireRead(TRY, 0L);
            } catch (InterruptedException e) {
                throw new AssertionError("a try never waits", e);
            }
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            long nanos = unit.toNanos(time);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            return lock.acquireRead(TIMED, nanos);
        }

        @Override
        public void unlock() {
            lock.releaseRead();
        }

        /** @throws UnsupportedOperationException always: read locks have no conditions (as in RRWL) */
        @Override
        public Condition newCondition() {
            throw new UnsupportedOperationException("the read lock of a ReadMostlyLock has no conditions (as in"
                    + " ReentrantReadWriteLock): use writeLock().newCondition()");
        }

        @Override
        public String toString() {
            return lock + ".readLock";
        }
    }

    static final class Write implements Lock {
        private final ReadMostlyLock lock;

        Write(ReadMostlyLock lock) {
            this.lock = lock;
        }

        @Override
        public void lock() {
            try {
                lock.acquireWrite(UNINTERRUPTIBLE, 0L);
            } catch (InterruptedException e) {
                throw new AssertionError("uninterruptible", e);
            }
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            lock.acquireWrite(INTERRUPTIBLE, 0L);
        }

        /**
         * Takes the write lock if it is free at this moment, whoever queues: no writer claims or holds it, no reader
         * is inside (it may pay a {@code heavy()} to find out) and no reader admitted by the last release is still on
         * its way in (see "tryLock()" in the lock's doc); or if the caller holds it already.
         */
        @Override
        public boolean tryLock() {
            try {
                return lock.acquireWrite(TRY, 0L);
            } catch (InterruptedException e) {
                throw new AssertionError("a try never waits", e);
            }
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            return lock.acquireWrite(TIMED, unit.toNanos(time));
        }

        @Override
        public void unlock() {
            lock.releaseWrite();
        }

        @Override
        public Condition newCondition() {
            return new ReadMostlyLockCondition(lock);
        }

        @Override
        public String toString() {
            return lock + ".writeLock";
        }
    }

    /**
     * {@link ReadMostlyLock#localReadLock()}: the read lock of one thread, through its record kept here (no lookup).
     * Every method checks the calling thread first (a compare with a final field) and throws
     * {@link IllegalStateException} on another one, changing nothing.
     */
    static final class LocalRead implements Lock {
        private final ReadMostlyLock lock;
        private final ReadMostlyLockReader record;
        private final Thread thread;

        LocalRead(ReadMostlyLock lock, ReadMostlyLockReader record, Thread thread) {
            this.lock = lock;
            this.record = record;
            this.thread = thread;
        }

        private void check(String what) {
            Thread t = Thread.currentThread();
            if (t != thread) {
                throw new IllegalStateException("localReadLock()." + what + " on thread '" + t.getName() + "', but"
                        + " the handle belongs to '" + thread.getName() + "': call lock.localReadLock() on each"
                        + " thread that reads (or use readLock(), which any thread may use)");
            }
        }

        @Override
        public void lock() {
            check("lock()");
            try {
                lock.acquireRecord(record, UNINTERRUPTIBLE, 0L);
            } catch (InterruptedException e) {
                throw new AssertionError("uninterruptible", e);
            }
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            check("lockInterruptibly()");
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            lock.acquireRecord(record, INTERRUPTIBLE, 0L);
        }

        @Override
        public boolean tryLock() {
            check("tryLock()");
            try {
                return lock.acquireRecord(record, TRY, 0L);
            } catch (InterruptedException e) {
                throw new AssertionError("a try never waits", e);
            }
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            check("tryLock(time, unit)");
            long nanos = unit.toNanos(time);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            return lock.acquireRecord(record, TIMED, nanos);
        }

        @Override
        public void unlock() {
            check("unlock()");
            lock.releaseRecord(record, thread);
        }

        /** @throws UnsupportedOperationException always: read locks have no conditions (as in RRWL) */
        @Override
        public Condition newCondition() {
            throw new UnsupportedOperationException("the read lock of a ReadMostlyLock has no conditions (as in"
                    + " ReentrantReadWriteLock): use writeLock().newCondition()");
        }

        @Override
        public String toString() {
            return lock + ".localReadLock[" + thread.getName() + "]";
        }
    }
}
