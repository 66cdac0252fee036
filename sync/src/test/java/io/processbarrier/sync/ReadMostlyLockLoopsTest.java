package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLockThreads.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;

import static io.processbarrier.sync.ReadMostlyLockThreads.BOUND_SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the classic lock stress loops of {@code java.util.concurrent}'s own regression tests check, written again for
 * {@link ReadMostlyLock} (the ideas, in this project's code): a map behind the lock under a random walk, mutual
 * exclusion with a value and its check word, interrupts of threads blocked in {@code lockInterruptibly}, timed
 * {@code tryLock}s that end while the lock is jammed, many threads hammering one lock with no wake-up missed, hold
 * counts through every acquisition path, a failed timed write {@code tryLock} that must not block later readers, and
 * no waiter left behind by many failed timed {@code tryLock}s. Each runs on platform threads and, where a thread's
 * kind matters (parking, interrupts), on virtual threads too (JDK 21+). Every loop is bounded by operation counts
 * kept small (the whole class takes well under a minute here, 2 vCPU shared), and every wait by
 * {@link ReadMostlyLockThreads#BOUND_SECONDS}.
 */
class ReadMostlyLockLoopsTest {

    private static ReadMostlyLock newLock() {
        return new ReadMostlyLock(ProcessBarrier.get());
    }

    private static void assumeKind(boolean virtual) {
        if (virtual) {
            ReadMostlyLockThreads.assumeVirtualThreads();
        }
    }

    /**
     * Starts {@code n} tasks behind one latch, so that they contend from the start, and returns once every one is past
     * it. Busy loops that never park (readers) are started only after that, and at most one of them on virtual
     * threads: a virtual thread woken by a platform thread (this one's latch) or by a timer (a timed park ending)
     * goes through the scheduler's external queue, and two virtual threads that loop with {@code Thread.yield()} on
     * the two carriers were seen to keep such a thread from running for 30 s (Temurin 25, 2 vCPUs, a CPU burner
     * beside): a property of the scheduler, not of the lock.
     */
    private static <T> List<Task<T>> startAll(boolean virtual, int n, String name, Body<T> body) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch past = new CountDownLatch(n);
        List<Task<T>> tasks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            tasks.add(Task.start(virtual, name + "-" + i, () -> {
                assertTrue(go.await(BOUND_SECONDS, TimeUnit.SECONDS));
                past.countDown();
                return body.run(id);
            }));
        }
        go.countDown();
        assertTrue(past.await(BOUND_SECONDS, TimeUnit.SECONDS), name + " tasks did not all start");
        return tasks;
    }

    interface Body<T> {
        T run(int id) throws Exception;
    }

    /**
     * Every 256th operation of a loop that might never block (a reader): a virtual thread that never parks keeps
     * its carrier, and with as many such loops as carriers nobody else would run.
     */
    private static void politely(long n) {
        if ((n & 255) == 0) {
            Thread.yield();
        }
    }

    // ------------------------------------------------------------------------------------------------ MapLoops

    /** A map entry with its own check word: a reader that sees a torn or foreign entry counts it. */
    record Entry(int key, long value, long check) {
        static Entry of(int key, long value) {
            return new Entry(key, value, key * 0x9E3779B97F4A7C15L ^ value);
        }

        boolean intact(int k) {
            return key == k && check == (key * 0x9E3779B97F4A7C15L ^ value);
        }
    }

    /**
     * A {@link HashMap} (not thread-safe: a write during a resize corrupts it for a concurrent reader or writer) behind
     * the lock, under a random walk of get (read lock), put and remove (write lock) over a small key range, so that the
     * map grows, shrinks and resizes all the time. Every entry a reader sees is intact and under its key, and at the
     * end the map holds exactly the keys whose last operation was a put, as each writer recorded under the write lock
     * (a lost or duplicated update leaves a difference). The exclusion controls are in {@link
     * #mutualExclusionKeepsAValueAndItsCheckWord}'s broken lock and the torture's.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aMapBehindTheLockSurvivesARandomWalk(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = newLock();
        Map<Integer, Entry> map = new HashMap<>();
        boolean[] present = new boolean[512]; // under the write lock: what the map must hold
        AtomicLong bad = new AtomicLong();
        List<Task<Long>> tasks = startAll(virtual, 4, "walker", id -> {
            SplittableRandom rnd = new SplittableRandom(id * 7919L + 1);
            long ops = 0;
            for (int i = 0; i < 60_000; i++) {
                int k = rnd.nextInt(present.length);
                int dice = rnd.nextInt(100);
                if (dice < 80) {
                    lock.readLock().lock();
                    try {
                        Entry e = map.get(k);
                        if (e != null && !e.intact(k)) {
                            bad.incrementAndGet();
                        }
                    } finally {
                        lock.readLock().unlock();
                    }
                } else {
                    lock.writeLock().lock();
                    try {
                        if (dice < 90) {
                            map.put(k, Entry.of(k, rnd.nextLong()));
                            present[k] = true;
                        } else {
                            map.remove(k);
                            present[k] = false;
                        }
                    } finally {
                        lock.writeLock().unlock();
                    }
                }
                politely(++ops);
            }
            return ops;
        });
        for (Task<Long> t : tasks) {
            assertEquals(60_000L, t.get());
        }
        assertEquals(0, bad.get(), "entries seen torn or under another key");
        lock.writeLock().lock();
        try {
            for (int k = 0; k < present.length; k++) {
                assertEquals(present[k], map.containsKey(k), "key " + k);
                if (present[k]) {
                    assertTrue(map.get(k).intact(k), "entry of key " + k);
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ------------------------------------------------------------------------------------------------ CheckedLockLoops

    /** A value and its check word, written at different moments: only exclusion keeps them matching. */
    static final class Checked {
        long value = 1;
        long check = hash(1);

        static long next(long v) { // xorshift: the final value tells whether every step was applied once
            v ^= v << 13;
            v ^= v >>> 7;
            v ^= v << 17;
            return v;
        }

        static long hash(long v) {
            return Long.rotateLeft(v * 0xBF58476D1CE4E5B9L, 31);
        }
    }

    /**
     * Mutual exclusion, checked: writers step a value and, after a pause, its check word; readers and writers verify
     * on entry that the two match, and the final value is the value after exactly as many steps as writes were made
     * (a lost or overlapping step changes it).
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void mutualExclusionKeepsAValueAndItsCheckWord(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = newLock();
        // one busy reader on virtual threads: see startAll (two would hold both carriers)
        Outcome o = checkedLoops(lock, virtual, 4, virtual ? 1 : 2, 20_000);
        assertEquals(0, o.mismatches, "a value and its check word seen apart");
        assertEquals(o.expected, o.finalValue, "the value after " + o.writes + " steps");
    }

    /**
     * The control: the same loops on a "lock" whose write side excludes nothing (its read side is the real read
     * lock); they must see mismatches or a wrong final value. Bounded rounds: a loaded machine may serialize the
     * threads for a whole round by chance.
     */
    @Test
    void theCheckedLoopsCatchALockThatDoesNotExclude() throws Exception {
        ReadMostlyLock real = newLock();
        ReadWriteLock broken = new ReadWriteLock() {
            private final Lock none = new NoLock();

            @Override
            public Lock readLock() {
                return real.readLock();
            }

            @Override
            public Lock writeLock() {
                return none;
            }
        };
        boolean caught = false;
        for (int round = 0; round < 20 && !caught; round++) {
            Outcome o = checkedLoops(broken, false, 4, 0, 50_000);
            caught = o.mismatches > 0 || o.expected != o.finalValue;
        }
        assertTrue(caught, "the checked loops never caught writers that do not exclude each other");
    }

    record Outcome(long mismatches, long writes, long expected, long finalValue) {
    }

    private static Outcome checkedLoops(ReadWriteLock lock, boolean virtual, int writers, int readers, int perWriter)
            throws Exception {
        Checked c = new Checked();
        AtomicLong mismatches = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        List<Task<Long>> ws = startAll(virtual, writers, "stepper", id -> {
            for (int i = 0; i < perWriter; i++) {
                lock.writeLock().lock();
                try {
                    if (c.check != Checked.hash(c.value)) {
                        mismatches.incrementAndGet();
                    }
                    long v = Checked.next(c.value);
                    c.value = v;
                    Thread.onSpinWait(); // a window for an overlapping writer or reader
                    c.check = Checked.hash(v);
                } finally {
                    lock.writeLock().unlock();
                }
            }
            return (long) perWriter;
        });
        List<Task<Long>> rs = startAll(virtual, readers, "checker", id -> {
            long n = 0;
            while (!done.get()) {
                lock.readLock().lock();
                try {
                    if (c.check != Checked.hash(c.value)) {
                        mismatches.incrementAndGet();
                    }
                } finally {
                    lock.readLock().unlock();
                }
                politely(++n);
            }
            return n;
        });
        long writes = 0;
        try {
            for (Task<Long> w : ws) {
                writes += w.get();
            }
        } finally {
            done.set(true); // the readers stop even if a writer failed
        }
        for (Task<Long> r : rs) {
            r.get();
        }
        long expected = 1;
        for (long i = 0; i < writes; i++) {
            expected = Checked.next(expected);
        }
        lock.writeLock().lock();
        try {
            return new Outcome(mismatches.get(), writes, expected, c.value);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** A lock that locks nothing: the control's broken write side. */
    private static final class NoLock implements Lock {
        @Override
        public void lock() {
        }

        @Override
        public void lockInterruptibly() {
        }

        @Override
        public boolean tryLock() {
            return true;
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) {
            return true;
        }

        @Override
        public void unlock() {
        }

        @Override
        public Condition newCondition() {
            throw new UnsupportedOperationException();
        }
    }

    // ------------------------------------------------------------------------------------------------ CancelledLockLoops

    /**
     * Threads blocked in {@code lockInterruptibly} (writers, and readers behind the holding writer), half of them
     * interrupted while they wait: the interrupted ones throw {@link InterruptedException} holding nothing, the others
     * all get the lock in turn once the holder leaves, and afterwards nobody is left queued and the lock is free.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void interruptedWaitersLeaveAndTheOthersStillGetTheLock(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = newLock();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlap = new AtomicInteger();
        lock.writeLock().lock();
        List<Task<String>> tasks = new ArrayList<>();
        List<Lock> views = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Lock l = i % 4 >= 2 ? lock.readLock() : lock.writeLock();
            views.add(l);
            boolean writer = l == lock.writeLock();
            tasks.add(Task.start(virtual, (writer ? "writer-" : "reader-") + i, () -> {
                try {
                    l.lockInterruptibly();
                } catch (InterruptedException e) {
                    return "interrupted";
                }
                try {
                    if (writer && inside.incrementAndGet() != 1) {
                        overlap.incrementAndGet();
                    }
                    Thread.onSpinWait();
                    if (writer) {
                        inside.decrementAndGet();
                    }
                    return "acquired";
                } finally {
                    l.unlock();
                }
            }));
        }
        for (int i = 0; i < tasks.size(); i++) {
            tasks.get(i).awaitWaitingIn(views.get(i)); // the premise: each reached its wait, parked inside the lock
        }
        for (int i = 0; i < tasks.size(); i += 2) {
            tasks.get(i).thread.interrupt();
        }
        for (int i = 0; i < tasks.size(); i += 2) {
            assertEquals("interrupted", tasks.get(i).get(), "an interrupted waiter must throw, holding nothing");
        }
        lock.writeLock().unlock();
        for (int i = 1; i < tasks.size(); i += 2) {
            assertEquals("acquired", tasks.get(i).get());
        }
        assertEquals(0, overlap.get(), "two writers inside at once");
        assertEquals(0, lock.queue.waitingWriters(), "queued writers left behind");
        assertEquals(0, lock.queue.waitingReaders(), "waiting readers left behind");
        assertTrue(lock.writeLock().tryLock(), "the lock is free again");
        lock.writeLock().unlock();
    }

    // ------------------------------------------------------------------------------------------------ TimeoutLockLoops

    /**
     * While the lock is jammed (held by the test), timed {@code tryLock}s of both kinds, from several threads, each
     * end by themselves with false, not before their time; then the holder leaves and a thread that spins on the
     * untimed write {@code tryLock()} gets it, though the others keep trying with timed ones.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void timedTryLocksEndWhileTheLockIsJammed(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = newLock();
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(5);
        lock.writeLock().lock();
        List<Task<Long>> tasks = startAll(virtual, 4, "timed", id -> {
            Lock l = id % 2 == 0 ? lock.writeLock() : lock.readLock();
            long tooEarly = 0;
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                boolean got = l.tryLock(timeoutNanos, TimeUnit.NANOSECONDS);
                if (got) {
                    l.unlock();
                    throw new AssertionError("a timed tryLock got a jammed lock");
                }
                if (System.nanoTime() - t0 < timeoutNanos) {
                    tooEarly++;
                }
            }
            return tooEarly;
        });
        for (Task<Long> t : tasks) {
            assertEquals(0L, t.get(), "timed tryLocks that gave up before their time");
        }
        assertEquals(0, lock.queue.waitingWriters());
        assertEquals(0, lock.queue.waitingReaders());
        lock.writeLock().unlock();
        // now contended by writers with timed tries that succeed: an untimed try must still get in
        AtomicBoolean stop = new AtomicBoolean();
        List<Task<Long>> contenders = startAll(virtual, 3, "contender", id -> {
            long n = 0;
            while (!stop.get()) {
                if (lock.writeLock().tryLock(1, TimeUnit.SECONDS)) {
                    n++;
                    lock.writeLock().unlock();
                }
            }
            return n;
        });
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
            while (!lock.writeLock().tryLock()) {
                assertTrue(System.nanoTime() - deadline < 0, "an untimed tryLock never got the lock");
                Thread.onSpinWait();
            }
            lock.writeLock().unlock();
        } finally {
            stop.set(true);
        }
        for (Task<Long> t : contenders) {
            t.get();
        }
    }

    // ------------------------------------------------------------------------------------------------ SimpleReentrantLockLoops

    /**
     * 1 to 8 threads hammer the write lock (reentrantly, every few rounds twice, through each acquisition method),
     * with a reader beside: every one finishes (a missed wake-up would leave a thread parked for ever and the bound
     * would fail the test) and the counter has every increment.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void manyThreadsHammerOneLockAndNoWakeUpIsMissed(boolean virtual) throws Exception {
        assumeKind(virtual);
        for (int threads = 1; threads <= 8; threads *= 2) {
            ReadMostlyLock lock = newLock();
            long[] counter = new long[1];
            int rounds = 8_000;
            AtomicBoolean done = new AtomicBoolean();
            List<Task<Integer>> ws = startAll(virtual, threads, "hammer", id -> {
                for (int i = 0; i < rounds; i++) {
                    switch (i % 4) {
                        case 0 -> lock.writeLock().lock();
                        case 1 -> lock.writeLock().lockInterruptibly();
                        case 2 -> {
                            while (!lock.writeLock().tryLock()) {
                                Thread.yield();
                            }
                        }
                        default -> assertTrue(lock.writeLock().tryLock(BOUND_SECONDS, TimeUnit.SECONDS));
                    }
                    try {
                        if (i % 8 == 0) {
                            lock.writeLock().lock(); // reentrant
                            counter[0]++;
                            lock.writeLock().unlock();
                        } else {
                            counter[0]++;
                        }
                    } finally {
                        lock.writeLock().unlock();
                    }
                }
                return rounds;
            });
            Task<Long> reader = Task.start(virtual, "reader", () -> {
                long n = 0;
                while (!done.get()) {
                    lock.readLock().lock();
                    n += counter[0] >= 0 ? 1 : 0;
                    lock.readLock().unlock();
                    politely(n);
                }
                return n;
            });
            try {
                for (Task<Integer> w : ws) {
                    w.get();
                }
            } finally {
                done.set(true);
            }
            reader.get();
            lock.readLock().lock();
            try {
                assertEquals((long) threads * rounds, counter[0], threads + " threads");
            } finally {
                lock.readLock().unlock();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ Count

    /**
     * Hold counts through every acquisition path: each of {@code lock}, {@code lockInterruptibly}, {@code tryLock}
     * and {@code tryLock(time, unit)}, nested, adds one hold of its kind; each {@code unlock} takes one away; the write
     * holder's read holds (a downgrade) count apart; another thread sees none of this thread's holds. On both kinds of
     * thread, and while other threads contend for the same lock.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void holdCountsFollowEveryAcquisitionPath(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = newLock();
        AtomicBoolean stop = new AtomicBoolean();
        List<Task<Boolean>> counters = startAll(virtual, 3, "counter", id -> {
            for (int round = 0; round < 200; round++) {
                countThrough(lock);
            }
            return true;
        });
        List<Task<Long>> noise = startAll(virtual, 1, "noise", id -> { // contention, so that slow paths run too
            long n = 0;
            while (!stop.get()) {
                Lock l = (n & 1) == 0 ? lock.writeLock() : lock.readLock();
                l.lock();
                l.unlock();
                politely(++n);
            }
            return n;
        });
        try {
            for (Task<Boolean> c : counters) {
                assertTrue(c.get());
            }
        } finally {
            stop.set(true);
        }
        for (Task<Long> t : noise) {
            t.get();
        }
    }

    private static void countThrough(ReadMostlyLock lock) throws InterruptedException {
        Lock w = lock.writeLock();
        Lock r = lock.readLock();
        int depth = 0;
        for (int path = 0; path < 4; path++) {
            acquire(w, path);
            depth++;
            assertEquals(depth, lock.getWriteHoldCount(), "write holds after path " + path);
            assertTrue(lock.isWriteLockedByCurrentThread());
        }
        for (int path = 0; path < 4; path++) { // read holds of the write holder
            acquire(r, path);
            assertEquals(path + 1, lock.getReadHoldCount(), "read holds after path " + path);
        }
        assertEquals(4, lock.getWriteHoldCount(), "read holds do not count as write holds");
        for (int i = 4; i > 0; i--) {
            w.unlock();
            assertEquals(i - 1, lock.getWriteHoldCount());
        }
        assertFalse(lock.isWriteLockedByCurrentThread(), "downgraded: the read holds remain");
        for (int i = 4; i > 0; i--) {
            assertEquals(i, lock.getReadHoldCount());
            r.unlock();
        }
        assertEquals(0, lock.getReadHoldCount());
        for (int path = 0; path < 4; path++) { // read holds alone
            acquire(r, path);
            assertEquals(path + 1, lock.getReadHoldCount());
            assertEquals(0, lock.getWriteHoldCount());
        }
        for (int i = 4; i > 0; i--) {
            r.unlock();
        }
        assertEquals(0, lock.getReadHoldCount());
    }

    private static void acquire(Lock l, int path) throws InterruptedException {
        switch (path) {
            case 0 -> l.lock();
            case 1 -> l.lockInterruptibly();
            case 2 -> {
                while (!l.tryLock()) { // the first of a nest may meet the noise threads
                    Thread.yield();
                }
            }
            default -> assertTrue(l.tryLock(BOUND_SECONDS, TimeUnit.SECONDS));
        }
    }

    // ------------------------------------------------------------------------------------------------ Bug6571733

    /**
     * A timed write {@code tryLock} that fails (a reader holds the lock) leaves no trace that blocks later readers:
     * a new reader's {@code tryLock()} and {@code lock()} succeed at once while the first reader still holds.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aFailedTimedWriteTryLockDoesNotBlockLaterReaders(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = newLock();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Task<Boolean> reader = Task.start(virtual, "first reader", () -> {
            lock.readLock().lock();
            try {
                holding.countDown();
                return release.await(BOUND_SECONDS, TimeUnit.SECONDS);
            } finally {
                lock.readLock().unlock();
            }
        });
        assertTrue(holding.await(BOUND_SECONDS, TimeUnit.SECONDS));
        for (int i = 0; i < 3; i++) {
            assertFalse(Task.start(virtual, "timed writer", () -> lock.writeLock().tryLock(2, TimeUnit.MILLISECONDS))
                    .get(), "the write tryLock must time out while a reader holds");
            assertTrue(Task.start(virtual, "later reader", () -> {
                boolean got = lock.readLock().tryLock();
                if (got) {
                    lock.readLock().unlock();
                }
                return got;
            }).get(), "a later reader's tryLock() after the failed write tryLock");
            assertTrue(Task.start(virtual, "later reader", () -> {
                lock.readLock().lock();
                lock.readLock().unlock();
                return true;
            }).get());
        }
        release.countDown();
        assertTrue(reader.get());
    }

    // ------------------------------------------------------------------------------------------------ TimedAcquireLeak

    /**
     * Many timed {@code tryLock}s of both kinds that fail against a held write lock (each queues, then gives up)
     * leave no waiter behind: the queue of writers and the waiting readers are empty afterwards, and the lock works.
     * The control is the count itself: it is read from the queue, where a waiter that did not leave would stay.
     */
    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void failedTimedTryLocksLeaveNoWaiterBehind(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = newLock();
        lock.writeLock().lock();
        List<Task<Integer>> tasks = startAll(virtual, 4, "timed", id -> {
            Lock l = id % 2 == 0 ? lock.writeLock() : lock.readLock();
            int failed = 0;
            for (int i = 0; i < 500; i++) {
                if (!l.tryLock(id < 2 ? 20 : 200, TimeUnit.MICROSECONDS)) {
                    failed++;
                }
            }
            return failed;
        });
        for (Task<Integer> t : tasks) {
            assertEquals(500, t.get(), "every timed try fails while the lock is held");
        }
        assertEquals(0, lock.queue.waitingWriters(), "writers' nodes left in the queue");
        assertEquals(0, lock.queue.waitingReaders(), "readers left waiting");
        lock.writeLock().unlock();
        assertTrue(Task.start(virtual, "after", () -> {
            boolean w = lock.writeLock().tryLock();
            if (w) {
                lock.writeLock().unlock();
            }
            return w && lock.readLock().tryLock();
        }).get());
    }

    /** A timed try whose thread is interrupted meanwhile throws, and leaves nothing queued either. */
    @Test
    void anInterruptedTimedTryLockLeavesNoWaiterBehind() throws Exception {
        ReadMostlyLock lock = newLock();
        lock.writeLock().lock();
        Task<Boolean> t = Task.start("timed writer", () -> lock.writeLock().tryLock(BOUND_SECONDS, TimeUnit.SECONDS));
        t.awaitWaitingIn(lock.writeLock());
        t.thread.interrupt();
        assertInstanceOf(InterruptedException.class, t.failure());
        assertEquals(0, lock.queue.waitingWriters());
        lock.writeLock().unlock();
    }
}
