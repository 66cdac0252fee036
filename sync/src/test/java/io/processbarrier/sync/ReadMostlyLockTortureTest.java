package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProviderStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Torture, per provider: readers and writers on platform threads (and virtual threads on JDK 21+), with
 * {@code lock}, {@code lockInterruptibly}, timed {@code tryLock}, reentrant reads, downgrades, and a thread that keeps
 * interrupting them. Writers make a pair of fields inconsistent while they hold the write lock ({@code a} is
 * incremented, time passes, then {@code b}); a reader that ever sees {@code a != b} under the read lock counts an
 * error. The control runs the same torture on a lock whose writers drain no reader and must count errors: it runs
 * 1 s rounds until it does, up to {@link #CONTROL_ROUNDS} (a loaded machine may keep the readers off-CPU for a whole
 * round). Each run lasts about 2 seconds; every thread must end within the bound. A provider that is not available
 * here (no membarrier in a sandbox, say) is reported as not applicable, as in {@code RcuTortureTest}.
 */
class ReadMostlyLockTortureTest {
    private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long CONTROL_ROUND_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int CONTROL_ROUNDS = 30;

    /** The provider's barrier, or the test is skipped (not failed) where the provider is missing or unavailable. */
    static ProcessBarrier availableBarrier(String provider) {
        ProviderStatus status = ProcessBarrier.providers().stream().filter(p -> p.name().equals(provider)).findFirst()
                .orElse(null);
        assumeTrue(status != null, () -> provider + " is not on the test class path");
        assumeTrue(status.available(), () -> provider + " is unavailable here: " + status.causeMessage());
        return ProcessBarrier.of(provider);
    }

    /** The shared state; plain fields: only the lock orders them. */
    static final class Pair {
        long a;
        long b;
    }

    static final class Stats {
        final AtomicLong reads = new AtomicLong();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong torn = new AtomicLong();
        final AtomicLong interrupted = new AtomicLong();
        final AtomicLong timedOut = new AtomicLong();
        final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();

        @Override
        public String toString() {
            return "reads=" + reads + " writes=" + writes + " torn=" + torn + " interrupted=" + interrupted
                    + " timedOut=" + timedOut + " failures=" + failures.size();
        }
    }

    @ParameterizedTest(name = "{0}, burst window {1} ns")
    @CsvSource({"membarrier, 0", "membarrier, 1000000", "mprotect, 0", "signal, 0", "fence, 0"})
    void noReaderEverSeesAHalfWrittenPair(String provider, long burstNanos) throws Exception {
        ReadMostlyLock lock = new ReadMostlyLock(availableBarrier(provider), burstNanos);
        Stats s = torture(lock, null, RUN_NANOS);
        System.out.println("torture " + provider + " window=" + burstNanos + ": " + s);
        if (!s.failures.isEmpty()) {
            AssertionError e = new AssertionError(s.failures.size() + " unexpected exceptions: " + s);
            s.failures.forEach(e::addSuppressed);
            throw e;
        }
        assertEquals(0, s.torn.get(), "torn pairs: " + s);
        assertTrue(s.reads.get() > 0 && s.writes.get() > 0, "the torture did not run: " + s);
    }

    /** The control: the same torture on a lock whose writers drain no reader must see torn pairs. */
    @Test
    void theControlWithoutDrainSeesTornPairs() throws Exception {
        ProcessBarrier barrier = availableBarrier("membarrier");
        Stats s = null;
        for (int round = 0; round < CONTROL_ROUNDS && (s == null || s.torn.get() == 0); round++) {
            ReadMostlyLock lock = new ReadMostlyLock(barrier, 0L);
            s = torture(lock, lock::forgetReaders, CONTROL_ROUND_NANOS); // from the first write on, no reader drained
            System.out.println("torture control (no drain), round " + round + ": " + s);
        }
        assertTrue(s.torn.get() > 0, "the broken lock showed no torn pair in " + CONTROL_ROUNDS + " rounds of 1 s, so"
                + " the torture could not catch one: " + s);
    }

    /**
     * The control of the stripes: writers that wait for every record but not for the stripes (the threads without a
     * record, here the short-lived readers) must see torn pairs.
     */
    @Test
    void theControlThatSkipsTheStripesSeesTornPairs() throws Exception {
        ProcessBarrier barrier = availableBarrier("membarrier");
        Stats s = null;
        for (int round = 0; round < CONTROL_ROUNDS && (s == null || s.torn.get() == 0); round++) {
            ReadMostlyLock lock = new ReadMostlyLock(barrier, 0L);
            s = torture(lock, lock::forgetStripes, CONTROL_ROUND_NANOS);
            System.out.println("torture control (stripes not drained), round " + round + ": " + s);
        }
        assertTrue(s.torn.get() > 0, "the lock that skips the stripes showed no torn pair in " + CONTROL_ROUNDS
                + " rounds of 1 s, so the torture could not catch a scheme that forgets a reader: " + s);
    }

