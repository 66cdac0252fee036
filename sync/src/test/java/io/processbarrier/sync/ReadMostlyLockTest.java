package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLockThreads.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.ref.WeakReference;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;

import static io.processbarrier.sync.ReadMostlyLockThreads.assumeVirtualThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** What {@link ReadMostlyLock} promises beyond the {@code ReadWriteLock} contract (see {@link ReadWriteLockContract}). */
class ReadMostlyLockTest {
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    @Test
    void readersOnTheFastPathNeverCallHeavy() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b);
        for (int i = 0; i < 10_000; i++) {
            lock.readLock().lock();
            lock.readLock().unlock();
        }
        Task.start("another reader", () -> {
            lock.readLock().lock();
            lock.readLock().unlock();
            return 0;
        }).get();
        assertEquals(0, b.heavies.get());
        assertFalse(lock.flagRaised());
    }

    /** A burst of writes pays one heavy(): the flag stays raised while the burst window lasts (here: an hour). */
    @Test
    void aBurstOfWritesPaysOneHeavy() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b, HOUR);
        Task<Integer> reader = Task.start("reader", () -> {
            for (int i = 0; i < 1000; i++) {
                lock.readLock().lock();
                lock.readLock().unlock();
            }
            return 0;
        });
        for (int i = 0; i < 1000; i++) {
            lock.writeLock().lock();
            lock.writeLock().unlock();
            if (i % 100 == 0) {
                Task.start("reader between writes", () -> { // readers on the fenced path meanwhile
                    lock.readLock().lock();
                    lock.readLock().unlock();
                    return 0;
                }).get();
            }
        }
        reader.get();
        assertEquals(1, b.heavies.get(), "1000 writes in one burst");
        assertTrue(lock.flagRaised(), "the window has not passed");
    }

    /**
     * The control of the burst test: with a window of 0, readers on the fenced path lower the flag (every 256th fenced
     * entry), so each write after such reads pays its own heavy(), and readers are back on the fast path.
     */
    @Test
    void readersEndABurstAfterTheWindow() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b, 0L);
        for (int round = 1; round <= 5; round++) {
            lock.writeLock().lock();
            lock.writeLock().unlock();
            assertTrue(lock.flagRaised());
            for (int i = 0; i < ReadMostlyLock.BURST_CHECK_PERIOD; i++) {
                lock.readLock().lock();
                lock.readLock().unlock();
            }
            assertFalse(lock.flagRaised(),
                    ReadMostlyLock.BURST_CHECK_PERIOD + " fenced reads after the window lower the flag");
            assertEquals(round, b.heavies.get(), "one heavy() per burst");
        }
    }

    @Test
    void aWriterWaitsParkedForTheReadersInside() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock();
        lock.readLock().lock();
        Task<Boolean> writer = Task.start("writer", () -> {
            lock.writeLock().lock();
            lock.writeLock().unlock();
            return true;
        }).awaitWaiting();
        ReadMostlyLockThreads.await(() -> LockSupport.getBlocker(writer.thread) == lock,
                "the writer to park in the drain, its blocker the lock");
        Thread.State state = writer.thread.getState();
        assertTrue(state == Thread.State.TIMED_WAITING || state == Thread.State.WAITING,
                "parked (it re-checks every millisecond), not spinning: " + state);
        lock.readLock().unlock(); // the slow exit must unpark it
        assertTrue(writer.get());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void recordsOfDeadThreadsAreDropped(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        ReadMostlyLock lock = new ReadMostlyLock();
        for (int i = 0; i < 2000; i++) {
            Thread t = ReadMostlyLockThreads.newThread(virtual, "short-lived-" + i, () -> {
                lock.readLock().lock();
                lock.readLock().unlock();
            });
            t.start();
            ReadMostlyLockThreads.join(t);
        }
        assertTrue(lock.registeredReaders() <= 64, "2000 dead readers left " + lock.registeredReaders()
                + " records in the registry");
    }

    /** The control of the clean-up: a reader that died holding the read lock keeps it held, and its record. */
    @Test
    void aReaderThatDiedHoldingTheLockKeepsIt() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock();
        Thread t = ReadMostlyLockThreads.newThread(false, "dies holding", () -> lock.readLock().lock());
        t.start();
        ReadMostlyLockThreads.join(t);
        for (int i = 0; i < 200; i++) {
            Thread s = ReadMostlyLockThreads.newThread(false, "short-lived-" + i, () -> {
                lock.readLock().lock();
                lock.readLock().unlock();
            });
            s.start();
            ReadMostlyLockThreads.join(s);
        }
        assertFalse(lock.writeLock().tryLock(), "the dead reader's hold is still there");
        assertTrue(lock.registeredReaders() >= 1);
    }

    @Test
    void theThreadLocalRecordDoesNotKeepTheLockAlive() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock();
        lock.readLock().lock();
        lock.readLock().unlock();
        WeakReference<ReadMostlyLock> ref = new WeakReference<>(lock);
        lock = null;
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertSame(null, ref.get(), "the lock was not collected: something this thread holds references it");
    }

    @Test
    void aFailingHeavyLeavesNoTrace() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b);
        IllegalStateException boom = new IllegalStateException("boom");
        b.failNext.set(boom);
        assertSame(boom, assertThrows(IllegalStateException.class, () -> lock.writeLock().lock()));
        assertTrue(Task.start("reader", () -> lock.readLock().tryLock() && unlock(lock.readLock())).get());
        assertTrue(Task.start("writer", () -> lock.writeLock().tryLock() && unlock(lock.writeLock())).get());
    }

    private static boolean unlock(Lock l) {
        l.unlock();
        return true;
    }

    @Test
    void badInputIsRefusedClearly() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> new ReadMostlyLock(null));
        assertTrue(e.getMessage().contains("ProcessBarrier.get()"), e.getMessage());
        ReadMostlyLock lock = new ReadMostlyLock();
        lock.readLock().lock();
        try {
            IllegalMonitorStateException u = assertThrows(IllegalMonitorStateException.class,
                    () -> lock.writeLock().lock());
            assertTrue(u.getMessage().contains("holds only the read lock"), u.getMessage());
        } finally {
            lock.readLock().unlock();
        }
        UnsupportedOperationException c = assertThrows(UnsupportedOperationException.class,
                () -> lock.readLock().newCondition());
        assertTrue(c.getMessage().contains("writeLock().newCondition()"), c.getMessage());
    }

    /**
     * A downgraded writer (write and read held) may await a condition: the read hold is kept through the wait and
     * does not refuse the reacquisition (ReentrantReadWriteLock would hang there: its writer cannot reacquire over
     * its own read hold).
     */
    @Test
    void aDowngradedWriterCanAwait() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock();
        java.util.concurrent.locks.Condition c = lock.writeLock().newCondition();
        lock.writeLock().lock();
        lock.readLock().lock();
        try {
            assertFalse(c.await(1, TimeUnit.MILLISECONDS), "timed out, and reacquired");
            assertFalse(Task.start("reader", () -> lock.readLock().tryLock()).get(), "the write lock is held again");
        } finally {
            lock.writeLock().unlock();
            lock.readLock().unlock();
        }
        assertTrue(Task.start("writer", () -> lock.writeLock().tryLock() && unlock(lock.writeLock())).get());
    }

    /** Readers admitted by a writer's release enter before the next writer; the next writer then waits for them. */
    @Test
    void readersWaitingForAWriterGoBeforeTheNextWriter() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock();
        CountDownLatch leave = new CountDownLatch(1);
        lock.writeLock().lock();
        Task<Boolean> reader = Task.start("reader", () -> {
            lock.readLock().lock();
            try {
                return leave.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS);
            } finally {
                lock.readLock().unlock();
            }
        }).awaitWaiting();
        Task<Boolean> writer2 = Task.start("second writer", () -> {
            lock.writeLock().lock();
            lock.writeLock().unlock();
            return true;
        }).awaitWaiting();
        lock.writeLock().unlock();
        // the reader is admitted first: the second writer is still waiting while the reader holds
        ReadMostlyLockThreads.await(() -> LockSupport.getBlocker(writer2.thread) == lock || writer2.isDone(),
                "the second writer to wait for the admitted reader");
        if (writer2.isDone()) {
            fail("the second writer overtook the reader that waited before it");
        }
        leave.countDown();
        assertTrue(reader.get());
        assertTrue(writer2.get());
    }

    /** An acquisition that fails inside (an Error at light(), say a StackOverflowError) leaves no reader behind. */
    @Test
    void aReadLockThatFailsInsideLeavesNoReaderBehind() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b);
        b.failNextLight.set(new StackOverflowError("injected"));
        assertThrows(StackOverflowError.class, () -> lock.readLock().lock());
        java.util.concurrent.FutureTask<Boolean> write = new java.util.concurrent.FutureTask<>(() -> {
            boolean got = lock.writeLock().tryLock(10, TimeUnit.SECONDS);
            if (got) {
                lock.writeLock().unlock();
            }
            return got;
        });
        new Thread(write, "writer").start();
        assertTrue(write.get(20, TimeUnit.SECONDS), "a writer was held back by the read lock that failed");
        lock.readLock().lock(); // and the thread can read again
        lock.readLock().unlock();
    }

    /** Records of dead readers are dropped by writes too, when no new reader registers. */
    @Test
    void writesDropDeadReadersRecords() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.of("fence"));
        for (int i = 0; i < 40; i++) {
            Thread t = new Thread(() -> {
                lock.readLock().lock();
                lock.readLock().unlock();
            });
            t.start();
            t.join();
        }
        assertEquals(40, lock.registeredReaders(), "below the registration pruning threshold: all kept so far");
        for (int i = 0; i < 1024; i++) {
            lock.writeLock().lock();
            lock.writeLock().unlock();
        }
        assertEquals(0, lock.registeredReaders(), "1024 writes dropped the dead readers' records");
    }
}
