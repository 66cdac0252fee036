package io.processbarrier.signal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.spi.Availability;
import io.processbarrier.internal.support.NativeLibrary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The barrier against real threads: concurrency, blocked signals, late acknowledgements, thread churn. */
class SignalBarrierTest {
    /** Bounds a test that must fail or finish, never hang; not a performance claim. */
    private static final Duration NO_HANG = Duration.ofMinutes(2);

    /**
     * The timeout of the barriers that must time out on a blocking thread: every other thread of the JVM must
     * acknowledge within it, also on a loaded machine, so it is far above a wake-up delay (milliseconds).
     */
    private static final long BLOCKED_TIMEOUT_MILLIS = 2000;

    /** Barrier 2 of the late-acknowledgement test: A must unblock and run two handlers within it. */
    private static final long SECOND_BARRIER_MILLIS = 5_000;

    private static int signal;

    @BeforeAll
    static void install() {
        NativeLibrary.load(RtSignal.class, "signal");
        ProcessBarrier.of("signal").heavy();
        signal = RtSignal.installedSignal();
    }

    /** A barrier of its own (same process-wide signal) with the given timeout and coalescing. */
    private static ProcessBarrier barrier(long timeoutMillis, boolean coalesce) {
        return barrier(Map.of(SignalProvider.TIMEOUT_PROPERTY, Long.toString(timeoutMillis)), coalesce);
    }

    private static ProcessBarrier barrier(Map<String, String> props, boolean coalesce) {
        SignalProvider p = new SignalProvider(SignalProviderTest.props(props));
        Availability a = p.probe();
        assertTrue(a.isAvailable(), a.toString());
        p.prepare();
        return new AsymmetricProcessBarrier(p, coalesce);
    }

    /** A thread that blocks the barrier's signal until {@link #unblock()}, then stays alive until closed. */
    static final class Blocker implements AutoCloseable {
        final Thread thread;
        volatile int tid;
        private final CountDownLatch ready = new CountDownLatch(1);
        private final CountDownLatch unblock = new CountDownLatch(1);
        private final CountDownLatch unblocked = new CountDownLatch(1);
        private final CountDownLatch exit = new CountDownLatch(1);

        Blocker(String name) throws InterruptedException {
            thread = new Thread(() -> {
                TestHooks.block(signal, true);
                tid = TestHooks.gettid();
                ready.countDown();
                await(unblock);
                TestHooks.block(signal, false); // the queued signals run their handlers on the way out of this call
                unblocked.countDown();
                await(exit);
            }, name);
            thread.setDaemon(true);
            thread.start();
            assertTrue(ready.await(30, TimeUnit.SECONDS));
        }

        void unblock() throws InterruptedException {
            unblock.countDown();
            assertTrue(unblocked.await(30, TimeUnit.SECONDS));
        }

        @Override
        public void close() throws InterruptedException {
            unblock.countDown();
            exit.countDown();
            thread.join(30_000);
        }

