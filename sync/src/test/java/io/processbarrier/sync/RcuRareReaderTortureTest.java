package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Torture of the sections of threads without a record: short-lived readers (a thread per request, platform and
 * virtual) read an {@link RcuReference} once to a few times each through {@link RcuReference#read} and
 * {@link Rcu#read(java.util.function.Supplier)}, beside long-lived readers with records, while writers replace the
 * value (its reclamation marks it dead) and call {@code synchronize()}. A reader that sees a dead value inside its
 * section counts an error. The control runs the same on an {@code Rcu} whose grace periods skip the stripes (a
 * striped scheme that forgets its readers) and must count errors: 1 s rounds until it does, up to 30.
 */
class RcuRareReaderTortureTest {
    private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(2);

    static final class Item {
        volatile boolean dead;
    }

    static final class Stats {
        final AtomicLong reads = new AtomicLong();
        final AtomicLong swaps = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();

        @Override
        public String toString() {
            return "reads=" + reads + " swaps=" + swaps + " errors=" + errors + " failures=" + failures.size();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"membarrier", "fence"})
    void noShortLivedReaderSeesAReclaimedValue(String provider) throws Exception {
        Stats s;
        try (Rcu rcu = Rcu.create(ReadMostlyLockTortureTest.availableBarrier(provider))) {
            s = torture(rcu, RUN_NANOS);
        }
        System.out.println("rare-reader torture " + provider + ": " + s);
        if (!s.failures.isEmpty()) {
            AssertionError e = new AssertionError(s.failures.size() + " unexpected exceptions: " + s);
            s.failures.forEach(e::addSuppressed);
            throw e;
        }
        assertEquals(0, s.errors.get(), s.toString());
        assertTrue(s.reads.get() > 0 && s.swaps.get() > 0, "the torture did not run: " + s);
    }

    @Test
    void theControlThatSkipsTheStripesIsCaught() throws Exception {
        Stats s = null;
        for (int round = 0; round < 30 && (s == null || s.errors.get() == 0); round++) {
            try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
                rcu.skipStripes = true;
                s = torture(rcu, TimeUnit.SECONDS.toNanos(1));
            }
            System.out.println("rare-reader torture control (stripes skipped), round " + round + ": " + s);
        }
        assertTrue(s.errors.get() > 0, "grace periods that skip the stripes went unnoticed: " + s);
    }

    private static Stats torture(Rcu rcu, long runNanos) throws Exception {
        Stats s = new Stats();
        AtomicBoolean stop = new AtomicBoolean();
        RcuReference<Item> ref = new RcuReference<>(rcu, new Item(), it -> it.dead = true);
        boolean virtual = ReadMostlyLockThreads.virtualThreadsAvailable();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < 2; i++) { // long-lived: records
            workers.add(ReadMostlyLockThreads.newThread(false, "steady-" + i, () -> read(rcu, ref, s, stop,
                    Long.MAX_VALUE, 64)));
        }
        for (int i = 0; i < 3; i++) { // short-lived, one after the other: no record
            boolean v = virtual && (i & 1) == 1;
            workers.add(ReadMostlyLockThreads.newThread(false, "churn-" + i, () -> {
                try {
                    for (int k = 0; !stop.get(); k++) {
                        int n = 1 + ThreadLocalRandom.current().nextInt(8);
                        Thread t = ReadMostlyLockThreads.newThread(v, "rare-" + k, () -> read(rcu, ref, s, stop, n, 8192));
                        t.start();
                        ReadMostlyLockThreads.join(t);
                    }
                } catch (Throwable e) {
                    s.failures.add(e);
                }
            }));
        }
        workers.add(ReadMostlyLockThreads.newThread(false, "writer", () -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            try {
                while (!stop.get()) {
                    ref.set(new Item());
                    s.swaps.incrementAndGet();
                    if (rnd.nextInt(4) == 0) {
                        rcu.synchronize();
                    }
                    for (int i = rnd.nextInt(500); i > 0; i--) {
                        Thread.onSpinWait();
                    }
                }
            } catch (Throwable e) {
                s.failures.add(e);
            }
        }));
        workers.forEach(Thread::start);
        long end = System.nanoTime() + runNanos;
        while (System.nanoTime() - end < 0) {
            Thread.sleep(10);
        }
        stop.set(true);
        for (Thread t : workers) {
            ReadMostlyLockThreads.join(t);
        }
        return s;
    }

    private static void read(Rcu rcu, RcuReference<Item> ref, Stats s, AtomicBoolean stop, long n, int spin) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try {
            for (long k = 0; k < n && !stop.get(); k++) {
                boolean bad = (k & 1) == 0 ? ref.read(it -> use(it, rnd, spin))
                        : rcu.read(() -> use(ref.get(), rnd, spin));
                if (bad) {
                    s.errors.incrementAndGet();
                }
                s.reads.incrementAndGet();
                if (n == Long.MAX_VALUE) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000); // leave the CPUs to the others
                }
            }
        } catch (Throwable e) {
            s.failures.add(e);
        }
    }

    /** Uses {@code it} for a while: true if it was reclaimed meanwhile. */
    private static boolean use(Item it, ThreadLocalRandom rnd, int spin) {
        boolean bad = it.dead;
        for (int i = rnd.nextInt(spin); i > 0; i--) { // the short-lived readers' long enough for a grace period
            Thread.onSpinWait();
        }
        return bad | it.dead;
    }
}
