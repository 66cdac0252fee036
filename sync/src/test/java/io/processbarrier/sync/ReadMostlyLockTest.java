package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLockThreads.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
     * A write inside a burst looks up none of its thread's read holds before it claims: a hold of its own shows in
     * the drain (its record's {@code active}, or its stripe's count), which refuses the upgrade there, at once, from
     * every acquisition method, with a record and without one, paying no {@code heavy()}, and leaving the lock free.
     * Control: without the drain's check of its own hold, {@code lock()} waits for itself (seen: the task did not
     * finish within its bound, parked in {@code drain}).
     */
    @ParameterizedTest(name = "record={0}")
    @ValueSource(booleans = {true, false})
    void anUpgradeInsideABurstIsRefusedAtOnce(boolean record) throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b, HOUR);
        lock.writeLock().lock(); // the burst's first write: raises and seals the flag
        lock.writeLock().unlock();
        assertTrue(lock.flagRaised(), "the burst lasts an hour");
        Task.start("reader asking for the write lock", () -> {
            Lock r = record ? lock.localReadLock() : lock.readLock(); // a fresh thread's first reads: a stripe
            Lock w = lock.writeLock();
            r.lock();
            try {
                assertThrows(IllegalMonitorStateException.class, w::lock);
                assertThrows(IllegalMonitorStateException.class, w::lockInterruptibly);
                assertThrows(IllegalMonitorStateException.class, w::tryLock);
                assertThrows(IllegalMonitorStateException.class, () -> w.tryLock(1, TimeUnit.HOURS));
                assertEquals(1, lock.getReadHoldCount());
                assertFalse(lock.isWriteLocked());
            } finally {
                r.unlock();
            }
            assertTrue(w.tryLock(), "the refused upgrades left no claim behind");
            w.unlock();
            return 0;
        }).get();
        assertEquals(1, b.heavies.get(), "the refused upgrades inside the burst paid no heavy()");
        assertTrue(lock.writeLock().tryLock());
        lock.writeLock().unlock();
    }

    /**
     * The control of the burst test: with a window of 0, readers on the fenced path lower the flag (every 256th fenced
     * entry), so each write after such reads pays its own heavy(), and readers are back on the fast path.
     */
    @Test
    void readersEndABurstAfterTheWindow() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b, 0L);
        lock.promoteAfter = 0; // the record's fenced path counts entries (a thread without a record has no fast path)
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

    /**
     * A writer waits for the readers inside parked, not spinning: the premise is proven by its thread's state and
     * stack (parked inside ReadMostlyLock.drain, the lock its blocker), polled until it holds rather than sampled
     * once (the writer re-checks every millisecond, so a single getState() may catch it running), and the writer has
     * published itself as the scanner, the thread a reader's exit unparks. The exit's wake-up itself cannot be told
     * apart from the 1 ms re-check by this writer without timing it, so it is tested by a property instead, in
     * {@link #aReaderLeavingDuringABurstUnparksThePublishedScanner}.
     */
    @Test
    void aWriterWaitsParkedForTheReadersInside() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock();
        lock.readLock().lock();
        Task<Boolean> writer = Task.start("writer", () -> {
            lock.writeLock().lock();
            lock.writeLock().unlock();
            return true;
        });
        ReadMostlyLockThreads.await(() -> writer.isDone() || LockSupport.getBlocker(writer.thread) == lock
                        && (writer.isAt(Thread.State.TIMED_WAITING, ReadMostlyLock.class, "drain")
                        || writer.isAt(Thread.State.WAITING, ReadMostlyLock.class, "drain")),
                "the writer to park in ReadMostlyLock.drain, its blocker the lock");
        assertFalse(writer.isDone(), "the writer got the write lock while a reader was inside");
        assertSame(writer.thread, scanner(lock), "the parked writer published itself for the readers to unpark");
        assertFalse(lock.isWriteLocked(), "a writer waiting for a reader does not hold the lock");
        lock.readLock().unlock();
        assertTrue(writer.get());
        assertSame(null, scanner(lock), "the writer withdrew as the scanner once drained");
    }

    /**
     * The wake-up of the writer by a leaving reader, as a property: during a burst (the flag raised) a reader's exit
     * unparks whatever thread is published as the scanner. The published thread here is a probe parked without a
     * timeout, so only an unpark can wake it (a spurious wake-up before the exit is re-parked; one after it would
     * pass falsely, but HotSpot's park has none in practice). Broken variant it catches: an exit that does not
     * unpark the scanner (the probe never wakes and the wait fails after the bound), where the writer's 1 ms
     * re-check would hide it.
     */
    @Test
    void aReaderLeavingDuringABurstUnparksThePublishedScanner() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get(), HOUR);
        lock.writeLock().lock();
        lock.writeLock().unlock();
        assertTrue(lock.flagRaised(), "the burst lasts an hour");
        AtomicInteger exits = new AtomicInteger();
        Task<Boolean> probe = Task.start("probe scanner", () -> {
            while (exits.get() == 0) {
                LockSupport.park(lock); // no timeout: only an unpark (or an interrupt, on the bound) wakes it
                if (Thread.interrupted()) {
                    return false;
                }
            }
            return true;
        });
        ReadMostlyLockThreads.await(() -> LockSupport.getBlocker(probe.thread) == lock || probe.isDone(),
                "the probe to park");
        lock.readLock().lock(); // the fenced path: no writer claims
        Field scanner = scannerField();
        scanner.set(lock, probe.thread);
        try {
            exits.incrementAndGet(); // before the exit: the probe's wake-up is then for it
            lock.readLock().unlock();
            assertTrue(probe.get(), "the exit during a burst did not unpark the published scanner");
        } finally {
            scanner.set(lock, null);
        }
    }

    private static Field scannerField() throws NoSuchFieldException {
        Field f = ReadMostlyLock.class.getDeclaredField("scanner");
        f.setAccessible(true);
        return f;
    }

    private static Object scanner(ReadMostlyLock lock) throws ReflectiveOperationException {
        return scannerField().get(lock);
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
        lock.promoteAfter = 0; // with a record (ReadMostlyLockRareReaderTest: without one)
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

    /**
     * Nothing the reading thread keeps (no thread-local map entry) references the lock: once the test drops it, a
     * collection clears a weak reference to it. System.gc() is only a request, so the test asks again, with some
     * garbage in between, until the reference is cleared or a generous bound passes.
     */
    @Test
    void theThreadLocalRecordDoesNotKeepTheLockAlive() throws Exception {
        WeakReference<ReadMostlyLock> ref = usedAndDropped();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ReadMostlyLockThreads.BOUND_SECONDS);
        int gcs = 0;
        while (ref.get() != null && System.nanoTime() - deadline < 0) {
            System.gc();
            gcs++;
            byte[][] garbage = new byte[64][];
            for (int i = 0; i < garbage.length; i++) {
                garbage[i] = new byte[16 * 1024];
            }
            Thread.sleep(10); // let a concurrent collector finish its cycle
        }
        assertSame(null, ref.get(), "the lock was not collected after " + gcs + " System.gc() calls in "
                + ReadMostlyLockThreads.BOUND_SECONDS + " s: something this thread holds references it");
    }

    /** In a method of its own, so that no local variable of the test keeps the lock reachable. */
    private static WeakReference<ReadMostlyLock> usedAndDropped() {
        ReadMostlyLock lock = new ReadMostlyLock();
        lock.readLock().lock();
        lock.readLock().unlock();
        return new WeakReference<>(lock);
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

    /**
     * A lock whose burst window is an hour (the flag stays raised: readers behind a writer take the fenced path and
     * then the queue) and whose clock, which drives the 20 ms admission grace, only the test moves; the clock counts
     * its reads by the thread named {@code second writer}.
     */
    private static final class Admission {
        final AtomicLong now = new AtomicLong();
        final AtomicInteger writerClockReads = new AtomicInteger();
        final ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get(), HOUR, () -> {
            if (Thread.currentThread().getName().equals("second writer")) {
                writerClockReads.incrementAndGet();
            }
            return now.get();
        }, null);
        final Queue<String> order = new ConcurrentLinkedQueue<>();
        /** Counted down by the admitted reader in the hook, before it enters. */
        final CountDownLatch inHook = new CountDownLatch(1);
        /** The hook waits for it: the admitted reader is "not scheduled" until the test says. */
        final CountDownLatch letReaderEnter = new CountDownLatch(1);
        final CountDownLatch letWriterLeave = new CountDownLatch(1);
        Task<Boolean> reader;
        Task<Boolean> writer2;

        /**
         * The first writer holds; a reader and then a second writer wait for it (premises: the reader is counted in
         * the queue's waiting readers, the second writer is parked untimed in awaitTurn, behind a claimant); then the
         * first writer leaves, which admits the reader, and the reader is held in the hook.
         */
        void admitAndHoldTheReader() throws Exception {
            lock.queue.admittedHook = () -> {
                inHook.countDown();
                try {
                    assertTrue(letReaderEnter.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS),
                            "the test never let the admitted reader enter");
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            };
            lock.writeLock().lock();
            reader = Task.start("reader", () -> {
                lock.readLock().lock();
                try {
                    order.add("reader");
                    return true;
                } finally {
                    lock.readLock().unlock();
                }
            });
            ReadMostlyLockThreads.await(() -> lock.queue.waitingReaders() == 1 || reader.isDone(),
                    "the reader to wait for the first writer");
            assertFalse(reader.isDone(), "the reader got in past the first writer");
            writer2 = Task.start("second writer", () -> {
                lock.writeLock().lock();
                try {
                    order.add("writer");
                    return letWriterLeave.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS);
                } finally {
                    lock.writeLock().unlock();
                }
            }).awaitAt(Thread.State.WAITING, ReadMostlyLockQueue.class, "awaitTurn"); // untimed: behind a claimant
            lock.writeLock().unlock();
            assertTrue(inHook.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS),
                    "the first writer's release did not admit the reader");
        }

        /**
         * The second writer woke from the release and parks, timed, in awaitTurn: it is first and nobody claims, so
         * it waits for the admission (untimed it waited for the first writer; timed it waits for the grace).
         */
        void awaitTheWriterWaitingForTheAdmission() {
            ReadMostlyLockThreads.await(() -> writer2.isDone() || lock.isWriteLocked()
                            || writer2.isAt(Thread.State.TIMED_WAITING, ReadMostlyLockQueue.class, "awaitTurn"),
                    "the second writer to wait, timed, for the admitted reader");
            assertFalse(writer2.isDone() || lock.isWriteLocked(),
                    "the second writer claimed while the reader it admitted had not entered: " + order);
        }
    }

    /**
     * (A) Readers admitted by a writer's release enter before the next writer claims, however late they are
     * scheduled within the grace: the clock is frozen, so the grace never runs out, and the admitted reader is held
     * in the hook (as an unscheduled thread would be) while real time passes well beyond 20 ms. The second writer
     * is proven to have woken from the release and to wait, timed, for the admission; it re-reads the (frozen) clock
     * after more than the grace of real time and still waits; only once the reader entered does it claim.
     *
     * <p>Broken variants it catches: a queue that does not wait for admitted readers (the second writer claims on
     * the release's unpark: isWriteLocked() or done, and the order is writer, reader); a grace measured on
     * {@code System.nanoTime()} instead of the lock's clock (the writer claims once 20 ms of real time passed, which
     * the test waits for); and, by (B) with the same observations, a grace that never ends.
     */
    @Test
    void readersWaitingForAWriterGoBeforeTheNextWriter() throws Exception {
        Admission a = new Admission();
        a.admitAndHoldTheReader();
        a.awaitTheWriterWaitingForTheAdmission();
        // more than the grace of real time, and a re-check of the clock by the second writer after it
        long realGraceOver = System.nanoTime() + 2 * ReadMostlyLockQueue.ADMISSION_GRACE_NANOS;
        ReadMostlyLockThreads.await(() -> System.nanoTime() - realGraceOver > 0, "40 ms of real time");
        int reads = a.writerClockReads.get();
        ReadMostlyLockThreads.await(() -> a.writerClockReads.get() > reads || a.writer2.isDone(),
                "the second writer to look at the clock again");
        a.awaitTheWriterWaitingForTheAdmission();
        assertEquals(List.of(), List.copyOf(a.order), "nobody entered yet");
        a.letReaderEnter.countDown();
        a.letWriterLeave.countDown();
        assertTrue(a.reader.get());
        assertTrue(a.writer2.get());
        assertEquals(List.of("reader", "writer"), List.copyOf(a.order), "the admitted reader went first");
    }

    /**
     * (B) The grace is a property of the lock's clock: once it has passed (the test moves the clock by the grace and
     * asks the first writer to look again), the next writer claims while the admitted reader has not entered (it is
     * held in the hook); the late reader then waits for that writer (it is counted among the waiting readers again)
     * and enters after it.
     *
     * <p>Broken variants it catches: a grace that never ends, or is measured on another clock than the lock's (the
     * writer never claims while the hook holds the reader: the wait for isWriteLocked() fails); a late reader that
     * enters anyway over the claiming writer (the order is reader, writer, and it is never seen waiting).
     */
    @Test
    void anAdmittedReaderLateByMoreThanTheGraceGoesAfterTheNextWriter() throws Exception {
        Admission a = new Admission();
        a.admitAndHoldTheReader();
        a.awaitTheWriterWaitingForTheAdmission();
        a.now.addAndGet(ReadMostlyLockQueue.ADMISSION_GRACE_NANOS);
        a.lock.queue.recheck();
        ReadMostlyLockThreads.await(a.lock::isWriteLocked, "the second writer to claim once the grace has passed");
        assertEquals(List.of("writer"), List.copyOf(a.order), "the late reader has not entered");
        a.letReaderEnter.countDown();
        ReadMostlyLockThreads.await(() -> a.lock.queue.waitingReaders() == 1 || a.reader.isDone(),
                "the late reader to wait for the second writer");
        assertEquals(List.of("writer"), List.copyOf(a.order), "the late reader entered over the writer");
        a.letWriterLeave.countDown();
        assertTrue(a.writer2.get());
        assertTrue(a.reader.get());
        assertEquals(List.of("writer", "reader"), List.copyOf(a.order));
    }

    /**
     * (C) While readers admitted by a release have not entered, a writer that tries for the lock does not take the
     * claim, not even for a moment: readers on the fenced path (and admitted ones) check the claim word itself, so a
     * claim taken and given back would send an admitted reader back to wait for another writer. A thread tries the
     * write lock in a loop (every try fails: the clock is frozen, so the grace never runs out) while another thread
     * watches the claim word; the loop runs until the watcher has looked 100,000 times during it (the premise: the
     * two ran side by side). The held reader then enters first, as in (A).
     *
     * <p>Broken variant it catches: a writer that takes the claim by CAS and only then looks at the admission (this
     * lock with {@code tryClaim}'s look before the CAS removed, as it was while readers looked at {@code writer}
     * instead of the claim): run by hand, the watcher saw the claim held in 65,431 of 1,365,127 looks.
     */
    @Test
    void aWriterDoesNotTakeTheClaimWhileAdmittedReadersHaveNotEntered() throws Exception {
        Admission a = new Admission();
        a.admitAndHoldTheReader();
        a.awaitTheWriterWaitingForTheAdmission();
        AtomicLong looks = new AtomicLong();
        AtomicLong seenHeld = new AtomicLong();
        AtomicBoolean watching = new AtomicBoolean(true);
        Task<Boolean> watcher = Task.start("watcher", () -> {
            while (watching.get()) {
                if (!a.lock.queue.claimFree()) {
                    seenHeld.incrementAndGet();
                }
                looks.incrementAndGet();
            }
            return true;
        });
        ReadMostlyLockThreads.await(() -> looks.get() > 0, "the watcher to look");
        long from = looks.get();
        long tries = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ReadMostlyLockThreads.BOUND_SECONDS);
        try {
            while (looks.get() - from < 100_000 || tries < 10_000) {
                assertFalse(a.lock.writeLock().tryLock(), "a tryLock() took the lock before the admitted reader");
                tries++;
                assertTrue(System.nanoTime() - deadline < 0, "the watcher did not get to look 100,000 times");
            }
        } finally {
            watching.set(false);
        }
        assertTrue(watcher.get());
        assertEquals(0L, seenHeld.get(), "the claim was seen held in " + seenHeld.get() + " of "
                + (looks.get() - from) + " looks during " + tries + " failed tryLock()s");
        a.awaitTheWriterWaitingForTheAdmission();
        a.letReaderEnter.countDown();
        a.letWriterLeave.countDown();
        assertTrue(a.reader.get());
        assertTrue(a.writer2.get());
        assertEquals(List.of("reader", "writer"), List.copyOf(a.order), "the admitted reader went first");
    }

    /** An acquisition that fails inside (an Error at light(), say a StackOverflowError) leaves no reader behind. */
    @Test
    void aReadLockThatFailsInsideLeavesNoReaderBehind() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b);
        lock.promoteAfter = 0; // the record's path calls light() (a thread without a record does not)
        b.failNextLight.set(new StackOverflowError("injected"));
        assertThrows(StackOverflowError.class, () -> lock.readLock().lock());
        java.util.concurrent.FutureTask<Boolean> write = new java.util.concurrent.FutureTask<>(() -> {
            boolean got = lock.writeLock().tryLock(10, TimeUnit.SECONDS);
            if (got) {
                lock.writeLock().unlock();
            }
            return got;
        });
        ReadMostlyLockThreads.newThread(false, "writer", write).start(); // a daemon: a hang fails, not the fork
        assertTrue(write.get(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS),
                "a writer was held back by the read lock that failed");
        lock.readLock().lock(); // and the thread can read again
        lock.readLock().unlock();
    }

    /** Records of dead readers are dropped by writes too, when no new reader registers. */
    @Test
    void writesDropDeadReadersRecords() throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.of("fence"));
        lock.promoteAfter = 0; // every reader registers (threads that read once register nothing by default)
        for (int i = 0; i < 40; i++) {
            Thread t = ReadMostlyLockThreads.newThread(false, "short-lived-" + i, () -> {
                lock.readLock().lock();
                lock.readLock().unlock();
            });
            t.start();
            ReadMostlyLockThreads.join(t); // bounded
        }
        assertEquals(40, lock.registeredReaders(), "below the registration pruning threshold: all kept so far");
        for (int i = 0; i < 1024; i++) {
            lock.writeLock().lock();
            lock.writeLock().unlock();
        }
        assertEquals(0, lock.registeredReaders(), "1024 writes dropped the dead readers' records");
    }
}
