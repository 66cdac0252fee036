package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLockThreads.Task;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;

import static io.processbarrier.sync.ReadMostlyLockThreads.BOUND_SECONDS;
import static io.processbarrier.sync.ReadMostlyLockThreads.assumeVirtualThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault model of {@link ReadMostlyLock} (issue 19): a {@code heavy()} that throws, a burst that readers cannot end,
 * a reader that never leaves. Time is the test's own clock wherever a bound of the lock is under test; the real
 * scheduler only has to run the threads eventually (every wait is bounded by {@link ReadMostlyLockThreads#BOUND_SECONDS}).
 */
class ReadMostlyLockFaultTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    private static void write(ReadMostlyLock lock) {
        lock.writeLock().lock();
        lock.writeLock().unlock();
    }

    /**
     * A writer whose {@code heavy()} threw left the flag raised but unsealed: the next writer must not trust it and
     * runs its own {@code heavy()}. Fails on a lock that skips {@code heavy()} whenever the flag is raised (the
     * earlier code): the third count would stay 2.
     */
    @Test
    void aFlagThatNoCompletedHeavySealedIsNotTrusted() {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        ReadMostlyLock lock = new ReadMostlyLock(b, HOUR); // the burst never ends by itself
        write(lock);
        assertEquals(1, b.heavies.get(), "the first write of a burst pays one heavy()");
        write(lock);
        assertEquals(1, b.heavies.get(), "a sealed flag is trusted within the burst");
        assertTrue(lock.endBurst(), "the test ends the burst");
        IllegalStateException boom = new IllegalStateException("heavy() refused (test)");
        b.failNext.set(boom);
        assertSame(boom, assertThrows(IllegalStateException.class, () -> lock.writeLock().lock()));
        assertEquals(2, b.heavies.get());
        assertTrue(lock.flagRaised(), "the premise: the failed writer's flag is still raised");
        assertFalse(lock.isWriteLocked(), "the failed writer holds nothing");
        write(lock);
        assertEquals(3, b.heavies.get(), "the next writer ran its own heavy(): the raised flag was not sealed");
        write(lock);
        assertEquals(3, b.heavies.get(), "and its heavy() sealed the flag for the rest of the burst");
    }

    /**
     * A burst ends once its window has passed since the last write, whatever the readers' threads: here every read
     * is on a thread of its own (thread per request), which never reaches the 256th fenced entry at which readers
     * help, and the clock is the test's. Judged by what the lock does (the next write runs {@code heavy()} again),
     * not by timing reads. Fails on a lock whose bursts only readers end (the earlier code): the flag stays raised.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBurstEndsWithoutTheReadersHelp(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        AtomicLong clock = new AtomicLong(1_000 * MS);
        ReadMostlyLock lock = new ReadMostlyLock(b, MS, clock::get, null);
        write(lock);
        assertEquals(1, b.heavies.get());
        for (int i = 0; i < 300; i++) { // thread per request: each reads once, on the fenced path
            done(Task.start(virtual, "request-" + i, () -> {
                lock.readLock().lock();
                lock.readLock().unlock();
                return null;
            }));
        }
        assertTrue(lock.flagRaised(), "the premise: within the window (the test's clock stands still) the burst"
                + " goes on");
        clock.addAndGet(50 * MS);
        ReadMostlyLockThreads.await(() -> !lock.flagRaised(), "the burst to end 50 ms (test clock) after the last"
                + " write, with no reader to end it");
        write(lock);
        assertEquals(2, b.heavies.get(), "the burst was over: the next write paid heavy() again");
    }

    /**
     * The timer ends a burst only once no writer has left for {@link ReadMostlyLock#BURST_END_DELAY_NANOS} (10 ms),
     * though readers end it after the 1 ms window: ending it takes the mutex and lowers the flag from the timer's
     * CPU, which a lock written every few ms would pay for on its next write ({@code ColdWrite} in the benchmarks).
     * The premise that the timer looked at the lock comes from a second lock armed after it with the same delay: a
     * pass of the timer fires every due look in the order they were armed, so once the second lock's burst is over
     * the first has been looked at. Fails on the earlier timer, which ended a burst 1 ms after its last write (it
     * could pass there only if this thread were descheduled for the 10 ms between its writes and its clock moves).
     */
    @Test
    void theTimerLeavesABurstWhoseLastWriteIsRecent() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        AtomicLong recentClock = new AtomicLong(1_000 * MS);
        AtomicLong oldClock = new AtomicLong(1_000 * MS);
        ReadMostlyLock recent = new ReadMostlyLock(b, MS, recentClock::get, null);
        ReadMostlyLock old = new ReadMostlyLock(b, MS, oldClock::get, null);
        write(recent); // arms the timer first
        write(old); // then this one, due no earlier
        recentClock.addAndGet(5 * MS); // past the readers' window, within the timer's
        oldClock.addAndGet(50 * MS);
        ReadMostlyLockThreads.await(() -> !old.flagRaised(), "the timer to end the burst of the lock armed second");
        assertTrue(recent.flagRaised(), "the timer ended a burst whose last write was 5 ms ago (test clock)");
        recentClock.addAndGet(50 * MS);
        ReadMostlyLockThreads.await(() -> !recent.flagRaised(), "the timer to end the burst 55 ms after its write");
        write(recent);
        assertEquals(3, b.heavies.get(), "one heavy() per burst: two of the first lock, one of the second");
    }

    /**
     * Arming the burst timer is on the writer's path, so a burst that begins while the timer's thread still ticks
     * (within {@link BurstEnder#LINGER_NANOS} of the last burst's end) starts no thread: the first write of a burst
     * pays no thread start and no wake-up. Bursts are ended by the timer here (the test's clock, no reader). The earlier
     * timer (a ScheduledThreadPoolExecutor) kept its thread across such a gap too: what it cost the writer was the
     * wake-up of that thread on every arm, which only a benchmark shows ({@code ReadMostlyLockBench.writeCold}).
     */
    @Test
    void aBurstSoonAfterTheLastReusesTheTimersThread() throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        AtomicLong clock = new AtomicLong(1_000 * MS);
        ReadMostlyLock lock = new ReadMostlyLock(b, MS, clock::get, null);
        for (int attempt = 0; ; attempt++) {
            assertTrue(attempt < 20, "the second burst never began within the timer's linger");
            write(lock);
            clock.addAndGet(50 * MS);
            ReadMostlyLockThreads.await(() -> !lock.flagRaised(), "the timer to end the first burst");
            long ended = System.nanoTime();
            int threads = BurstEnder.THREADS.get();
            int heavies = b.heavies.get();
            // a gap: a burst 100 ms after the last, not one that follows at once
            ReadMostlyLockThreads.await(() -> System.nanoTime() - ended >= 100 * MS, "100 ms to pass");
            write(lock); // a new burst: it arms the timer again
            // the premise: this arm came within half the linger of the first burst's end, so the thread still ticked
            if (System.nanoTime() - ended < BurstEnder.LINGER_NANOS / 2) {
                assertEquals(heavies + 1, b.heavies.get(), "a new burst (its write paid heavy())");
                assertEquals(threads, BurstEnder.THREADS.get(), "a new timer thread for a burst that began "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ended) + " ms after the last ended");
                clock.addAndGet(50 * MS);
                ReadMostlyLockThreads.await(() -> !lock.flagRaised(), "the reused timer to end the second burst");
                return;
            }
            clock.addAndGet(50 * MS); // too slow to prove anything: end this burst and try again
            ReadMostlyLockThreads.await(() -> !lock.flagRaised(), "the timer to end the burst");
        }
    }

    /**
     * A reader that never leaves (leaked, or its thread died holding the read lock) is named in a stall warning at
     * the threshold, with how long it has been inside and a frame of its stack; again when the wait doubles; once at
     * INFO when the writer finally gets the lock. A reader that is merely slow for less than the threshold is not.
     */
    @Test
    void aStuckReaderIsNamedInAStallWarning() throws Exception {
        StallWarningsTest.CapturingLogger log = new StallWarningsTest.CapturingLogger();
        AtomicLong clock = new AtomicLong(1_000 * MS);
        long threshold = 500;
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get(), MS, clock::get,
                new StallWarnings(() -> log, threshold, clock::get));
        lock.promoteAfter = 0; // a record counts its holds (without one: ReadMostlyLockRareReaderTest)
        CountDownLatch leave = new CountDownLatch(1);
        Task<Void> holder = readerInside(lock, "stuck-reader", leave);
        Task<Void> writer = Task.start("the-writer", () -> {
            write(lock);
            return null;
        });
        // the premise: the writer waits for the reader, parked in drain (the clock stands still: nothing is due)
        ReadMostlyLockThreads.await(() -> onStack(writer.thread, "drain") && parked(writer.thread),
                "the writer to wait for the reader in drain");
        assertEquals(List.of(), log.messages, "no warning while nothing is due");
        clock.addAndGet(threshold * MS); // the message says "500 ms": it fired at the threshold, not later
        ReadMostlyLockThreads.await(() -> !log.messages.isEmpty(), "the warning at the threshold");
        String m = log.messages.get(0);
        assertEquals(System.Logger.Level.WARNING, log.levels.get(0), m);
        assertTrue(m.contains("'the-writer'"), "names the waiter: " + m);
        assertTrue(m.contains("'stuck-reader'"), "names the reader: " + m);
        assertTrue(m.contains("holdTheReadLock"), "a frame of the reader's stack: " + m);
        // the reader's line reads as a sentence, as Rcu's does ("... in a read section entered during ...")
        assertTrue(java.util.regex.Pattern.compile("\n  'stuck-reader' \\(id \\d+, [A-Z_]+\\) in a read section "
                + "\\(read holds: 1\\), inside for at least 500 ms\n").matcher(m).find(), m);
        assertTrue(m.contains("500 ms"), "how long: " + m);
        clock.addAndGet(threshold * MS);
        ReadMostlyLockThreads.await(() -> log.messages.size() >= 2, "the second warning when the wait doubled");
        assertEquals(2, log.messages.size(), "one warning per doubling: " + log.messages);
        leave.countDown();
        done(holder);
        done(writer);
        assertEquals(3, log.messages.size(), log.messages.toString());
        assertEquals(System.Logger.Level.INFO, log.levels.get(2));
        assertTrue(log.messages.get(2).contains("1000 ms"), log.messages.get(2));
    }

    /** A reader whose thread died holding the read lock: the warning says it is dead and that it stays held. */
    @Test
    void aReaderThatDiedInsideIsNamedAsDead() throws Exception {
        StallWarningsTest.CapturingLogger log = new StallWarningsTest.CapturingLogger();
        AtomicLong clock = new AtomicLong(1_000 * MS);
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get(), MS, clock::get,
                new StallWarnings(() -> log, 100, clock::get));
        lock.promoteAfter = 0; // a record names its dead thread (without one: ReadMostlyLockRareReaderTest)
        Thread dead = ReadMostlyLockThreads.newThread(false, "died-inside", () -> lock.readLock().lock());
        dead.start();
        ReadMostlyLockThreads.join(dead);
        Task<Boolean> writer = Task.start("writer-after-a-death", () -> {
            boolean got = lock.writeLock().tryLock(BOUND_SECONDS, TimeUnit.SECONDS);
            if (got) {
                lock.writeLock().unlock();
            }
            return got;
        });
        ReadMostlyLockThreads.await(() -> onStack(writer.thread, "drain") && parked(writer.thread),
                "the writer to wait in drain");
        clock.addAndGet(100 * MS);
        ReadMostlyLockThreads.await(() -> !log.messages.isEmpty(), "the warning");
        String m = log.messages.get(0);
        assertTrue(m.contains("\n  'died-inside' (id " + dead.getId() + ", TERMINATED) in a read section it never "
                + "left: the thread died holding the read lock, which stays held"), m);
        writer.thread.interrupt(); // the lock stays held for ever (as RRWL): end the test's writer
        assertTrue(writer.failure() instanceof InterruptedException);
        assertFalse(lock.isWriteLocked(), "the interrupted writer left nothing behind");
        assertEquals(null, lock.claimant(), "no claim left behind");
    }

    /**
     * With stall warnings off, a writer that waits for a reader allocates nothing while it waits: no warning's text,
     * no check object per park (as {@code Rcu}'s grace periods). On a full heap an allocation there is an
     * {@code OutOfMemoryError} at each park. Platform threads: only theirs have a byte count. Control, seen failing:
     * the text built before warnings are asked whether they are on.
     */
    @Test
    void aWriterThatWaitsWithStallWarningsOffAllocatesNothing() throws Exception {
        com.sun.management.ThreadMXBean bean = AllocatedBytes.counter();
        AtomicLong clock = new AtomicLong(1_000 * MS);
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get(), MS, clock::get,
                new StallWarnings(() -> {
                    throw new AssertionError("no logger while warnings are off");
                }, 0, clock::get));
        lock.promoteAfter = 0; // the reader holds through a record, the writer drains it
        int rounds = 6; // the first ones link and load what the wait calls for the first time
        CountDownLatch[] go = new CountDownLatch[rounds];
        for (int i = 0; i < rounds; i++) {
            go[i] = new CountDownLatch(1);
        }
        // one writer thread, the same in all rounds: a thread's first use of the lock may make its thread-local map
        Task<long[]> writer = Task.start("the-writer", () -> {
            long[] bytes = new long[rounds];
            for (int i = 0; i < rounds; i++) {
                assertTrue(go[i].await(BOUND_SECONDS, TimeUnit.SECONDS), "the reader of round " + i + " is inside");
                long before = bean.getCurrentThreadAllocatedBytes();
                lock.writeLock().lock(); // waits for the reader: spins, then parks in drain
                long after = bean.getCurrentThreadAllocatedBytes();
                lock.writeLock().unlock();
                bytes[i] = after - before;
            }
            return bytes;
        });
        for (int i = 0; i < rounds; i++) {
            CountDownLatch leave = new CountDownLatch(1);
            Task<Void> reader = readerInside(lock, "reader-" + i, leave);
            go[i].countDown();
            // the premise: the writer got past its spin and parks in drain, where the watch is made
            ReadMostlyLockThreads.await(() -> onStack(writer.thread, "drain") && parked(writer.thread),
                    "the writer to wait for the reader in drain");
            leave.countDown();
            done(reader);
        }
        long[] bytes = done(writer);
        long best = Long.MAX_VALUE;
        for (int i = 2; i < rounds; i++) {
            best = Math.min(best, bytes[i]);
        }
        // a round may see a recompilation or the counter's own few bytes; a wait that allocates does so each round
        System.out.println("aWriterThatWaitsWithStallWarningsOffAllocatesNothing: bytes per round "
                + Arrays.toString(bytes));
        assertTrue(best < 64, "a writer's wait with warnings off allocated " + best + " bytes at least (rounds: "
                + Arrays.toString(bytes) + ")");
    }

    /**
     * The burst timer's thread (made by {@link Rcu#defaultThread}, as the default retire thread) inherits nothing from
     * the writer that happens to start it: no context class loader, no inheritable thread-local, not the writer's
     * thread group; a daemon. Checked on a thread made from a creator that has all three, and on the timer's live
     * thread after a write from such a creator.
     */
    @Test
    void theBurstTimerThreadInheritsNothing() throws Exception {
        ClassLoader plugin = new java.net.URLClassLoader(new java.net.URL[0], null);
        InheritableThreadLocal<String> tenant = new InheritableThreadLocal<>();
        ThreadGroup app = new ThreadGroup("an-application");
        java.util.concurrent.atomic.AtomicReference<Object[]> seen = new java.util.concurrent.atomic.AtomicReference<>();
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get(), MS);
        Thread creator = new Thread(app, () -> {
            tenant.set("tenant-a");
            Thread t = Rcu.defaultThread(() -> seen.set(new Object[] {Thread.currentThread().getContextClassLoader(),
                    tenant.get(), Thread.currentThread().getThreadGroup(), Thread.currentThread().isDaemon()}), "probe");
            t.start();
            write(lock); // arms the burst timer from this creator
        }, "creator");
        creator.setDaemon(true);
        creator.setContextClassLoader(plugin);
        creator.start();
        ReadMostlyLockThreads.join(creator);
        ReadMostlyLockThreads.await(() -> seen.get() != null, "the probe thread to run");
        Object[] s = seen.get();
        assertEquals(null, s[0], "no context class loader");
        assertEquals(null, s[1], "no inherited thread-local");
        assertTrue(((ThreadGroup) s[2]).getParent() == null, "the system thread group, not " + s[2]);
        assertEquals(true, s[3], "a daemon");
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("processbarrier-rml-burst-end-")) {
                assertEquals(null, t.getContextClassLoader(), t.getName());
                assertTrue(t.isDaemon(), t.getName());
                ThreadGroup g = t.getThreadGroup();
                assertTrue(g == null || g.getParent() == null, t.getName() + " in " + g);
            }
        }
    }

    /**
     * An {@code Error} in the burst timer's thread (issue 30 item 13), thrown on a tick once two locks are armed: the
     * thread dies, and every lock it had armed is told (its flag {@code burstTimerArmed} is lowered), so that the next
     * write of each arms the timer again and a new thread ends its burst. The full-heap form, where the failure path
     * itself cannot allocate, is {@link ReadMostlyLockFullHeapTest#theBurstTimerSurvivesAFullHeap} (which fails at
     * 03c9fc2); this one shows the other errors of the fault model. Fails on a timer whose failure path does not
     * tell the locks it had taken (seen: "the first lock was told" was false, for both errors).
     */
    @ParameterizedTest
    @ValueSource(strings = {"OutOfMemoryError", "StackOverflowError"})
    void anErrorInTheBurstTimerLeavesEveryArmedLockReArmable(String error) throws Exception {
        CountingBarrier b = new CountingBarrier(ProcessBarrier.get());
        AtomicLong clock = new AtomicLong(1_000 * MS);
        ReadMostlyLock first = new ReadMostlyLock(b, MS, clock::get, null);
        ReadMostlyLock second = new ReadMostlyLock(b, MS, clock::get, null);
        CountDownLatch armed = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Thread> died = new java.util.concurrent.atomic.AtomicReference<>();
        Error boom = error.equals("OutOfMemoryError") ? new OutOfMemoryError("Java heap space (test)")
                : new StackOverflowError("test");
        BurstEnder.tickHook = () -> {
            if (armed.getCount() == 0 && died.compareAndSet(null, Thread.currentThread())) {
                throw boom;
            }
        };
        try {
            write(first); // both armed, with a write that is recent on the test's clock: the timer keeps them
            write(second);
            assertTrue(first.burstTimerArmed && second.burstTimerArmed, "the premise: both timers armed");
            armed.countDown();
            ReadMostlyLockThreads.await(() -> died.get() != null, "the timer's thread to meet the error");
            ReadMostlyLockThreads.join(died.get());
        } finally {
            BurstEnder.tickHook = null;
        }
        // plain reads: the dead thread wrote them before it ended (join)
        assertFalse(first.burstTimerArmed, "the first lock was told its timer was lost");
        assertFalse(second.burstTimerArmed, "the second lock was told its timer was lost");
        assertTrue(first.flagRaised() && second.flagRaised(), "the bursts are not over yet");
        clock.addAndGet(50 * MS);
        write(first); // re-arms, and starts a new thread
        write(second);
        clock.addAndGet(50 * MS);
        ReadMostlyLockThreads.await(() -> !first.flagRaised() && !second.flagRaised(),
                "a new timer to end both bursts");
    }

    /**
     * A condition wait whose waiter cannot be allocated (a full heap, issue 30 item 12; here the condition's test
     * hook) still releases the write lock while it waits, takes it back with the same holds, and returns as a
     * spurious wake-up: a caller that waits in a loop for its predicate sees it. Fails on a condition whose
     * {@code await} lets the waiter's OutOfMemoryError out, as 03c9fc2's did (seen, with that change to
     * {@code enqueue}; 03c9fc2 itself on a real full heap: {@link ReadMostlyLockFullHeapTest#turnsWithTheHeapFull}).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aWaitWithoutRoomForItsWaiterStillReleasesAndReturns(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        ReadMostlyLock lock = new ReadMostlyLock();
        Lock w = lock.writeLock();
        ReadMostlyLockCondition c = (ReadMostlyLockCondition) w.newCondition();
        c.failWaiters = true;
        java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicLong waits = new AtomicLong();
        Task<String> waiter = Task.start(virtual, "waiter", () -> {
            w.lock();
            w.lock();
            try {
                while (!ready.get()) {
                    c.await(); // no waiter: a bounded park, then a spurious wake-up
                    waits.incrementAndGet();
                }
                boolean timed = c.await(1, TimeUnit.HOURS); // time left: a spurious wake-up, not a timeout
                boolean late = c.await(-1, TimeUnit.NANOSECONDS)
                        || c.awaitUntil(new java.util.Date(Long.MIN_VALUE)) || c.await(Long.MIN_VALUE, TimeUnit.DAYS);
                long left = c.awaitNanos(1);
                return lock.getWriteHoldCount() + " holds, timed=" + timed + ", late=" + late + ", left<=0="
                        + (left <= 0);
            } finally {
                w.unlock();
                w.unlock();
            }
        });
        ReadMostlyLockThreads.await(() -> waits.get() > 0 || waiter.isDone(), "the waiter to wait once");
        w.lock(); // the waiter released the lock while it waited without a waiter
        try {
            ready.set(true);
            c.signal(); // nobody to signal: the waiter looks again after its park
        } finally {
            w.unlock();
        }
        assertEquals("2 holds, timed=true, late=false, left<=0=true", waiter.get());
        assertFalse(lock.isWriteLocked(), "nothing held after the waiter left");
    }

    /**
     * A wake-up that throws OutOfMemoryError after its unpark (as Temurin 25 does on a full heap when it cannot
     * schedule the virtual thread it has just marked unparked; here the queue's test hook) does not undo the release
     * that woke it: the writer's {@code unlock()} returns, both readers that waited for it are admitted, and the lock
     * is free afterwards. Fails without {@code ReadMostlyLockQueue.wake}'s catch: {@code unlock()} throws the error
     * out of the admission's loop, and the second reader is never woken.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aWakeUpThatThrowsAfterItsUnparkStillAdmitsEveryReader(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        ReadMostlyLock lock = new ReadMostlyLock();
        AtomicLong thrown = new AtomicLong();
        Thread me = Thread.currentThread();
        lock.queue.wakeHook = wakeThatThrows(thrown, me);
        Lock w = lock.writeLock();
        w.lock();
        List<Task<Boolean>> readers = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            readers.add(Task.start(virtual, "reader " + i, () -> {
                lock.readLock().lock();
                lock.readLock().unlock();
                return true;
            }));
        }
        ReadMostlyLockThreads.await(() -> lock.queue.waitingReaders() == 2, "both readers waiting for the writer");
        OutOfMemoryError out = null; // caught here: JUnit rethrows an OutOfMemoryError and aborts the run
        try {
            w.unlock(); // admits both: each wake-up throws after its unpark
        } catch (OutOfMemoryError e) {
            out = e;
        }
        assertEquals(null, out, "unlock() returns: its release is complete");
        assertEquals(2, thrown.get(), "the premise: the unlock's wake-up of each reader threw");
        for (Task<Boolean> r : readers) {
            assertTrue(r.get(), "every reader admitted");
        }
        assertTrue(w.tryLock(), "the lock is free: no reader is left marked waiting");
        w.unlock();
    }

    /**
     * The queue's wake hook for the two tests above and below: throws as the JDK does after an unpark, and counts the
     * throws on {@code counted}.
     */
    private static Runnable wakeThatThrows(AtomicLong thrown, Thread counted) {
        return () -> {
            if (Thread.currentThread() == counted) {
                thrown.incrementAndGet();
            }
            throw new OutOfMemoryError("Java heap space (test)");
        };
    }

    /**
     * A condition wait whose release wakes a queued writer, and that wake-up throws OutOfMemoryError after its unpark
     * (the queue's test hook, as above): the release is complete, so the wait goes on as any other, and returns holding
     * the write lock once signalled. Fails without {@code ReadMostlyLockQueue.wake}'s catch: {@code await} takes
     * itself for the holder again and throws the error, and the caller's {@code unlock()} then fails its owner check
     * ({@link IllegalMonitorStateException}), as seen on a real full heap ({@code FullHeapMain}, -Xlog:exceptions).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aWaitWhoseReleaseWakeUpThrowsStillWaitsAndReturnsHolding(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        ReadMostlyLock lock = new ReadMostlyLock();
        Lock w = lock.writeLock();
        java.util.concurrent.locks.Condition c = w.newCondition();
        AtomicLong thrown = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();
        CountDownLatch holding = new CountDownLatch(1);
        Task<String> waiter = Task.start(virtual, "waiter", () -> {
            w.lock();
            try {
                holding.countDown();
                ReadMostlyLockThreads.await(lock.queue::wakeAsked, "the other writer queued and asking to be woken");
                lock.queue.wakeHook = wakeThatThrows(thrown, Thread.currentThread()); // counts this thread's only
                while (!signalled.get()) {
                    c.await();
                }
                return "holds=" + lock.getWriteHoldCount() + " mine=" + lock.isWriteLockedByCurrentThread();
            } finally {
                w.unlock();
            }
        });
        assertTrue(holding.await(BOUND_SECONDS, TimeUnit.SECONDS), "the waiter to take the write lock");
        Task<Boolean> other = Task.start(virtual, "other writer", () -> {
            w.lock(); // queues behind the waiter, asks to be woken, and is woken by the waiter's await
            try {
                signalled.set(true);
                c.signal();
            } finally {
                w.unlock();
            }
            return true;
        });
        assertTrue(other.get());
        assertEquals("holds=1 mine=true", waiter.get());
        assertEquals(1, thrown.get(), "the premise: the await's release woke the other writer, and that threw");
        assertFalse(lock.isWriteLocked(), "nothing held after both left");
    }

    /**
     * An {@link Error} that strikes a writer right after its claim was taken, before the write path guards it (on a
     * real full heap: an OutOfMemoryError where the JVM links a call site that runs for the first time, after the
     * claim and before the write path's {@code try}; seen as a claim held by nobody in
     * {@link ReadMostlyLockFullHeapTest}'s virtual case): the writer's {@code lock()} throws it and leaves no claim,
     * so that another thread's {@code tryLock()} succeeds. Fails without the catch around the claim in
     * {@code acquireWrite} (seen: the other thread's {@code tryLock()} returned false, the claim left behind).
     */
    @ParameterizedTest
    @ValueSource(strings = {"OutOfMemoryError", "StackOverflowError"})
    void anErrorRightAfterTheClaimLeavesNoClaim(String error) throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock();
        Error boom = error.equals("OutOfMemoryError") ? new OutOfMemoryError("Java heap space (test)")
                : new StackOverflowError("test");
        lock.claimedHook = () -> {
            throw boom;
        };
        assertSame(boom, assertThrows(Error.class, () -> lock.writeLock().lock()));
        lock.claimedHook = null;
        Task<Boolean> other = Task.start(false, "other writer", () -> {
            boolean got = lock.writeLock().tryLock();
            if (got) {
                lock.writeLock().unlock();
            }
            return got;
        });
        assertTrue(other.get(), "another thread takes the write lock: no claim was left behind");
        assertFalse(lock.isWriteLocked());
    }

    /**
     * A writer that reads inside its own write section, past the burst window: its fenced reads try to end the burst
     * (every {@code BURST_CHECK_PERIOD}-th), which must fail while it holds the claim, and must leave that claim its
     * own. Fails with the first form of the claimant fix, whose burst end gave back whatever claim its thread held
     * (found in review; the writer's claim went to another thread's {@code tryLock()}).
     */
    @Test
    void aWriterThatReadsPastTheBurstWindowKeepsItsClaim() throws Exception {
        AtomicLong clock = new AtomicLong(1_000 * MS);
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get(), MS, clock::get, null);
        Lock w = lock.writeLock();
        Lock r = lock.readLock();
        w.lock();
        try {
            clock.addAndGet(10 * MS); // the burst window passes while the write lock is held
            for (int i = 0; i < 4 * ReadMostlyLock.BURST_CHECK_PERIOD; i++) {
                r.lock();
                r.unlock();
            }
            assertTrue(lock.flagRaised(), "the burst goes on: its writer holds the lock");
            Task<Boolean> other = Task.start(false, "other writer", () -> {
                boolean got = w.tryLock();
                if (got) {
                    w.unlock();
                }
                return got;
            });
            assertFalse(other.get(), "no other writer gets in while the write lock is held");
            assertTrue(lock.queue.claimedBy(Thread.currentThread()), "the claim is still the holder's");
        } finally {
            w.unlock();
        }
        assertFalse(lock.isWriteLocked());
    }

    /**
     * The same error while a condition's waiter takes the write lock back: {@code await} catches the
     * OutOfMemoryError, waits a little and tries again (its fault model: it never returns without the lock), which
     * needs the claim the error struck to have been given back. Fails without the catch around the claim (seen: the
     * waiter queued for a claim that nobody held, and the bounded wait for it ran out).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anOutOfMemoryErrorRightAfterAReacquiredClaimIsSurvived(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        ReadMostlyLock lock = new ReadMostlyLock();
        Lock w = lock.writeLock();
        java.util.concurrent.locks.Condition c = w.newCondition();
        java.util.concurrent.atomic.AtomicInteger struck = new java.util.concurrent.atomic.AtomicInteger();
        Task<String> waiter = Task.start(virtual, "waiter", () -> {
            w.lock();
            w.lock();
            try {
                lock.claimedHook = () -> { // the reacquire's claim, once
                    if (struck.getAndIncrement() == 0) {
                        throw new OutOfMemoryError("Java heap space (test)");
                    }
                };
                long left = c.awaitNanos(1); // times out at once, then takes the lock back
                return lock.getWriteHoldCount() + " holds, left<=0=" + (left <= 0);
            } finally {
                lock.claimedHook = null;
                w.unlock();
                w.unlock();
            }
        });
        assertEquals("2 holds, left<=0=true", waiter.get());
        assertEquals(2, struck.get(), "the premise: the error struck the first reacquire, and it tried again");
        assertFalse(lock.isWriteLocked(), "nothing held after the waiter left");
    }

    /**
     * A reservation of the claim left by a writer that is no longer queued (an {@link Error} kept it from giving the
     * reservation up; seen with the heap full in {@link ReadMostlyLockFullHeapTest}'s virtual case, where the next
     * writer, first in line, spun on a free claim for ever): the next writer drops it and takes the lock, by barging
     * or from the queue. Fails without {@code ReadMostlyLockQueue.heldBy} (seen: the writer did not finish within the
     * bound, spinning in {@code awaitTurn}).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aReservationOfAWriterThatLeftIsDropped(boolean virtual) throws Exception {
        if (virtual) {
            assumeVirtualThreads();
        }
        ReadMostlyLock lock = new ReadMostlyLock();
        Thread gone = new Thread(() -> { }, "a writer that left"); // never queued
        lock.queue.reserveForTest(gone);
        Task<Boolean> writer = Task.start(virtual, "writer", () -> {
            lock.writeLock().lock();
            lock.writeLock().unlock();
            return true;
        });
        assertTrue(writer.get());
        assertEquals(null, lock.queue.reservedFor(), "the stale reservation was dropped");
        assertEquals(0, lock.queue.waitingWriters());
    }

    /** Starts a thread that holds the read lock until {@code leave} opens; returns once it is inside. */
    private static Task<Void> readerInside(ReadMostlyLock lock, String name, CountDownLatch leave)
            throws InterruptedException {
        CountDownLatch inside = new CountDownLatch(1);
        Task<Void> reader = Task.start(name, () -> {
            lock.readLock().lock();
            try {
                inside.countDown();
                holdTheReadLock(leave);
            } finally {
                lock.readLock().unlock();
            }
            return null;
        });
        assertTrue(inside.await(BOUND_SECONDS, TimeUnit.SECONDS), "the reader '" + name + "' entered");
        return reader;
    }

    private static void holdTheReadLock(CountDownLatch leave) throws InterruptedException {
        assertTrue(leave.await(BOUND_SECONDS, TimeUnit.SECONDS), "the test lets the reader leave");
    }

    private static boolean parked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    private static boolean onStack(Thread t, String method) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals(method) && e.getClassName().equals(ReadMostlyLock.class.getName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * A writer waits for a reader with the heap full and another thread taking every byte that comes free (a child
     * JVM, {@link FullHeapDrain}): its {@code lock()} returns holding the lock, as {@code ReentrantLock}'s does (AQS
     * waits out a full heap). Old code threw {@link OutOfMemoryError} out of {@code lock()} from two places, each a
     * control seen failing: the writer's upgrade check made the fresh thread's {@code ThreadLocal} map (1 of 3
     * children), and its wait built the stall watch's message unguarded (4 of 6).
     */
    @Test
    void aWriterWaitsForAReaderOnAFullHeap() throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of("-Xmx32m",
                "-XX:+UseSerialGC", "-XX:-UseTLAB"), ChildProcess.classPath(), FullHeapDrain.class),
                Duration.ofSeconds(120), ChildProcess.Stderr.SEPARATE);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("full"), "the premise: the heap was full when the writer came\n" + r);
        assertEquals("null", r.value("writerError"), "lock() threw\n" + r);
        assertEquals("true", r.value("wrote"), r.toString());
        assertEquals("null", r.value("died"), "no thread may die of it\n" + r);
    }

    private static <T> T done(Task<T> t) throws Exception {
        return t.get();
    }
}