    private static Stats torture(ReadMostlyLock lock, Runnable breakBeforeWrite, long runNanos)
            throws InterruptedException {
        Pair pair = new Pair();
        Stats s = new Stats();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        boolean virtual = ReadMostlyLockThreads.virtualThreadsAvailable();
        for (int i = 0; i < 3; i++) {
            workers.add(ReadMostlyLockThreads.newThread(false, "reader-" + i, () -> reader(lock, pair, s, stop)));
        }
        workers.add(ReadMostlyLockThreads.newThread(false, "writer", () -> writer(lock, pair, s, stop,
                breakBeforeWrite)));
        for (int i = 0; i < 2; i++) {
            workers.add(ReadMostlyLockThreads.newThread(false, "churn-" + i, () -> churn(lock, pair, s, stop,
                    virtual)));
        }
        if (virtual) {
            for (int i = 0; i < 8; i++) {
                workers.add(ReadMostlyLockThreads.newThread(true, "vreader-" + i, () -> reader(lock, pair, s, stop)));
            }
            for (int i = 0; i < 2; i++) {
                workers.add(ReadMostlyLockThreads.newThread(true, "vwriter-" + i, () -> writer(lock, pair, s, stop,
                        breakBeforeWrite)));
            }
        }
        workers.forEach(Thread::start);
        long end = System.nanoTime() + runNanos;
        while (System.nanoTime() - end < 0) {
            Thread.sleep(1);
            workers.get(ThreadLocalRandom.current().nextInt(workers.size())).interrupt();
        }
        stop.set(true);
        for (Thread t : workers) {
            ReadMostlyLockThreads.join(t);
        }
        if (breakBeforeWrite == null) {
            assertEquals(pair.a, pair.b, "the pair after the torture");
            assertEquals(s.writes.get(), pair.a, "every committed write counted once");
        }
        return s;
    }

    /** Acquires {@code l} in one of its four ways; false if it gave up (interrupt or timeout). */
    private static boolean acquire(Lock l, Stats s) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try {
            switch (rnd.nextInt(4)) {
                case 0:
                    l.lock();
                    return true;
                case 1:
                    l.lockInterruptibly();
                    return true;
                case 2:
                    if (l.tryLock(rnd.nextInt(200), TimeUnit.MICROSECONDS)) {
                        return true;
                    }
                    s.timedOut.incrementAndGet();
                    return false;
                default:
                    if (l.tryLock()) {
                        return true;
                    }
                    s.timedOut.incrementAndGet();
                    return false;
            }
        } catch (InterruptedException e) {
            s.interrupted.incrementAndGet();
            return false;
        }
    }

    private static void reader(ReadMostlyLock lock, Pair pair, Stats s, AtomicBoolean stop) {
        reader(lock, pair, s, stop, Long.MAX_VALUE);
    }

    /**
     * Starts short-lived readers one after the other (platform, and virtual on JDK 21+), each of which reads a few
     * times and ends: threads without a record, counted on the stripes (a thread per request), beside the others.
     */
    private static void churn(ReadMostlyLock lock, Pair pair, Stats s, AtomicBoolean stop, boolean virtual) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try {
            for (int i = 0; !stop.get(); i++) {
                int reads = 1 + rnd.nextInt(8);
                Thread t = ReadMostlyLockThreads.newThread(virtual && (i & 1) == 0, "rare-" + i,
                        () -> reader(lock, pair, s, stop, reads));
                t.start();
                while (true) {
                    try {
                        ReadMostlyLockThreads.join(t); // bounded
                        break;
                    } catch (InterruptedException e) {
                        s.interrupted.incrementAndGet(); // the interrupter's: wait on for the reader
                    }
                }
            }
        } catch (Throwable e) {
            s.failures.add(e);
        }
    }

    private static void reader(ReadMostlyLock lock, Pair pair, Stats s, AtomicBoolean stop, long maxReads) {
        Lock r = lock.readLock();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try {
            for (long n = 0; n < maxReads && !stop.get(); n++) {
                if (!acquire(r, s)) {
                    continue;
                }
                try {
                    boolean nested = rnd.nextInt(16) == 0;
                    if (nested) {
                        r.lock();
                    }
                    long a = pair.a;
                    for (int i = rnd.nextInt(64); i > 0; i--) {
                        Thread.onSpinWait();
                    }
                    if (a != pair.b) {
                        s.torn.incrementAndGet();
                    }
                    if (nested) {
                        r.unlock();
                    }
                } finally {
                    r.unlock();
                }
                s.reads.incrementAndGet();
                if (rnd.nextInt(256) == 0) {
                    // a pause outside the lock: virtual readers that never block would keep the carriers from the
                    // virtual writers they woke (yield() does not reliably let them run)
                    LockSupport.parkNanos(1_000);
                }
            }
        } catch (Throwable e) {
            s.failures.add(e);
        }
    }

    private static void writer(ReadMostlyLock lock, Pair pair, Stats s, AtomicBoolean stop, Runnable breakIt) {
        Lock w = lock.writeLock();
        Lock r = lock.readLock();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try {
            while (!stop.get()) {
                if (breakIt != null) {
                    breakIt.run();
                }
                if (!acquire(w, s)) {
                    continue;
                }
                boolean downgraded = false;
                try {
                    pair.a++;
                    for (int i = 16 + rnd.nextInt(256); i > 0; i--) {
                        Thread.onSpinWait();
                    }
                    pair.b++;
                    s.writes.incrementAndGet();
                    if (rnd.nextInt(8) == 0) {
                        r.lock(); // downgrade: read what we wrote while other readers come in
                        downgraded = true;
                    }
                } finally {
                    w.unlock();
                }
                if (downgraded) {
                    try {
                        if (pair.a != pair.b) {
                            s.torn.incrementAndGet();
                        }
                    } finally {
                        r.unlock();
                    }
                }
                LockSupport.parkNanos(rnd.nextInt(100_000)); // rare writes; the interrupter may cut it short
            }
        } catch (Throwable e) {
            s.failures.add(e);
        }
    }
}
