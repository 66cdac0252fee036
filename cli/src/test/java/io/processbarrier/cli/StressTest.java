package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProviderStatus;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Stress on every available provider, bounded in time: heavy() under thread churn (threads created and destroyed
 * continuously: the signal provider must not wait for a thread that is gone, nor miss one that is new; membarrier and
 * mprotect must not care), and many concurrent heavy() callers interleaved with light() readers. Every call must
 * return and nothing may throw. A call that stalls on a thread that is gone shows as the signal provider's timeout
 * (an exception, recorded); a call stuck for good, as a thread that does not finish by its deadline. No bound here is
 * on how fast the machine schedules: the longest call is printed, not asserted below {@link #STUCK_NANOS}.
 *
 * <p>The soak lasts {@code pb.soak.seconds} per provider (default 2), and longer if need be until its
 * premises hold (threads churned, calls made meanwhile), up to {@link #PREMISE_BOUND_NANOS}; the long variant is
 * {@code mvn -pl cli -o test -Dtest=StressTest -Dpb.soak.seconds=300}.
 */
class StressTest {
    static final double SOAK_SECONDS = Double.parseDouble(System.getProperty("pb.soak.seconds", "2"));
    /** Liveness only: a heavy() of any provider takes microseconds to milliseconds; 30 s means it is stuck. */
    static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** How long a soak may run on a loaded machine before its premises (churn, calls) must have held. */
    static final long PREMISE_BOUND_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** Threads churned and heavy() calls made during one churn soak, at the least. */
    static final int MIN_CHURNED = 50;
    static final int MIN_CALLS_UNDER_CHURN = 100;

    static final int CALLERS_UNDER_CHURN = 3;
    static final int CONCURRENT_CALLERS = 16;
    static final int CALLS_EACH = 100;
    static final int READERS = 2;

    private static List<String> available() {
        return ProcessBarrier.providers().stream().filter(ProviderStatus::available).map(ProviderStatus::name).toList();
    }

    /** What the threads of one run saw. */
    private static final class Record {
        final AtomicLong calls = new AtomicLong();
        final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);
        final Map<String, Throwable> failures = new ConcurrentHashMap<>();

        void timed(ProcessBarrier b) {
            long t0 = System.nanoTime();
            b.heavy();
            maxNanos.accumulate(System.nanoTime() - t0);
            calls.incrementAndGet();
        }

        Runnable guard(String who, Runnable r) {
            return () -> {
                try {
                    r.run();
                } catch (Throwable t) {
                    failures.put(who, t);
                }
            };
        }

        void check(String what) {
            if (!failures.isEmpty()) {
                Map.Entry<String, Throwable> e = failures.entrySet().iterator().next();
                throw new AssertionError(what + ": " + failures.size() + " thread(s) failed, first " + e.getKey(),
                        e.getValue());
            }
            assertTrue(calls.get() > 0, what + ": no heavy() call completed");
            assertTrue(maxNanos.get() <= STUCK_NANOS, what + ": a heavy() call took " + maxNanos.get() / 1e6
                    + " ms (stuck: bound " + STUCK_NANOS / 1e6 + " ms)");
        }
    }

    /** Starts {@code n} daemon threads that spin on light() (and a load) until {@code stop}; returns once they run. */
    private static List<Thread> readers(ProcessBarrier b, int n, AtomicBoolean stop, Record rec)
            throws InterruptedException {
        List<Thread> l = new ArrayList<>();
        CountDownLatch running = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(rec.guard("reader-" + i, () -> {
                running.countDown();
                while (!stop.get()) {
                    b.light();
                    Thread.onSpinWait();
                }
            }), "stress-reader-" + i);
            t.setDaemon(true);
            t.start();
            l.add(t);
        }
        assertTrue(running.await(60, TimeUnit.SECONDS), "the readers did not start within 60 s");
        return l;
    }

    private static void join(Thread t) {
        try {
            t.join(TimeUnit.NANOSECONDS.toMillis(STUCK_NANOS));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        if (t.isAlive()) {
            throw new IllegalStateException(t.getName() + " did not end within " + STUCK_NANOS / 1_000_000 + " ms");
        }
    }

    private static void joinAll(List<Thread> threads, long deadlineNanos, String what) throws InterruptedException {
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
            if (t.isAlive()) {
                StringBuilder sb = new StringBuilder();
                for (StackTraceElement e : t.getStackTrace()) {
                    sb.append("\n    at ").append(e);
                }
                fail(what + ": " + t.getName() + " did not return in time (a heavy() call is stuck?)" + sb);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> heavyUnderThreadChurn() {
        return available().stream().map(name -> DynamicTest.dynamicTest(name, () -> churn(name)));
    }

    private static void churn(String name) throws Exception {
        ProcessBarrier b = ProcessBarrier.of(name);
        Record rec = new Record();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong created = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean(); // the soak is over
        List<Thread> threads = new ArrayList<>(readers(b, 1, stop, rec));
        for (int i = 0; i < CALLERS_UNDER_CHURN; i++) {
            threads.add(new Thread(rec.guard("caller-" + i, () -> {
                while (!done.get()) {
                    rec.timed(b);
                }
            }), "stress-caller-" + i));
        }
        // the churn: short-lived threads, up to 4 alive at once, started and ended continuously
        threads.add(new Thread(rec.guard("churn", () -> {
            Thread[] live = new Thread[4];
            for (int k = 0; !done.get(); k++) {
                int slot = k % live.length;
                if (live[slot] != null) {
                    join(live[slot]);
                }
                int work = k % 3;
                live[slot] = new Thread(() -> {
                    for (int j = 0; j < 100 * work; j++) {
                        b.light();
                    }
                    if (work == 2) {
                        Thread.yield();
                    }
                }, "stress-ephemeral-" + k);
                live[slot].setDaemon(true);
                live[slot].start();
                created.incrementAndGet();
            }
            for (Thread t : live) {
                if (t != null) {
                    join(t);
                }
            }
        }), "stress-churn"));
        for (Thread t : threads.subList(1, threads.size())) {
            t.setDaemon(true); // a stuck heavy() fails the test; it must not also keep the test JVM from exiting
            t.start();
        }
        long start = System.nanoTime();
        try {
            // the soak's length, and longer until the churn and the calls overlapped enough (bounded)
            while (rec.failures.isEmpty() && System.nanoTime() - start < PREMISE_BOUND_NANOS
                    && (System.nanoTime() - start < (long) (SOAK_SECONDS * 1e9) || created.get() < MIN_CHURNED
                    || rec.calls.get() < MIN_CALLS_UNDER_CHURN)) {
                Thread.sleep(10); // polling the counters
            }
            done.set(true);
            joinAll(threads.subList(1, threads.size()), System.nanoTime() + 2 * STUCK_NANOS, name + " under churn");
        } finally {
            done.set(true);
            stop.set(true);
        }
        joinAll(threads.subList(0, 1), System.nanoTime() + STUCK_NANOS, name + " reader");
        rec.check(name + " under thread churn");
        assertTrue(created.get() >= MIN_CHURNED && rec.calls.get() >= MIN_CALLS_UNDER_CHURN, name + ": only "
                + created.get() + " threads churned and " + rec.calls.get() + " heavy() calls made in "
                + PREMISE_BOUND_NANOS / 1_000_000_000 + " s");
        System.out.printf("churn %-10s %.1f s: %,d heavy() calls by %d threads, max %.2f ms, %,d threads created%n",
                name, (System.nanoTime() - start) / 1e9, rec.calls.get(), CALLERS_UNDER_CHURN, rec.maxNanos.get() / 1e6, created.get());
    }

    @TestFactory
    Stream<DynamicTest> manyConcurrentCallersWithReaders() {
        return available().stream().map(name -> DynamicTest.dynamicTest(name, () -> concurrent(name)));
    }

    private static void concurrent(String name) throws Exception {
        ProcessBarrier b = ProcessBarrier.of(name);
        Record rec = new Record();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> readers = readers(b, READERS, stop, rec);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < CONCURRENT_CALLERS; i++) {
            Thread t = new Thread(rec.guard("caller-" + i, () -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (int j = 0; j < CALLS_EACH; j++) {
                    rec.timed(b);
                    b.light();
                }
            }), "stress-concurrent-" + i);
            t.setDaemon(true);
            t.start();
            callers.add(t);
        }
        long t0 = System.nanoTime();
        go.countDown();
        try {
            joinAll(callers, t0 + PREMISE_BOUND_NANOS, name + " concurrent callers");
        } finally {
            stop.set(true);
        }
        joinAll(readers, System.nanoTime() + STUCK_NANOS, name + " readers");
        rec.check(name + " with " + CONCURRENT_CALLERS + " concurrent callers");
        assertEquals((long) CONCURRENT_CALLERS * CALLS_EACH, rec.calls.get(), name + ": every call returns once");
        System.out.printf("concurrent %-10s %,d heavy() calls by %d threads in %.2f s, max %.2f ms%n", name,
                rec.calls.get(), CONCURRENT_CALLERS, (System.nanoTime() - t0) / 1e9, rec.maxNanos.get() / 1e6);
    }
}
