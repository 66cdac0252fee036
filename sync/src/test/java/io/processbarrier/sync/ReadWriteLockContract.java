package io.processbarrier.sync;

import io.processbarrier.sync.ReadMostlyLockThreads.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;

import static io.processbarrier.sync.ReadMostlyLockThreads.BOUND_SECONDS;
import static io.processbarrier.sync.ReadMostlyLockThreads.assumeVirtualThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link ReadWriteLock} contract, run against {@link ReadMostlyLock} and
 * {@link java.util.concurrent.locks.ReentrantReadWriteLock} by the subclasses: the same tests pass on both. Where the
 * two differ by design the test asserts each lock's documented behaviour and names the difference
 * ({@link #upgradeIsRefused}). No test asserts on timing: "X waits" means X's thread is seen parked and X has not
 * finished; every wait is bounded and fails with a message.
 */
abstract class ReadWriteLockContract {
    /** A fresh lock for one test. */
    abstract ReadWriteLock newLock();

    /** {@code true} for ReadMostlyLock: its upgrade attempt throws instead of deadlocking. */
    abstract boolean upgradeThrows();

    static final long SHORT_MS = 50;

    private ReadWriteLock lock;
    private Lock r;
    private Lock w;

    private void fresh() {
        lock = newLock();
        r = lock.readLock();
        w = lock.writeLock();
    }

    private static <T> T done(Task<T> t) throws Exception {
        return t.get();
    }

    private Task<Boolean> tryRead(String name) {
        return Task.start(name, () -> {
            if (!r.tryLock()) {
                return false;
            }
            r.unlock();
            return true;
        });
    }

    private Task<Boolean> tryWrite(String name) {
        return Task.start(name, () -> {
            if (!w.tryLock()) {
                return false;
            }
            w.unlock();
            return true;
        });
    }

    // ------------------------------------------------------------------------------------------ exclusion

    @Test
    void readersShareTheLock() throws Exception {
        fresh();
        r.lock();
        try {
            assertTrue(done(tryRead("second reader")), "a second reader must get the read lock a reader holds");
            assertTrue(done(Task.start("timed reader", () -> {
                boolean got = r.tryLock(SHORT_MS, TimeUnit.MILLISECONDS);
                if (got) {
                    r.unlock();
                }
                return got;
            })));
        } finally {
            r.unlock();
        }
    }

    @Test
    void aWriterExcludesReadersAndWriters() throws Exception {
        fresh();
        w.lock();
        try {
            assertFalse(done(tryRead("reader")), "read tryLock() while another thread holds the write lock");
            assertFalse(done(tryWrite("writer")), "write tryLock() while another thread holds the write lock");
            assertFalse(done(Task.start("timed reader", () -> r.tryLock(SHORT_MS, TimeUnit.MILLISECONDS))));
            assertFalse(done(Task.start("timed writer", () -> w.tryLock(SHORT_MS, TimeUnit.MILLISECONDS))));
        } finally {
            w.unlock();
        }
        assertTrue(done(tryRead("reader after")), "the read lock after the writer left");
        assertTrue(done(tryWrite("writer after")), "the write lock after the writer left");
    }

    @Test
    void aReaderExcludesWriters() throws Exception {
        fresh();
        r.lock();
        try {
            assertFalse(done(tryWrite("writer")), "write tryLock() while another thread holds the read lock");
            assertFalse(done(Task.start("timed writer", () -> w.tryLock(SHORT_MS, TimeUnit.MILLISECONDS))));
        } finally {
            r.unlock();
        }
        assertTrue(done(tryWrite("writer after")));
    }

    /**
     * A writer waiting for two readers waits on when the first leaves. Premises: the writer is parked inside the
     * write lock's {@code lock()} before and after the first reader's release, and the lock has taken that release
     * into account (its read-lock count is 1). Then its state says it still waits: nobody holds the write lock. The
     * writer itself checks, once it holds the lock, that the second reader had left: a lock that lets the writer in
     * when any reader leaves is caught whenever the writer gets in, not only if it is quick about it.
     */
    @Test
    void aBlockedWriterGetsTheLockWhenTheLastReaderLeaves() throws Exception {
        fresh();
        r.lock();
        CountDownLatch release2 = new CountDownLatch(1);
        CountDownLatch held2 = new CountDownLatch(1);
        AtomicBoolean reader2Inside = new AtomicBoolean();
        Task<Integer> reader2 = Task.start("second reader", () -> {
            r.lock();
            reader2Inside.set(true);
            held2.countDown();
            try {
                assertTrue(release2.await(BOUND_SECONDS, TimeUnit.SECONDS), "never released");
            } finally {
                reader2Inside.set(false);
                r.unlock();
            }
            return 0;
        });
        assertTrue(held2.await(BOUND_SECONDS, TimeUnit.SECONDS), "the second reader got the read lock");
        Task<Boolean> writer = Task.start("writer", () -> {
            w.lock();
            try {
                return !reader2Inside.get();
            } finally {
                w.unlock();
            }
        }).awaitWaitingIn(w);
        r.unlock();
        ReadMostlyLockThreads.await(() -> Seen.of(lock).readLocks() == 1, "the lock to count one read hold");
        writer.awaitWaitingIn(w);
        assertFalse(Seen.of(lock).writeLocked(), "the write lock was taken while the second reader held the read lock");
        assertFalse(writer.isDone(), "the writer must still wait for the second reader");
        release2.countDown();
        assertTrue(done(writer), "the writer got the write lock while the second reader was inside");
        done(reader2);
    }

    @Test
    void aBlockedReaderGetsTheLockWhenTheWriterLeaves() throws Exception {
        fresh();
        w.lock();
        Task<Boolean> reader = Task.start("reader", () -> {
            r.lock();
            r.unlock();
            return true;
        }).awaitWaitingIn(r);
        w.unlock();
        assertTrue(done(reader));
    }

    // ------------------------------------------------------------------------------------------ reentrancy

    @Test
    void bothLocksAreReentrant() throws Exception {
        fresh();
        for (int i = 0; i < 3; i++) {
            r.lock();
        }
        assertTrue(r.tryLock());
        for (int i = 0; i < 3; i++) {
            r.unlock();
        }
        assertFalse(done(tryWrite("writer")), "one read hold is left");
        r.unlock();
        assertTrue(done(tryWrite("writer")), "every read hold was released");

        w.lock();
        w.lock();
        assertTrue(w.tryLock());
        assertTrue(w.tryLock(SHORT_MS, TimeUnit.MILLISECONDS));
        for (int i = 0; i < 3; i++) {
            w.unlock();
        }
        assertFalse(done(tryRead("reader")), "one write hold is left");
        w.unlock();
        assertTrue(done(tryRead("reader")));
        assertThrows(IllegalMonitorStateException.class, w::unlock, "more write unlocks than locks");
        assertThrows(IllegalMonitorStateException.class, r::unlock, "more read unlocks than locks");
    }

    @Test
    void aWriterCanDowngrade() throws Exception {
        fresh();
        w.lock();
        r.lock(); // the writer may take the read lock
        w.unlock();
        try {
            assertTrue(done(tryRead("other reader")), "after the downgrade other readers get in");
            assertFalse(done(tryWrite("other writer")), "after the downgrade this thread still reads");
        } finally {
            r.unlock();
        }
        assertTrue(done(tryWrite("writer after")));
    }

    /**
     * The documented difference. ReadMostlyLock: asking for the write lock while holding only the read lock throws
     * {@link IllegalMonitorStateException} from every acquisition method, at once. ReentrantReadWriteLock: its
     * {@code tryLock} returns {@code false} and its {@code lock()} deadlocks forever (javadoc: "upgrading from a read
     * lock to the write lock is not possible"), so only the bounded forms are tried on it.
     */
    @Test
    void upgradeIsRefused() throws Exception {
        fresh();
        r.lock();
        try {
            if (upgradeThrows()) {
                assertThrows(IllegalMonitorStateException.class, w::lock);
                assertThrows(IllegalMonitorStateException.class, w::lockInterruptibly);
                assertThrows(IllegalMonitorStateException.class, w::tryLock);
                assertThrows(IllegalMonitorStateException.class, () -> w.tryLock(1, TimeUnit.HOURS),
                        "thrown at once, not after the hour");
            } else {
                assertFalse(w.tryLock());
                assertFalse(w.tryLock(SHORT_MS, TimeUnit.MILLISECONDS), "RRWL times out where lock() would deadlock");
            }
        } finally {
            r.unlock();
        }
        assertTrue(w.tryLock(), "the refused upgrade left no trace");
        w.unlock();
    }

    // ------------------------------------------------------------------------------------------ misuse

    @Test
    void unlockByANonHolderThrows() throws Exception {
        fresh();
        assertThrows(IllegalMonitorStateException.class, r::unlock);
        assertThrows(IllegalMonitorStateException.class, w::unlock);
        w.lock();
        try {
            Throwable t = Task.start("stranger", () -> {
                w.unlock();
                return null;
            }).failure();
            assertInstanceOf(IllegalMonitorStateException.class, t, "write unlock() by another thread");
            assertFalse(done(tryRead("reader")), "the stranger's unlock() did not release the lock");
        } finally {
            w.unlock();
        }
        r.lock();
        try {
            Throwable t = Task.start("stranger", () -> {
                r.unlock();
                return null;
            }).failure();
            assertInstanceOf(IllegalMonitorStateException.class, t, "read unlock() by a thread holding no read lock");
        } finally {
            r.unlock();
        }
    }

    @Test
    void theReadLockHasNoCondition() {
        fresh();
        assertThrows(UnsupportedOperationException.class, r::newCondition);
    }

    // ------------------------------------------------------------------------------------------ conditions

    @Test
    void awaitReleasesAllWriteHoldsAndRestoresThem() throws Exception {
        fresh();
        Condition c = w.newCondition();
        AtomicBoolean ready = new AtomicBoolean();
        w.lock();
        w.lock();
        Task<Boolean> signaller = Task.start("signaller", () -> {
            r.lock(); // readers proceed while the writer awaits
            r.unlock();
            w.lock();
            try {
                ready.set(true);
                c.signal();
            } finally {
                w.unlock();
            }
            return true;
        });
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
            while (!ready.get()) {
                long left = c.awaitNanos(deadline - System.nanoTime());
                assertTrue(left > 0 || ready.get(), "no signal within " + BOUND_SECONDS + " s");
            }
            assertTrue(done(signaller));
            assertFalse(done(tryRead("reader")), "await returned with the write lock held again");
        } finally {
            w.unlock();
        }
        assertFalse(done(tryRead("reader")), "the second write hold was restored too");
        w.unlock();
        assertTrue(done(tryRead("reader")));
        assertThrows(IllegalMonitorStateException.class, w::unlock);
    }

    @Test
    void awaitTimesOutWithTheLockHeld() throws Exception {
        fresh();
        Condition c = w.newCondition();
        w.lock();
        try {
            assertTrue(c.awaitNanos(TimeUnit.MILLISECONDS.toNanos(SHORT_MS)) <= 0);
            assertFalse(c.await(1, TimeUnit.MILLISECONDS));
            assertFalse(done(tryRead("reader")), "held again after the timeout");
        } finally {
            w.unlock();
        }
    }

    @Test
    void anInterruptedAwaitThrowsWithTheLockHeld() throws Exception {
        fresh();
        Condition c = w.newCondition();
        AtomicBoolean locked = new AtomicBoolean();
        Task<String> waiter = Task.start("waiter", () -> {
            w.lock();
            locked.set(true);
            try {
                c.await();
                return "returned";
            } catch (InterruptedException e) {
                return tryReadElsewhere() ? "not held" : "held";
            } finally {
                w.unlock();
            }
        });
        ReadMostlyLockThreads.await(() -> locked.get() && done2(tryRead("probe")), "the waiter to release the lock in await");
        waiter.thread.interrupt();
        assertEquals("held", done(waiter));
    }

    private boolean done2(Task<Boolean> t) {
        try {
            return t.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private boolean tryReadElsewhere() throws Exception {
        return tryRead("probe").get();
    }

    @Test
    void conditionsNeedTheWriteLock() {
        fresh();
        Condition c = w.newCondition();
        assertThrows(IllegalMonitorStateException.class, c::await);
        assertThrows(IllegalMonitorStateException.class, c::signal);
        assertThrows(IllegalMonitorStateException.class, c::signalAll);
        r.lock();
        try {
            assertThrows(IllegalMonitorStateException.class, c::signal, "the read lock is not enough");
        } finally {
            r.unlock();
        }
    }

    /**
     * Whether {@code t} is parked waiting for a signal of {@code c}: parked inside the condition's class, with no
     * acquisition on its stack (after a signal or a timeout the wait goes on in an {@code acquire...} frame: taking
     * the write lock back). Holds for both locks: AbstractQueuedSynchronizer's ConditionObject and ours.
     */
    private static boolean waitsForSignal(Task<?> t, Condition c) {
        return parkedIn(t, c) && !reacquiring(t);
    }

    /** Whether {@code t} is parked taking the write lock back inside an await of {@code c}. */
    private static boolean waitsToReacquire(Task<?> t, Condition c) {
        return parkedIn(t, c) && reacquiring(t);
    }

    private static boolean parkedIn(Task<?> t, Condition c) {
        Thread.State s = t.thread.getState();
        return (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING)
                && java.util.Arrays.stream(t.thread.getStackTrace())
                        .anyMatch(f -> f.getClassName().equals(c.getClass().getName()));
    }

    private static boolean reacquiring(Task<?> t) {
        for (StackTraceElement f : t.thread.getStackTrace()) {
            if (f.getMethodName().startsWith("acquire")) {
                return true;
            }
        }
        return false;
    }

    /** Starts a task that takes the write lock, awaits {@code c} with {@code await}, and says how it returned. */
    private Task<String> awaiter(String name, Condition c, Callable<Boolean> await) {
        return awaiter(false, name, c, await);
    }

    private Task<String> awaiter(boolean virtual, String name, Condition c, Callable<Boolean> await) {
        return Task.start(virtual, name, () -> {
            w.lock();
            String how;
            try {
                how = (await.call() ? "signalled" : "timed out") + (Thread.interrupted() ? ", interrupted" : "");
            } catch (InterruptedException e) {
                how = "threw";
            }
            if (!writeLockedByCurrentThread()) {
                return how + ", not held";
            }
            w.unlock();
            return how;
        });
    }

    private boolean writeLockedByCurrentThread() {
        return lock instanceof java.util.concurrent.locks.ReentrantReadWriteLock
                ? ((java.util.concurrent.locks.ReentrantReadWriteLock) lock).isWriteLockedByCurrentThread()
                : ((ReadMostlyLock) lock).isWriteLockedByCurrentThread();
    }

    private void underWriteLock(Runnable action) {
        w.lock();
        try {
            action.run();
        } finally {
            w.unlock();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void signalWakesTheLongestWaitingFirst(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        fresh();
        Condition c = w.newCondition();
        List<Task<String>> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Task<String> t = awaiter(virtual, "waiter-" + i, c, () -> {
                c.await();
                return true;
            });
            // each waits before the next begins: the arrival order is known
            ReadMostlyLockThreads.await(() -> t.isDone() || waitsForSignal(t, c), t.thread.getName()
                    + " to wait for a signal");
            waiters.add(t);
        }
        for (int i = 0; i < 3; i++) {
            underWriteLock(c::signal);
            assertEquals("signalled", done(waiters.get(i)), "signal " + i + " wakes waiter " + i);
            for (int k = i + 1; k < 3; k++) {
                assertFalse(waiters.get(k).isDone(), "waiter " + k + " woke on signal " + i);
            }
        }
    }

    @Test
    void signalAllWakesEveryWaiter() throws Exception {
        fresh();
        Condition c = w.newCondition();
        List<Task<String>> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Task<String> t = awaiter("waiter-" + i, c, () -> c.await(BOUND_SECONDS, TimeUnit.SECONDS));
            ReadMostlyLockThreads.await(() -> t.isDone() || waitsForSignal(t, c), t.thread.getName() + " to wait");
            waiters.add(t);
        }
        underWriteLock(c::signalAll);
        for (Task<String> t : waiters) {
            assertEquals("signalled", done(t));
        }
        underWriteLock(c::signal); // nobody waits: a no-op
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSignalSkipsAWaiterThatTimedOutAndWakesTheNext(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        for (long timeoutMs = 100; ; timeoutMs *= 2) { // a slow start can let the timeout pass too early: retried
            assertTrue(timeoutMs <= 10_000, "the timed waiter never timed out while the lock was held");
            fresh();
            Condition c = w.newCondition();
            long ms = timeoutMs;
            Task<String> timed = awaiter(virtual, "timed", c, () -> c.await(ms, TimeUnit.MILLISECONDS));
            ReadMostlyLockThreads.await(() -> timed.isDone() || waitsForSignal(timed, c), "the timed waiter");
            Task<String> patient = awaiter(virtual, "patient", c, () -> {
                c.await();
                return true;
            });
            ReadMostlyLockThreads.await(() -> patient.isDone() || waitsForSignal(patient, c), "the patient waiter");
            w.lock();
            try {
                // the premise: the timed waiter's time ran out while we hold the lock, so it gave up its place but
                // waits for the lock; the signal must go to the patient one, behind it in the queue
                ReadMostlyLockThreads.await(() -> timed.isDone() || waitsToReacquire(timed, c),
                        "the timed waiter to time out");
                if (timed.isDone()) {
                    underWriteLock(c::signal); // (a reentrant hold) release the patient one and try again
                    continue;
                }
                c.signal();
            } finally {
                w.unlock();
            }
            assertEquals("timed out", done(timed));
            assertEquals("signalled", done(patient), "the signal went to a waiter that had left");
            return;
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anInterruptAfterTheSignalDoesNotCancelItAndKeepsTheStatus(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        fresh();
        Condition c = w.newCondition();
        Task<String> t = awaiter(virtual, "waiter", c, () -> {
            c.await();
            return true;
        });
        ReadMostlyLockThreads.await(() -> t.isDone() || waitsForSignal(t, c), "the waiter to wait for a signal");
        w.lock();
        try {
            c.signal();
            t.thread.interrupt(); // after the signal (it cannot return before we release): it must return normally
        } finally {
            w.unlock();
        }
        assertEquals("signalled, interrupted", done(t));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void awaitUninterruptiblyKeepsTheInterruptForTheEnd(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        fresh();
        Condition c = w.newCondition();
        Task<String> t = awaiter(virtual, "waiter", c, () -> {
            c.awaitUninterruptibly();
            return true;
        });
        ReadMostlyLockThreads.await(() -> t.isDone() || waitsForSignal(t, c), "the waiter to wait for a signal");
        t.thread.interrupt();
        // the premise of "the interrupt did not end the wait": the waiter took the interrupt and waits again
        ReadMostlyLockThreads.await(() -> t.isDone() || !t.thread.isInterrupted() && waitsForSignal(t, c),
                "the waiter to take the interrupt and wait again");
        assertFalse(t.isDone(), "awaitUninterruptibly returned on an interrupt: " + (t.isDone() ? done(t) : ""));
        underWriteLock(c::signal);
        assertEquals("signalled, interrupted", done(t));
    }

    @Test
    void awaitUntilAPastDeadlineTimesOutWithTheLockHeld() throws Exception {
        fresh();
        Condition c = w.newCondition();
        assertEquals("timed out", done(awaiter("waiter", c,
                () -> c.awaitUntil(new java.util.Date(System.currentTimeMillis() + SHORT_MS)))));
        assertEquals("timed out", done(awaiter("waiter", c, () -> c.awaitNanos(-1) > 0)));
        assertEquals("threw", done(awaiter("waiter", c, () -> {
            Thread.currentThread().interrupt();
            return c.await(BOUND_SECONDS, TimeUnit.SECONDS);
        })), "interrupted before the wait: throws, with the lock held");
    }

    /**
     * Timeouts at or near {@code Long.MIN_VALUE} (issue 30 item 5) time out at once, with the lock held again, as
     * {@code AbstractQueuedSynchronizer} clamps them; so do deadlines long past. Fails on a condition that computes
     * its deadline as now + timeout without clamping a negative timeout: the sum overflows to about 292 years from
     * now and the waiter is still waiting at the bound (seen on ReadMostlyLock at 03c9fc2, platform and virtual).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void timeoutsFarInThePastReturnAtOnce(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        fresh();
        Condition c = w.newCondition();
        assertEquals("timed out", done(awaiter(virtual, "awaitNanos(MIN_VALUE)", c,
                () -> c.awaitNanos(Long.MIN_VALUE) > 0)));
        assertEquals("timed out", done(awaiter(virtual, "awaitNanos(MIN_VALUE + 1)", c,
                () -> c.awaitNanos(Long.MIN_VALUE + 1) > 0)));
        assertEquals("timed out", done(awaiter(virtual, "await(MIN_VALUE, SECONDS)", c,
                () -> c.await(Long.MIN_VALUE, TimeUnit.SECONDS))));
        assertEquals("timed out", done(awaiter(virtual, "await(MIN_VALUE, NANOSECONDS)", c,
                () -> c.await(Long.MIN_VALUE, TimeUnit.NANOSECONDS))));
        assertEquals("timed out", done(awaiter(virtual, "await(-1 day)", c,
                () -> c.await(-1, TimeUnit.DAYS))));
        assertEquals("timed out", done(awaiter(virtual, "awaitUntil(the epoch)", c,
                () -> c.awaitUntil(new java.util.Date(0L)))));
        assertEquals("timed out", done(awaiter(virtual, "awaitUntil(Long.MIN_VALUE ms)", c,
                () -> c.awaitUntil(new java.util.Date(Long.MIN_VALUE)))));
        w.lock();
        try {
            assertTrue(c.awaitNanos(Long.MIN_VALUE) <= 0L, "awaitNanos says no time is left");
            assertTrue(c.awaitNanos(0L) <= 0L);
        } finally {
            w.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------ interrupts

    @ParameterizedTest
    @ValueSource(strings = {"read", "write"})
    void anInterruptedWaitThrowsAndLeavesNoTrace(String which) throws Exception {
        fresh();
        Lock wanted = which.equals("read") ? r : w;
        w.lock();
        Task<String> waiter = Task.start("waiter", () -> {
            try {
                wanted.lockInterruptibly();
                wanted.unlock();
                return "acquired";
            } catch (InterruptedException e) {
                return "interrupted";
            }
        }).awaitWaitingIn(wanted);
        waiter.thread.interrupt();
        assertEquals("interrupted", done(waiter));
        w.unlock();
        assertTrue(done(tryWrite("writer after")), "the interrupted " + which + "er left no hold behind");
        assertTrue(done(tryRead("reader after")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"read", "write"})
    void anInterruptedTimedWaitThrowsAndLeavesNoTrace(String which) throws Exception {
        fresh();
        Lock wanted = which.equals("read") ? r : w;
        w.lock();
        Task<String> waiter = Task.start("waiter", () -> {
            try {
                return wanted.tryLock(1, TimeUnit.HOURS) ? "acquired" : "timed out";
            } catch (InterruptedException e) {
                return "interrupted";
            }
        }).awaitWaitingIn(wanted);
        waiter.thread.interrupt();
        assertEquals("interrupted", done(waiter));
        w.unlock();
        assertTrue(done(tryWrite("writer after")));
        assertTrue(done(tryRead("reader after")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"read", "write"})
    void aPendingInterruptIsThrownEvenWhenTheLockIsFree(String which) throws Exception {
        fresh();
        Lock wanted = which.equals("read") ? r : w;
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, wanted::lockInterruptibly);
        assertFalse(Thread.interrupted(), "the interrupt status was consumed by the exception");
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> wanted.tryLock(1, TimeUnit.SECONDS));
        assertFalse(Thread.interrupted());
        assertTrue(done(tryWrite("writer after")), "nothing was acquired");
    }

    /**
     * {@code lock()} is not interruptible but keeps the interrupt. Premises: the waiter is parked inside
     * {@code lock()} when interrupted, and afterwards it is parked there again with its interrupt status cleared:
     * it woke, took the interrupt (to re-assert it later) and went back to the wait, rather than the test looking
     * before it ever woke. Then it still waits because its state says so (not done, and it got no hold: the lock is
     * still write-locked by this thread only). Broken variants it catches: a {@code lock()} that returns or throws on
     * an interrupt (done, or a failure), one that forgets the interrupt (its result is false).
     */
    @ParameterizedTest
    @ValueSource(strings = {"read", "write"})
    void lockIgnoresInterruptsButKeepsThem(String which) throws Exception {
        fresh();
        Lock wanted = which.equals("read") ? r : w;
        w.lock();
        Task<Boolean> waiter = Task.start("waiter", () -> {
            wanted.lock();
            try {
                return Thread.currentThread().isInterrupted();
            } finally {
                wanted.unlock();
            }
        }).awaitWaitingIn(wanted);
        waiter.thread.interrupt();
        ReadMostlyLockThreads.await(() -> waiter.isDone() || !waiter.thread.isInterrupted()
                        && isWaitingIn(waiter, wanted), "the waiter to take the interrupt and wait in lock() again");
        assertFalse(waiter.isDone(), "lock() returned while the write lock was held elsewhere");
        assertEquals(new Seen(true, true, 1, 0, 0), Seen.of(lock), "the interrupted waiter got no hold");
        w.unlock();
        assertTrue(done(waiter), "the interrupt status survives lock()");
    }

    /** Whether the task's thread is parked with a frame of {@code view}'s class on its stack (one look). */
    private static boolean isWaitingIn(Task<?> t, Object view) {
        Thread.State s = t.thread.getState();
        if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
            return false;
        }
        String cls = view.getClass().getName();
        for (StackTraceElement f : t.thread.getStackTrace()) {
            if (f.getClassName().equals(cls)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------ timeouts

    @ParameterizedTest
    @ValueSource(strings = {"read", "write"})
    void aTimedOutWaitLeavesNoTrace(String which) throws Exception {
        fresh();
        Lock wanted = which.equals("read") ? r : w;
        w.lock();
        try {
            assertFalse(done(Task.start("timed", () -> wanted.tryLock(SHORT_MS, TimeUnit.MILLISECONDS))));
            assertFalse(done(Task.start("zero", () -> wanted.tryLock(0, TimeUnit.NANOSECONDS))));
            assertFalse(done(Task.start("negative", () -> wanted.tryLock(-1, TimeUnit.SECONDS))));
        } finally {
            w.unlock();
        }
        assertTrue(done(tryWrite("writer after")), "the timed-out " + which + "er left no hold behind");
        assertTrue(done(tryRead("reader after")));
    }

    @Test
    void aWriterTimingOutOnReadersLetsLaterReadersIn() throws Exception {
        fresh();
        r.lock();
        try {
            assertFalse(done(Task.start("writer", () -> w.tryLock(SHORT_MS, TimeUnit.MILLISECONDS))));
            assertTrue(done(tryRead("reader")), "the writer that gave up does not hold readers back");
        } finally {
            r.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------ fairness

    /**
     * A writer is not starved by a stream of readers: three reader threads keep the read lock held at every moment
     * (their 1 ms sections overlap), yet a writer gets in, five times, each within the bound.
     */
    @Test
    void aWriterIsNotStarvedByReaders() throws Exception {
        fresh();
        theStreamDoesNotStarve(r, 3, w, "writer");
    }

    /** Readers are not starved by a stream of writers: two writer threads keep asking, a reader still gets in. */
    @Test
    void readersAreNotStarvedByWriters() throws Exception {
        fresh();
        theStreamDoesNotStarve(w, 2, r, "reader");
    }

    /** {@code threads} threads hold {@code stream} in 1 ms sections back to back; {@code probe} must still get in. */
    private void theStreamDoesNotStarve(Lock stream, int threads, Lock probe, String who) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger sections = new AtomicInteger();
        List<Task<Integer>> streamers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            streamers.add(Task.start("stream-" + i, () -> {
                int n = 0;
                while (!stop.get()) {
                    stream.lock();
                    try {
                        n++;
                        sections.incrementAndGet();
                        Thread.sleep(1);
                    } finally {
                        stream.unlock();
                    }
                }
                return n;
            }));
        }
        try {
            ReadMostlyLockThreads.await(() -> sections.get() >= 2 * threads, "the stream to run");
            for (int i = 0; i < 5; i++) {
                assertTrue(done(Task.start(who, () -> probe.tryLock(BOUND_SECONDS, TimeUnit.SECONDS) && unlock(probe))),
                        "the " + who + " got in despite the stream");
            }
        } finally {
            stop.set(true);
        }
        for (Task<Integer> t : streamers) {
            assertTrue(done(t) > 0);
        }
    }

    private static boolean unlock(Lock l) {
        l.unlock();
        return true;
    }

    private boolean unlockW() {
        w.unlock();
        return true;
    }

    private boolean unlockR() {
        r.unlock();
        return true;
    }

    // ------------------------------------------------------------------------------------------ virtual threads

    @Test
    void virtualThreadsBlockAndWake() throws Exception {
        assumeVirtualThreads();
        fresh();
        w.lock();
        Task<Boolean> reader = Task.start(true, "virtual reader", () -> {
            r.lock();
            r.unlock();
            return true;
        }).awaitWaitingIn(r);
        Task<Boolean> writer = Task.start(true, "virtual writer", () -> {
            w.lock();
            w.unlock();
            return true;
        }).awaitWaitingIn(w);
        w.unlock();
        assertTrue(done(reader));
        assertTrue(done(writer));
        r.lock();
        Task<Boolean> writer2 = Task.start(true, "virtual writer 2", () -> w.tryLock(BOUND_SECONDS, TimeUnit.SECONDS)
                && unlockW()).awaitWaitingIn(w);
        r.unlock();
        assertTrue(done(writer2), "a virtual writer waiting for a platform reader");
    }

    /** Mutual exclusion on many virtual threads: a pair the writers keep equal is never seen unequal. */
    @Test
    void virtualThreadsExcludeEachOther() throws Exception {
        assumeVirtualThreads();
        fresh();
        long[] pair = new long[2];
        AtomicInteger torn = new AtomicInteger();
        List<Task<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            boolean writer = i % 8 == 0;
            tasks.add(Task.start(true, "virtual-" + i, () -> {
                for (int k = 0; k < 2000; k++) {
                    if (writer) {
                        w.lock();
                        try {
                            pair[0]++;
                            Thread.yield();
                            pair[1]++;
                        } finally {
                            w.unlock();
                        }
                    } else {
                        r.lock();
                        try {
                            long a = pair[0];
                            if (k % 64 == 0) {
                                Thread.yield();
                            }
                            if (a != pair[1]) {
                                torn.incrementAndGet();
                            }
                        } finally {
                            r.unlock();
                        }
                    }
                }
                return 0;
            }));
        }
        for (Task<Integer> t : tasks) {
            done(t);
        }
        assertEquals(0, torn.get(), "torn pairs seen under the read lock");
        assertEquals(4 * 2000, pair[0]);
        assertEquals(pair[0], pair[1]);
    }

    // ------------------------------------------------------------------------------------------ introspection

    /** What {@code ReentrantReadWriteLock}'s introspection says, from the calling thread, for either lock. */
    record Seen(boolean writeLocked, boolean byMe, int writeHolds, int readHolds, int readLocks) {
        static Seen of(ReadWriteLock l) {
            if (l instanceof ReadMostlyLock m) {
                return new Seen(m.isWriteLocked(), m.isWriteLockedByCurrentThread(), m.getWriteHoldCount(),
                        m.getReadHoldCount(), m.getReadLockCount());
            }
            java.util.concurrent.locks.ReentrantReadWriteLock x = (java.util.concurrent.locks.ReentrantReadWriteLock) l;
            return new Seen(x.isWriteLocked(), x.isWriteLockedByCurrentThread(), x.getWriteHoldCount(),
                    x.getReadHoldCount(), x.getReadLockCount());
        }
    }

    /**
     * One sequence of calls, on the lock under test and on a {@code ReentrantReadWriteLock} side by side: after each
     * step both must answer the same, and the same as written here (so that the reference itself is checked).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void introspectionAnswersAsReentrantReadWriteLock(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        fresh();
        ReadWriteLock ref = new java.util.concurrent.locks.ReentrantReadWriteLock();
        Task<Void> steps = Task.start(virtual, "introspection", () -> {
            List<String> bad = new ArrayList<>();
            Runnable none = () -> { };
            step(bad, "fresh", ref, none, new Seen(false, false, 0, 0, 0));
            ref.readLock().lock();
            ref.readLock().lock();
            r.lock();
            r.lock();
            step(bad, "two read holds", ref, none, new Seen(false, false, 0, 2, 2));
            // another thread's read hold counts in getReadLockCount, not in our hold count
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Task<Void> other = Task.start(virtual, "other reader", () -> {
                ref.readLock().lock();
                r.lock();
                held.countDown();
                assertTrue(release.await(BOUND_SECONDS, TimeUnit.SECONDS));
                r.unlock();
                ref.readLock().unlock();
                return null;
            });
            assertTrue(held.await(BOUND_SECONDS, TimeUnit.SECONDS), "the other reader took the read lock");
            step(bad, "another thread's read hold", ref, none, new Seen(false, false, 0, 2, 3));
            ref.readLock().unlock();
            ref.readLock().unlock();
            r.unlock();
            r.unlock();
            step(bad, "our holds released", ref, none, new Seen(false, false, 0, 0, 1));
            release.countDown();
            done(other);
            step(bad, "all read holds released", ref, none, new Seen(false, false, 0, 0, 0));
            ref.writeLock().lock();
            ref.writeLock().lock();
            w.lock();
            w.lock();
            step(bad, "two write holds", ref, none, new Seen(true, true, 2, 0, 0));
            Task<Seen> elsewhere = Task.start(virtual, "observer", () -> Seen.of(lock));
            Task<Seen> elsewhereRef = Task.start(virtual, "observer of the reference", () -> Seen.of(ref));
            check(bad, "seen by another thread while write-locked", done(elsewhere), done(elsewhereRef),
                    new Seen(true, false, 0, 0, 0));
            ref.readLock().lock();
            r.lock();
            step(bad, "downgrade: a read hold under the write holds", ref, none, new Seen(true, true, 2, 1, 1));
            ref.writeLock().unlock();
            ref.writeLock().unlock();
            w.unlock();
            w.unlock();
            step(bad, "write holds released, read hold kept", ref, none, new Seen(false, false, 0, 1, 1));
            ref.readLock().unlock();
            r.unlock();
            step(bad, "all released", ref, none, new Seen(false, false, 0, 0, 0));
            assertEquals(List.of(), bad);
            return null;
        });
        done(steps);
    }

    /** isWriteLocked() is false while a writer only waits for a reader to leave, and true once it holds. */
    @Test
    void aWriterWaitingForReadersDoesNotHoldTheWriteLock() throws Exception {
        fresh();
        r.lock();
        Task<Boolean> writer = Task.start("writer", () -> {
            w.lock();
            try {
                return Seen.of(lock).writeLocked();
            } finally {
                w.unlock();
            }
        }).awaitWaitingIn(w);
        Seen waiting = Seen.of(lock);
        assertEquals(new Seen(false, false, 0, 1, 1), waiting, "a writer waiting for a reader holds nothing yet");
        r.unlock();
        assertTrue(done(writer), "the writer holds the write lock once the reader left");
        assertEquals(new Seen(false, false, 0, 0, 0), Seen.of(lock));
    }

    private void step(List<String> bad, String what, ReadWriteLock ref, Runnable action, Seen expected) {
        action.run();
        if (expected != null) {
            check(bad, what, Seen.of(lock), Seen.of(ref), expected);
        }
    }

    private static void check(List<String> bad, String what, Seen mine, Seen reference, Seen expected) {
        if (!reference.equals(expected)) {
            bad.add(what + ": ReentrantReadWriteLock says " + reference + ", the test expected " + expected);
        }
        if (!mine.equals(reference)) {
            bad.add(what + ": " + mine + " where ReentrantReadWriteLock says " + reference);
        }
    }
}
