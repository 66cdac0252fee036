package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.spi.ProcessBarrierProvider;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Eight threads call heavy() on the real membarrier barrier in a loop, with waiters that park without yielding
 * first (the sleeping path is where wake-ups can be lost). Every thread must keep making progress: a caller parked with no
 * one left to wake it never completes another call, while the others go on, and is still parked when they have all
 * stopped. Both are checked with bounds far beyond a scheduling delay (a thread preempted on a loaded machine
 * resumes within milliseconds; a lost waiter never does). (A lost wake-up of this kind, in an earlier version, was
 * found this way within seconds.)
 */
class CoalescingStressTest {
    /** Longer than any scheduling delay: a thread that makes no call for this long while others do is lost. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Calls each thread makes at the least, so that all eight took part. */
    private static final long MIN_CALLS = 100;
    /** The most a soak may take on a loaded machine to reach MIN_CALLS everywhere. */
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(120);

    @Test
    void everyCallerKeepsMakingProgressWhenWaitersSpinThenPark() throws Exception {
        run(1000, 4); // spinning long enough for the other CPU to start the next barrier meanwhile, then parking
    }

    @Test
    void everyCallerKeepsMakingProgressWhenWaitersParkAtOnce() throws Exception {
        run(0, 4);
    }

    /** The signal barrier forms batches (leaders yield while callers join) and its signals wake parked waiters. */
    @Test
    void everyCallerKeepsMakingProgressWhenBatchesForm() throws Exception {
        run("signal", 8, 4);
    }

    private static void run(int spins, int seconds) throws Exception {
        run("membarrier", spins, seconds);
    }

    private static void run(String provider, int spins, int seconds) throws Exception {
        ProcessBarrier.of(provider); // the provider is probed and prepared in this JVM
        ProcessBarrierProvider found = null;
        for (ProcessBarrierProvider candidate : ServiceLoader.load(ProcessBarrierProvider.class)) {
            if (candidate.name().equals(provider)) {
                found = candidate;
            }
        }
        assertTrue(found != null && found.probe().isAvailable(), provider);
        found.prepare();
        // the wrapper every barrier has, with another number of spins before a waiter parks
        Constructor<AsymmetricProcessBarrier> c = AsymmetricProcessBarrier.class.getDeclaredConstructor(
                ProcessBarrierProvider.class, boolean.class, int.class);
        c.setAccessible(true);
        AsymmetricProcessBarrier b = c.newInstance(found, true, spins);
        int threads = 8;
        AtomicLongArray progress = new AtomicLongArray(threads);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> ts = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                final int index = i;
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        b.heavy();
                        progress.incrementAndGet(index);
                    }
                }, "stress-" + i);
                t.setDaemon(true);
                t.start();
                ts.add(t);
            }
            // The soak: at least `seconds`, and until every thread made MIN_CALLS calls. A thread with no call
            // for STALL_NANOS while the others made at least 1000 is a lost waiter.
            long start = System.nanoTime();
            long[] last = new long[threads];
            long[] lastAt = new long[threads];
            long[] othersAt = new long[threads];
            java.util.Arrays.fill(lastAt, start);
            while (true) {
                Thread.sleep(100); // the sampling period of the counters
                long now = System.nanoTime();
                long total = 0;
                for (int i = 0; i < threads; i++) {
                    total += progress.get(i);
                }
                boolean enough = true;
                for (int i = 0; i < threads; i++) {
                    long p = progress.get(i);
                    if (p != last[i]) {
                        last[i] = p;
                        lastAt[i] = now;
                        othersAt[i] = total - p;
                    } else if (now - lastAt[i] > STALL_NANOS && total - p - othersAt[i] >= 1000) {
                        fail("thread " + i + " completed no heavy() call in " + STALL_NANOS / 1_000_000_000
                                + " s while the others completed " + (total - p - othersAt[i]) + ": "
                                + java.util.Arrays.toString(ts.get(i).getStackTrace()));
                    }
                    enough &= p >= MIN_CALLS;
                }
                if (enough && now - start >= TimeUnit.SECONDS.toNanos(seconds)) {
                    break;
                }
                assertTrue(now - start < BOUND_NANOS, "within " + BOUND_NANOS / 1_000_000_000 + " s not every"
                        + " thread made " + MIN_CALLS + " calls: " + progress);
            }
        } finally {
            stop.set(true);
            long deadline = System.nanoTime() + STALL_NANOS;
            for (Thread t : ts) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        }
        for (Thread t : ts) {
            assertFalse(t.isAlive(), t.getName() + " is stuck in heavy(): " + java.util.Arrays.toString(t.getStackTrace()));
        }
    }
}
