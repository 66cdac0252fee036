package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import static io.processbarrier.sync.ReadMostlyLockThreads.Task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Threads that read a {@link ReadMostlyLock} without a record of their own (a thread per request): they register
 * nothing, count on a stripe, and every contract of the read lock still holds for them (exclusion, reentrancy, the
 * {@link IllegalMonitorStateException} rules, the counts); a thread that keeps reading gets a record. Each test runs on
 * platform and on virtual threads (JDK 21+; skipped before). Controls: on the code before the stripes every reading
 * thread registered a record ({@link #aThreadThatReadsOnceRegistersNothing} failed with one record per thread), and
 * a lock whose writers skip the stripes lets a writer in beside such a reader
 * ({@link #aWriterWaitsForAReaderWithoutARecord} with {@code forgetStripes}: see the torture's control).
 *
 * <p>Such a virtual thread keeps its holds in its stripe's owner slot ({@link StripeOwners}), or in a
 * {@code ThreadLocal} when the slot is taken (a platform thread always there): a first read lock allocates nothing
 * (control: a spilled one's allocation is seen by the same measure), and spilled holds keep every rule (re-entry, the
 * upgrade refused, a writer waits for them; control: a writer that skips the stripes gets in beside them).
 */
class ReadMostlyLockRareReaderTest {
    private static ProcessBarrier barrier() {
        return ProcessBarrier.get();
    }

    private static void assumeKind(boolean virtual) {
        if (virtual) {
            ReadMostlyLockThreads.assumeVirtualThreads();
        }
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aThreadThatReadsOnceRegistersNothing(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        for (int i = 0; i < 200; i++) {
            Task<Integer> t = Task.start(virtual, "once-" + i, () -> {
                lock.readLock().lock();
                try {
                    return lock.getReadHoldCount();
                } finally {
                    lock.readLock().unlock();
                }
            });
            assertEquals(1, t.get(), "the hold count inside");
        }
        assertEquals(0, lock.registeredReaders(), "threads that read once registered records");
        assertEquals(0, lock.getReadLockCount());
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aThreadThatKeepsReadingGetsOneRecord(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        Task<int[]> t = Task.start(virtual, "steady", () -> {
            int[] seen = new int[2];
            for (int i = 0; i < 3 * ReadMostlyLock.PROMOTE_AFTER; i++) {
                lock.readLock().lock();
                lock.readLock().unlock();
                if (i == ReadMostlyLock.PROMOTE_AFTER - 2) {
                    seen[0] = lock.registeredReaders();
                }
            }
            seen[1] = lock.registeredReaders();
            return seen;
        });
        int[] seen = t.get();
        assertEquals(0, seen[0], "registered before its " + ReadMostlyLock.PROMOTE_AFTER + "th section");
        assertEquals(1, seen[1], "one record once it kept reading");
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void reentrancyCountsAndMisuseWithoutARecord(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        Lock r = lock.readLock();
        Task<Void> t = Task.start(virtual, "rare", () -> {
            assertThrows(IllegalMonitorStateException.class, r::unlock, "unlock without a hold");
            r.lock();
            assertTrue(r.tryLock(), "re-entry");
            assertEquals(2, lock.getReadHoldCount());
            assertEquals(2, lock.getReadLockCount());
            assertThrows(IllegalMonitorStateException.class, () -> lock.writeLock().lock(), "an upgrade");
            assertThrows(IllegalMonitorStateException.class, () -> lock.writeLock().tryLock(), "an upgrade (try)");
            r.unlock();
            assertEquals(1, lock.getReadHoldCount());
            r.unlock();
            assertEquals(0, lock.getReadHoldCount());
            assertThrows(IllegalMonitorStateException.class, r::unlock, "one unlock too many");
            assertTrue(lock.writeLock().tryLock(), "the write lock once the reads are released");
            lock.writeLock().unlock();
            return null;
        });
        t.get();
        assertEquals(0, lock.registeredReaders());
        assertEquals(0, lock.getReadLockCount());
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aWriterWaitsForAReaderWithoutARecord(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        HeldRead reader = new HeldRead(lock, virtual);
        assertEquals(0, lock.registeredReaders(), "the reader has no record");
        assertEquals(1, lock.getReadLockCount());
        assertFalse(lock.writeLock().tryLock(), "tryLock beside a reader");
        Task<Boolean> writer = reader.writerBeside(lock, virtual);
        writer.awaitAt(Thread.State.TIMED_WAITING, ReadMostlyLock.class, "drain");
        assertFalse(writer.isDone(), "the writer entered beside a reader");
        reader.release();
        assertTrue(writer.get(), "the writer entered before the reader left");
    }

    /** A reader without a record that finds a writer inside waits for it, and enters once it leaves. */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aReaderWithoutARecordWaitsForAWriter(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        lock.writeLock().lock();
        Task<Boolean> reader;
        try {
            reader = Task.start(virtual, "rare-reader", () -> {
                lock.readLock().lock();
                try {
                    return !lock.isWriteLocked();
                } finally {
                    lock.readLock().unlock();
                }
            });
            reader.awaitWaitingIn(lock.queue);
            assertFalse(reader.isDone());
        } finally {
            lock.writeLock().unlock();
        }
        assertTrue(reader.get(), "the reader entered while the writer held the lock");
    }

    /** A thread without a record that dies holding the read lock keeps it held (as in ReentrantReadWriteLock). */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aReaderWithoutARecordThatDiedHoldingTheLockKeepsIt(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        Task<Void> t = Task.start(virtual, "dies holding", () -> {
            lock.readLock().lock();
            return null;
        });
        t.get();
        ReadMostlyLockThreads.join(t.thread);
        assertEquals(0, lock.registeredReaders());
        assertEquals(1, lock.getReadLockCount(), "the dead reader's hold");
        assertFalse(lock.writeLock().tryLock(), "the dead reader's hold is still there");
        assertFalse(lock.writeLock().tryLock(50, TimeUnit.MILLISECONDS), "the dead reader's hold (timed)");
    }

    /**
     * A burst that started with every stripe empty lets its writes skip the stripes; a reader without a record that
     * then enters counts itself and makes the next write read them. Control: without {@code markUsed} in the read
     * path the {@code tryLock} beside the reader succeeded.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aReaderWithoutARecordIsSeenByTheWritesOfABurstThatSkippedTheStripes(boolean virtual) throws Exception {
        assumeKind(virtual);
        // a clock that stands still: the burst must stay open while the reader's thread starts, and on the real
        // clock its timer ended it first on a loaded machine (stress run, JDK 17: "premise: the burst is still open")
        long now = System.nanoTime();
        ReadMostlyLock lock = new ReadMostlyLock(barrier(), ReadMostlyLock.DEFAULT_BURST_NANOS, () -> now, null);
        Task.start(virtual, "first-reader", () -> {
            lock.readLock().lock(); // through a stripe: the stripes are in use
            lock.readLock().unlock();
            return null;
        }).get();
        assertTrue(lock.writersReadStripes(), "a stripe was counted");
        lock.writeLock().lock(); // starts a burst with every stripe empty
        lock.writeLock().unlock();
        assertTrue(lock.flagRaised(), "premise: a burst is open");
        assertFalse(lock.writersReadStripes(), "the burst's writes skip the stripes");
        HeldRead reader = new HeldRead(lock, virtual);
        assertEquals(0, lock.registeredReaders(), "premise: the reader has no record");
        assertTrue(lock.flagRaised(), "premise: the burst is still open");
        assertFalse(lock.writeLock().tryLock(), "a write of the burst entered beside a reader without a record");
        reader.release();
        assertTrue(lock.writeLock().tryLock(), "free once the reader left");
        lock.writeLock().unlock();
    }

    /**
     * A writer that starts a burst while a reader without a record is inside finds it in its reset of the stripes'
     * view and waits for it. Control: a reset that never restores the view let the writer in beside the reader.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aBurstThatStartsBesideAReaderWithoutARecordWaitsForIt(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        HeldRead reader = new HeldRead(lock, virtual);
        assertFalse(lock.flagRaised(), "premise: no burst open, the next writer starts one");
        Task<Boolean> writer = reader.writerBeside(lock, virtual);
        writer.awaitAt(Thread.State.TIMED_WAITING, ReadMostlyLock.class, "drain");
        assertTrue(lock.writersReadStripes(), "the reset found the reader and kept the stripes in view");
        assertFalse(writer.isDone(), "the writer entered beside a reader");
        reader.release();
        assertTrue(writer.get(), "the writer entered before the reader left");
    }

    /**
     * A thread that takes the read lock (without a record: it reads the lock for the first time) and holds it until
     * {@link #release}; the constructor returns once it is inside. {@code leaving} turns true while it is still
     * inside, right before it unlocks: a writer that reads false entered beside it.
     */
    private static final class HeldRead {
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch leave = new CountDownLatch(1);
        private final java.util.concurrent.atomic.AtomicBoolean leaving =
                new java.util.concurrent.atomic.AtomicBoolean();
        private final Task<Void> task;

        HeldRead(ReadMostlyLock lock, boolean virtual) throws InterruptedException {
            task = Task.start(virtual, "rare-reader", () -> {
                lock.readLock().lock();
                try {
                    inside.countDown();
                    assertTrue(leave.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
                } finally {
                    leaving.set(true);
                    lock.readLock().unlock();
                }
                return null;
            });
            assertTrue(inside.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS), "the reader got in");
        }

        /** A writer thread that takes the write lock and returns whether this reader was leaving by then. */
        Task<Boolean> writerBeside(ReadMostlyLock lock, boolean virtual) {
            return Task.start(virtual, "writer", () -> {
                lock.writeLock().lock();
                try {
                    return leaving.get();
                } finally {
                    lock.writeLock().unlock();
                }
            });
        }

        Thread thread() {
            return task.thread;
        }

        /** Lets the reader leave and waits until it has. */
        void release() throws Exception {
            leave.countDown();
            task.get();
        }
    }

    @Test
    void aVirtualThreadsFirstReadLockAllocatesNothingUnlessItsSlotIsTaken() throws Exception {
        ReadMostlyLockThreads.assumeVirtualThreads();
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        Lock r = lock.readLock();
        Runnable first = () -> {
            r.lock();
            r.unlock();
        };
        long free = RcuRareReaderTest.leastFirstSectionBytes(t -> true, first);
        assertTrue(free <= 0, "a first read lock on a free slot allocated " + free + " bytes");
        HeldRead holder = new HeldRead(lock, true);
        assertEquals(1, lock.slotsHeld(), "the holder holds through its stripe's slot");
        int stripe = RcuRareReaderTest.STRIPES.stripeOf(holder.thread());
        long spilled = RcuRareReaderTest.leastFirstSectionBytes(t -> RcuRareReaderTest.STRIPES.stripeOf(t) == stripe,
                first);
        holder.release();
        // the control: the same measure sees a spilled hold's ThreadLocal map and state
        assertTrue(spilled >= 100, "a spilled first read lock allocated only " + spilled + " bytes");
    }

    /** Virtual threads only: a platform thread keeps its holds in the ThreadLocal from its first hold on. */
    @ParameterizedTest(name = "forgetStripes={0}")
    @ValueSource(booleans = {false, true})
    void holdsWhoseSlotIsTakenKeepEveryRule(boolean forgetStripes) throws Exception {
        boolean virtual = true;
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(barrier());
        Lock r = lock.readLock();
        HeldRead holder = new HeldRead(lock, virtual);
        assertEquals(1, lock.slotsHeld(), "the holder holds through its stripe's slot");
        int stripe = RcuRareReaderTest.STRIPES.stripeOf(holder.thread());
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean leaving = new java.util.concurrent.atomic.AtomicBoolean();
        CountDownLatch writerWaits = new CountDownLatch(1);
        CountDownLatch reentered = new CountDownLatch(1);
        Task<Void> spilled = Task.startOn(virtual, "spilled", t -> RcuRareReaderTest.STRIPES.stripeOf(t) == stripe,
                () -> {
                    r.lock();
                    try {
                        assertTrue(r.tryLock(), "re-entry");
                        assertEquals(2, lock.getReadHoldCount());
                        assertThrows(IllegalMonitorStateException.class, () -> lock.writeLock().tryLock(), "upgrade");
                        r.unlock();
                        assertEquals(1, lock.getReadHoldCount());
                        in.countDown();
                        assertTrue(writerWaits.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
                        // the slot is free now and a writer waits for us: a re-entry must find our hold, not take the
                        // first hold's path (which would back out and wait for that writer: a deadlock)
                        if (!forgetStripes) {
                            assertTrue(r.tryLock(), "re-entry while a writer waits for us");
                            assertEquals(0, lock.slotsHeld(), "the re-entry took the freed slot");
                            assertEquals(0, lock.registeredReaders(), "the re-entry missed its hold and backed out");
                            r.unlock();
                        }
                        reentered.countDown();
                        assertTrue(leave.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
                    } finally {
                        leaving.set(true);
                        r.unlock();
                    }
                    assertEquals(0, lock.getReadHoldCount());
                    assertThrows(IllegalMonitorStateException.class, r::unlock, "one unlock too many");
                    return null;
                });
        assertTrue(in.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS), "the second reader got in");
        assertEquals(1, lock.slotsHeld(), "the second reader found the slot taken: it spilled");
        assertEquals(0, lock.registeredReaders(), "neither has a record");
        assertEquals(2, lock.getReadLockCount());
        holder.release();
        assertEquals(0, lock.slotsHeld(), "the holder gave its slot back");
        if (forgetStripes) {
            lock.forgetStripes(); // the control: writers no longer wait for holds through the stripes
        }
        Task<Boolean> writer = Task.start(virtual, "writer", () -> {
            lock.writeLock().lock();
            try {
                return leaving.get();
            } finally {
                lock.writeLock().unlock();
            }
        });
        if (forgetStripes) {
            assertFalse(writer.get(), "the control's writer got in beside the spilled reader (as it must, broken)");
            writerWaits.countDown();
            leave.countDown();
            spilled.get();
            return;
        }
        writer.awaitAt(Thread.State.TIMED_WAITING, ReadMostlyLock.class, "drain");
        writerWaits.countDown();
        assertTrue(reentered.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS), "the re-entry returned");
        assertFalse(writer.isDone(), "the writer entered beside a spilled reader");
        leave.countDown();
        spilled.get();
        assertTrue(writer.get(), "the writer entered before the spilled reader left");
        assertEquals(0, lock.getReadLockCount());
    }
}
