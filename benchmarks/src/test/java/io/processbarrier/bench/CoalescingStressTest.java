package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.spi.ProcessBarrierProvider;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Eight threads call heavy() on the real membarrier barrier in a loop, with waiters that park without yielding
 * first (the sleeping path is where wake-ups can be lost). Every thread must keep making progress: a caller parked with no
 * one left to wake it shows up as a thread that completes nothing for a whole second while the others go on.
 * (A lost wake-up of this kind, in an earlier version, was found this way within seconds.)
 */
class CoalescingStressTest {

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
            long[] last = new long[threads];
            for (int second = 0; second <= seconds; second++) {
                Thread.sleep(1000);
                for (int i = 0; i < threads; i++) {
                    long p = progress.get(i);
                    if (second > 0) { // the first second is for starting up
                        assertTrue(p > last[i], "thread " + i + " completed no heavy() call in a second: "
                                + java.util.Arrays.toString(ts.get(i).getStackTrace()));
                    }
                    last[i] = p;
                }
            }
        } finally {
            stop.set(true);
            for (Thread t : ts) {
                t.join(5000);
            }
        }
        for (Thread t : ts) {
            assertFalse(t.isAlive(), t.getName() + " is stuck in heavy()");
        }
    }
}