        private static void await(CountDownLatch l) {
            try {
                l.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void heavyFromEightThreadsAtOnceWhileOthersSpin() throws Exception {
        hammerWithSpinners(ProcessBarrier.of("signal"), 8, 200);
    }

    /** Without coalescing, eight native barriers run at once and must not steal each other's acknowledgements. */
    @Test
    void eightConcurrentBarriersWithoutCoalescing() throws Exception {
        ProcessBarrier b = barrier(SignalProvider.DEFAULT_TIMEOUT_MILLIS, false);
        assertFalse(((AsymmetricProcessBarrier) b).isCoalescing());
        hammerWithSpinners(b, 8, 100);
    }

    private static void hammerWithSpinners(ProcessBarrier b, int threads, int calls) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> spinners = new ArrayList<>();
        Failures failures = new Failures();
        CountDownLatch spinning = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) { // running threads: the handler must interrupt them, not wait for a syscall
            Thread t = failures.thread(() -> {
                spinning.countDown();
                while (!stop.get()) {
                    Thread.onSpinWait();
                }
            }, "pb-spinner-" + i);
            t.start();
            spinners.add(t);
        }
        // the barriers below must meet threads that are running, not threads that have yet to start
        assertTrue(spinning.await(30, TimeUnit.SECONDS), "the spinners did not start within 30 s");
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "pb-heavy");
            t.setDaemon(true);
            return t;
        });
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < calls; i++) {
                        b.heavy();
                    }
                    return calls;
                }));
            }
            go.countDown();
            assertTimeoutPreemptively(NO_HANG, () -> {
                for (Future<Integer> f : done) {
                    assertEquals(calls, f.get());
                }
            });
        } finally {
            pool.shutdownNow();
            stop.set(true);
            failures.join(spinners);
        }
        failures.assertNone();
    }

    /**
     * What background threads threw, reported in the test thread (JUnit never sees an assertion failing elsewhere):
     * threads made by {@link #thread} record their uncaught exceptions, and {@link #join} bounds the wait for them.
     */
    static final class Failures {
        private final java.util.Queue<String> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();

        Thread thread(Runnable body, String name) {
            Thread t = new Thread(body, name);
            t.setDaemon(true);
            t.setUncaughtExceptionHandler((th, e) -> seen.add(th.getName() + ": " + e));
            return t;
        }

        void join(List<Thread> threads) throws InterruptedException {
            for (Thread t : threads) {
                t.join(NO_HANG.toMillis());
                if (t.isAlive()) {
                    seen.add(t.getName() + ": still running " + NO_HANG + " after it was told to stop");
                }
            }
        }

        void assertNone() {
            assertTrue(seen.isEmpty(), "background threads failed: " + seen);
        }
    }

    @Test
    void aThreadThatBlocksTheSignalFailsTheBarrierNamingIt() throws Exception {
        ProcessBarrier b = barrier(BLOCKED_TIMEOUT_MILLIS, true);
        try (Blocker blocker = new Blocker("pb-blocker")) {
            ProcessBarrierException e = assertTimeoutPreemptively(NO_HANG,
                    () -> assertThrows(ProcessBarrierException.class, b::heavy));
            String m = e.getMessage();
            assertTrue(m.startsWith("heavy() timed out after " + BLOCKED_TIMEOUT_MILLIS + " ms: 1 of "), m);
            assertTrue(m.contains("did not acknowledge signal " + signal + " ("), m);
            assertTrue(m.contains("tid " + blocker.tid + " \"pb-blocker\" (blocks the signal, state "), m);
            assertTrue(m.contains("let it unblock signal " + signal), m);

            blocker.unblock();
            b.heavy(); // the late acknowledgements changed nothing, and the thread now takes part
        }
        b.heavy();
    }

    /** What user-mode emulation needs (qemu-user's own thread blocks every signal): skipping, on request only. */
    @Test
    void threadsThatBlockTheSignalAreSkippedOnlyWhenAskedTo() throws Exception {
        ProcessBarrier skipping = barrier(Map.of(SignalProvider.TIMEOUT_PROPERTY, Long.toString(BLOCKED_TIMEOUT_MILLIS),
                SignalProvider.SKIP_BLOCKING_PROPERTY, "true"), false);
        ProcessBarrier strict = barrier(Map.of(SignalProvider.TIMEOUT_PROPERTY, Long.toString(BLOCKED_TIMEOUT_MILLIS),
                SignalProvider.SKIP_BLOCKING_PROPERTY, "auto"), false);
        try (Blocker blocker = new Blocker("pb-skipped")) {
            assertTimeoutPreemptively(NO_HANG, skipping::heavy);
            ProcessBarrierException e = assertThrows(ProcessBarrierException.class, strict::heavy,
                    "not emulated here: auto must not skip");
            assertTrue(e.getMessage().contains("tid " + blocker.tid + " \"pb-skipped\" (blocks the signal"),
                    e.getMessage());
        }
    }

    /**
     * Barrier 1 times out on A and B. Barrier 2 then waits for both; A unblocks, so A runs the late handler of
     * barrier 1 and the handler of barrier 2. Barrier 2 must still wait for B and time out naming B alone: a late
     * acknowledgement is never credited to another barrier (a counter of acknowledgements would have let
     * barrier 2 finish with A's two).
     */
    @Test
    void aLateAcknowledgementDoesNotCompleteTheNextBarrier() throws Exception {
        ProcessBarrier b = barrier(BLOCKED_TIMEOUT_MILLIS, false);
        try (Blocker a = new Blocker("pb-late-a"); Blocker c = new Blocker("pb-late-b")) {
            ProcessBarrierException first = assertThrows(ProcessBarrierException.class, b::heavy);
            assertTrue(first.getMessage().contains("tid " + a.tid + " ") && first.getMessage().contains(
                    "tid " + c.tid + " "), first.getMessage());

            // long enough for A to run both handlers on a loaded machine once it unblocks; B keeps it waiting
            ProcessBarrier second = barrier(SECOND_BARRIER_MILLIS, false);
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            AtomicInteger runnerTid = new AtomicInteger();
            Thread runner = new Thread(() -> {
                runnerTid.set(TestHooks.gettid());
                try {
                    second.heavy();
                    outcome.set(new AssertionError("barrier 2 completed although pb-late-b never acknowledged"));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            }, "pb-barrier-2");
            runner.setDaemon(true);
            runner.start();
            // The premise: barrier 2 has queued its signal to A (still blocked) before A unblocks, so that A runs
            // barrier 1's late handler while barrier 2 waits. A barrier sleeps for acknowledgements only after it
            // sent to every listed thread (signal_barrier.c).
            awaitAckWait(runner, runnerTid);
            a.unblock();
            runner.join(NO_HANG.toMillis());
            Throwable t = outcome.get();
            assertTrue(t instanceof ProcessBarrierException, String.valueOf(t));
            String m = t.getMessage();
            assertTrue(m.contains("tid " + c.tid + " \"pb-late-b\" (blocks the signal"), m);
            assertFalse(m.contains("tid " + a.tid + " "), m);

            c.unblock();
            b.heavy();
            second.heavy();
        }
    }

    /**
     * Waits until {@code runner} sleeps in a barrier's wait for acknowledgements: inside the native
     * {@code RtSignal.barrier} (its stack) and, before and after that look, in the same timed
     * {@code futex(FUTEX_WAIT_PRIVATE)} (/proc/self/task/TID/syscall). Nothing else in that native method sleeps
     * that way: a JVM or C library lock waits without a timeout or with another futex operation.
     */
    private static void awaitAckWait(Thread runner, AtomicInteger tid) throws Exception {
        long deadline = System.nanoTime() + NO_HANG.toNanos();
        while (true) {
            assertTrue(runner.isAlive(), "the barrier ended before it waited for acknowledgements");
            assertTrue(System.nanoTime() < deadline, "the barrier never waited for acknowledgements: "
                    + java.util.Arrays.toString(runner.getStackTrace()));
            if (tid.get() != 0) {
                String before = ackWaitSyscall(tid.get());
                StackTraceElement[] stack = runner.getStackTrace();
                boolean inBarrier = stack.length > 0 && stack[0].isNativeMethod()
                        && stack[0].getClassName().equals(RtSignal.class.getName())
                        && stack[0].getMethodName().equals("barrier");
                if (before != null && inBarrier && before.equals(ackWaitSyscall(tid.get()))) {
                    return;
                }
            }
            Thread.sleep(1); // polling a state
        }
    }

    /** The futex address if thread {@code tid} is in a timed FUTEX_WAIT_PRIVATE now, else null. */
    private static String ackWaitSyscall(int tid) {
        String line;
        try {
            line = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task/" + tid + "/syscall"));
        } catch (java.io.IOException e) {
            return null;
        }
        String[] f = line.trim().split(" ");
        // x86_64 futex = 202, aarch64 = 98; FUTEX_WAIT | FUTEX_PRIVATE_FLAG = 0x80; the fourth argument: timeout
        boolean futex = f.length >= 5 && (f[0].equals("202") || f[0].equals("98"));
        return futex && f[2].equals("0x80") && !f[4].equals("0x0") ? f[1] : null;
    }

    /**
     * The kernel's /proc/PID/task walk stops early when a thread exits under it, silently dropping every later
     * (younger) live thread. Here threads that live a few milliseconds are created all the time, so that live
     * threads keep sitting behind dying ones in the list; every thread alive before and after a listing must be in
     * it.
     */
    @Test
    void threadListingUnderChurnNeverMissesALiveThread() throws Exception {
        // and barriers running meanwhile: their signals reach the listing thread, which cuts a getdents call short
        ProcessBarrier signaller = barrier(SignalProvider.DEFAULT_TIMEOUT_MILLIS, false);
        int slots = 64;
        java.util.concurrent.atomic.AtomicIntegerArray alive = new java.util.concurrent.atomic.AtomicIntegerArray(slots);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> spawners = new ArrayList<>();
        Failures failures = new Failures();
        for (int s = 0; s < 2; s++) {
            int base = s * slots / 2;
            Thread spawner = failures.thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    int slot = base + i % (slots / 2);
                    if (alive.get(slot) != 0) {
                        Thread.onSpinWait();
                        continue;
                    }
                    alive.set(slot, -1); // reserved until the new thread knows its tid
                    boolean longer = i % 4 == 0;
                    Thread t = new Thread(() -> {
                        alive.set(slot, TestHooks.gettid());
                        long until = System.nanoTime() + (longer ? 3_000_000 : 30_000);
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        alive.set(slot, 0);
                    }, "pb-listed");
                    t.setDaemon(true);
                    t.start();
                }
            }, "pb-spawner-" + s);
            spawner.start();
            spawners.add(spawner);
        }
        AtomicInteger signalled = new AtomicInteger();
        Thread signalling = failures.thread(() -> {
            while (!stop.get()) {
                signaller.heavy();
                signalled.incrementAndGet();
            }
        }, "pb-signaller");
        signalling.start();
        spawners.add(signalling);
        try {
            int listings = 0;
            int checked = 0;
            // at least 3 s, and until the premises hold (1000 listings, 1000 live threads checked, barriers ran
            // meanwhile), within a bound that only a broken premise reaches
            long start = System.nanoTime();
            long bound = start + NO_HANG.toNanos();
            while (System.nanoTime() < bound && (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3)
                    || listings < 1000 || checked < 1000 || signalled.get() == 0)) {
                int[] before = new int[slots];
                for (int i = 0; i < slots; i++) {
                    before[i] = alive.get(i);
                }
                int[] listed = RtSignal.listThreads(TimeUnit.SECONDS.toNanos(30));
                assertTrue(listed != null, "no trustworthy listing within 30 s");
                java.util.Set<Integer> set = new java.util.HashSet<>();
                for (int tid : listed) {
                    set.add(tid);
                }
                for (int i = 0; i < slots; i++) {
                    if (before[i] > 0 && alive.get(i) == before[i]) { // alive throughout the listing
                        checked++;
                        assertTrue(set.contains(before[i]), "listing " + listings + " misses live thread "
                                + before[i] + ": " + set);
                    }
                }
                listings++;
            }
            assertTrue(listings >= 1000 && checked >= 1000, "live threads checked: " + checked + " in " + listings
                    + " listings within " + NO_HANG);
            assertTrue(signalled.get() > 0, "no barrier completed during the listings within " + NO_HANG);
        } finally {
            stop.set(true);
            failures.join(spawners);
        }
        failures.assertNone(); // a barrier that threw in pb-signaller, or a spawner that could not start a thread
    }

    /** Hundreds of threads start and exit while barriers run: exits mid-barrier count as done, none hangs. */
    @Test
    void threadChurnDuringAHeavyLoop() throws Exception {
        ProcessBarrier b = ProcessBarrier.of("signal");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger started = new AtomicInteger();
        List<Thread> churners = new ArrayList<>();
        Failures failures = new Failures();
        for (int c = 0; c < 2; c++) {
            Thread churner = failures.thread(() -> {
                while (!stop.get()) {
                    Thread[] batch = new Thread[16];
                    for (int i = 0; i < batch.length; i++) {
                        batch[i] = failures.thread(() -> {
                            long until = System.nanoTime() + 50_000; // short lives, many exits mid-barrier
                            while (System.nanoTime() < until) {
                                Thread.onSpinWait();
                            }
                        }, "pb-churn");
                        batch[i].start();
                        started.incrementAndGet();
                    }
                    for (Thread t : batch) {
                        try {
                            t.join();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, "pb-churner-" + c);
            churner.start();
            churners.add(churner);
        }
        try {
            int before = started.get();
            // the loop runs until at least 200 barriers have met at least 500 thread starts (and as many exits):
            // what is asserted is that every heavy() returned, none threw, and none hung
            assertTimeoutPreemptively(NO_HANG, () -> {
                for (int n = 0; n < 200 || started.get() - before < 500; n++) {
                    b.heavy();
                }
            });
        } finally {
            stop.set(true);
            failures.join(churners);
        }
        failures.assertNone();
    }
}
