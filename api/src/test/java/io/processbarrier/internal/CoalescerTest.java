package io.processbarrier.internal;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.spi.Availability;
import io.processbarrier.spi.ProcessBarrierProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The coalescing properties of {@link AsymmetricProcessBarrier#heavy()}, with a fake provider whose barrier() records when
 * it started and ended on one global logical clock (an AtomicLong ticked at every event, so its order is the real
 * order): each heavy() must return only after a barrier() that began after the call; many concurrent callers must
 * need far fewer barrier() calls than heavy() calls; failures must reach every caller that depended on them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CoalescerTest {

    /** One barrier() call: [start, end] on the clock, and whether it threw. */
    record Span(long start, long end, boolean failed) {
    }

    /** One heavy() call: [entry, exit] on the clock, and what it threw (null if it returned). */
    record Call(long entry, long exit, Throwable thrown) {
    }

    /** A provider whose system barrier is scripted, with the api's wrapper around it, built on first use. */
    static class Fake implements ProcessBarrierProvider {
        volatile boolean coalesce = true;
        volatile int spins = Coalescer.SPINS;
        private AsymmetricProcessBarrier wrapper;

        synchronized AsymmetricProcessBarrier wrapper() {
            if (wrapper == null) {
                wrapper = new AsymmetricProcessBarrier(this, coalesce, spins);
            }
            return wrapper;
        }

        void heavy() {
            wrapper().heavy();
        }

        long barriersExecuted() {
            return wrapper().barriersExecuted();
        }

        boolean isCoalescing() {
            return wrapper().isCoalescing();
        }

        @Override
        public int priority() {
            return 1;
        }

        @Override
        public Availability probe() {
            return Availability.available("scripted");
        }

        final AtomicLong clock = new AtomicLong();
        final List<Span> spans = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger maxInside = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();
        volatile long workNanos;
        volatile LongPredicate failWhen = n -> false; // by barrier() call number, from 1
        volatile CountDownLatch gate;                // if set, barrier() number 1 waits on it
        volatile boolean mixedWork;                  // barriers of random length, 0-20 µs
        final CountDownLatch firstEntered = new CountDownLatch(1);
        volatile boolean forms;                      // formsBatches(): hold barriers open for callers to join

        @Override
        public boolean formsBatches() {
            return forms;
        }

        @Override
        public void barrier() {
            int n = calls.incrementAndGet();
            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            long start = clock.incrementAndGet();
            boolean failed = failWhen.test(n);
            try {
                if (n == 1) {
                    firstEntered.countDown();
                    CountDownLatch g = gate;
                    if (g != null) {
                        g.await();
                    }
                }
                if (workNanos > 0) {
                    LockSupport.parkNanos(workNanos);
                } else if (mixedWork) { // busy for 0-20 µs, like a system barrier with IPIs
                    long until = System.nanoTime() + ThreadLocalRandom.current().nextInt(20_000);
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                inside.decrementAndGet();
                spans.add(new Span(start, clock.incrementAndGet(), failed));
            }
            if (failed) {
                throw new ErrnoException("fake(" + n + ")", ErrnoException.EPERM);
            }
        }

        @Override
        public String name() {
            return "fake";
        }

        Call timedHeavy() {
            long entry = clock.incrementAndGet();
            Throwable thrown = null;
            try {
                heavy();
            } catch (Throwable t) {
                thrown = t;
            }
            return new Call(entry, clock.incrementAndGet(), thrown);
        }
    }

    static Fake fake(boolean coalesce) {
        Fake f = new Fake();
        f.coalesce = coalesce; // through the constructor of the wrapper: no global property
        return f;
    }

    /** {@code threads} threads, each making {@code perThread} heavy() calls; returns every call. */
    static List<Call> hammer(Fake b, int threads, int perThread) throws InterruptedException {
        List<Call> calls = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = daemon(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                for (int k = 0; k < perThread; k++) {
                    calls.add(b.timedHeavy());
                }
            }, "heavy-" + i);
            ts.add(t);
        }
        go.countDown();
        joinAll(ts);
        assertEquals(threads * perThread, calls.size());
        return new ArrayList<>(calls);
    }

    /** The first barrier that started after {@code entry} (barriers never overlap: checked by the callers). */
    static Span firstStartedAfter(List<Span> sortedByStart, long entry) {
        for (Span s : sortedByStart) {
            if (s.start() > entry) {
                return s;
            }
        }
        return null;
    }

    static List<Span> sorted(Fake b) {
        List<Span> s = new ArrayList<>(b.spans);
        s.sort(Comparator.comparingLong(Span::start));
        return s;
    }

    @ParameterizedTest(name = "formsBatches={0}")
    @ValueSource(booleans = {false, true})
    void manyConcurrentCallersShareBarriersAndEachIsServedByOneThatStartedAfterIt(boolean forms) throws Exception {
        Fake b = fake(true);
        b.forms = forms;
        assertTrue(b.isCoalescing());
        try {
            runManyCallers(b);
        } finally {
            if (!forms) {
                assertEquals(0, coalescer(b).formed(), "a provider that does not form batches never holds one open");
            }
        }
    }

    private static void runManyCallers(Fake b) throws Exception {
        // a long barrier, so that even on a loaded machine the other callers arrive while it runs
        b.workNanos = TimeUnit.MILLISECONDS.toNanos(2);
        List<Call> calls = hammer(b, 8, 40);

        assertEquals(1, b.maxInside.get(), "barrier() never runs twice at once while coalescing");
        assertEquals(b.calls.get(), b.barriersExecuted());
        // While barrier k runs, the callers waiting for it arrived during k - 1, the others arrive now and wait for
        // k + 1: in a closed loop two cohorts alternate, about 2 barriers per 8 calls at best.
        assertTrue(b.barriersExecuted() * 2 < calls.size(), "8 callers need far fewer barriers than calls: "
                + b.barriersExecuted() + " barriers for " + calls.size() + " calls");
        assertEachServedByABarrierThatStartedAfterIt(calls, sorted(b));
    }

    static void assertEachServedByABarrierThatStartedAfterIt(List<Call> calls, List<Span> spans) {
        for (Call c : calls) {
            assertNull(c.thrown());
            Span s = firstStartedAfter(spans, c.entry());
            assertNotNull(s, "no barrier started after the call at " + c.entry());
            assertTrue(s.end() < c.exit(), "heavy() [" + c.entry() + ", " + c.exit() + "] returned before the first"
                    + " barrier that started after it ended: " + s);
        }
    }

    @Test
    void aBarrierInFlightAtArrivalNeverServesTheCallerAndTheNextOneServesEveryoneWhoWaited() throws Exception {
        Fake b = fake(true);
        b.gate = new CountDownLatch(1);
        AtomicReference<Call> first = new AtomicReference<>();
        Thread a = daemon(() -> first.set(b.timedHeavy()), "leader");
        assertTrue(b.firstEntered.await(LONG_DELAY_SECONDS, TimeUnit.SECONDS));
        // barrier 1 is in flight: these three arrive now and must not be served by it
        List<Call> late = Collections.synchronizedList(new ArrayList<>());
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiters.add(daemon(() -> late.add(b.timedHeavy()), "late-" + i));
        }
        awaitParked(b, waiters);
        assertEquals(0, late.size(), "nobody returns while the only barrier started before them is in flight");
        b.gate.countDown();
        joinAll(List.of(a));
        joinAll(waiters);
        assertEquals(2, b.calls.get(), "one barrier for the first caller, one shared by the three that waited");
        assertEquals(2, b.barriersExecuted());
        List<Span> spans = sorted(b);
        assertTrue(spans.get(0).end() < first.get().exit());
        for (Call c : late) {
            assertNull(c.thrown());
            assertTrue(spans.get(0).start() < c.entry(), "arrived while barrier 1 was in flight");
            assertTrue(spans.get(1).start() > c.entry() && spans.get(1).end() < c.exit(),
                    "served by barrier 2, which started after the call: " + c + " " + spans);
        }
    }

    @Test
    void aFormingLeaderServesTheCallersThatArriveWhileItHoldsTheBarrierOpen() throws Exception {
        Fake b = fake(true);
        b.forms = true;
        b.workNanos = TimeUnit.MILLISECONDS.toNanos(1); // a dear barrier: the hold lasts up to its cost (100 us cap)
        // first a shared barrier, so that the next leader expects company: one caller in flight, three waiting
        b.gate = new CountDownLatch(1);
        Thread a = daemon(b::timedHeavy, "leader");
        assertTrue(b.firstEntered.await(LONG_DELAY_SECONDS, TimeUnit.SECONDS));
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ts.add(daemon(b::timedHeavy, "waiter-" + i));
        }
        awaitParked(b, ts);
        b.gate.countDown();
        joinAll(List.of(a));
        joinAll(ts);
        assertEquals(2, b.barriersExecuted(), "barrier 2 served the three waiters");
        // now four callers arrive one after another, each while the previous one holds the barrier open
        List<Call> calls = hammer(b, 4, 25);
        assertEachServedByABarrierThatStartedAfterIt(calls, sorted(b));
        assertEquals(1, b.maxInside.get(), "barrier() never runs twice at once");
        assertTrue(coalescer(b).formed() > 0, "some barriers were held open for callers to join");
        assertTrue(b.barriersExecuted() - 2 < calls.size(), "shared: " + (b.barriersExecuted() - 2)
                + " barriers for " + calls.size() + " calls");
    }

    @Test
    void aFailedBarrierReachesEveryCallerThatDependedOnIt() throws Exception {
        Fake b = fake(true);
        b.gate = new CountDownLatch(1);
        b.failWhen = n -> n == 2;
        AtomicReference<Call> first = new AtomicReference<>();
        Thread a = daemon(() -> first.set(b.timedHeavy()), "leader");
        assertTrue(b.firstEntered.await(LONG_DELAY_SECONDS, TimeUnit.SECONDS));
        List<Call> late = Collections.synchronizedList(new ArrayList<>());
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiters.add(daemon(() -> late.add(b.timedHeavy()), "late-" + i));
        }
        awaitParked(b, waiters);
        b.gate.countDown();
        joinAll(List.of(a));
        joinAll(waiters);
        assertNull(first.get().thrown(), "barrier 1 succeeded");
        assertEquals(2, b.calls.get());
        Throwable original = null;
        int copies = 0;
        for (Call c : late) {
            ErrnoException e = assertInstanceOf(ErrnoException.class, c.thrown(), "every caller served by the failed"
                    + " barrier hears of it, with its type and errno");
            assertEquals(ErrnoException.EPERM, e.errno());
            assertEquals("fake(2)", e.call());
            if (e.getCause() == null) {
                assertNull(original, "only the leader gets the original");
                original = e;
            } else {
                copies++;
            }
        }
        assertNotNull(original);
        assertEquals(3, copies);
        for (Call c : late) {
            if (c.thrown() != original) {
                assertSame(original, c.thrown().getCause());
            }
        }
        // the failure is not sticky: the next call runs a new barrier and succeeds
        assertNull(b.timedHeavy().thrown());
        assertEquals(3, b.barriersExecuted());
    }

    @ParameterizedTest(name = "formsBatches={0}")
    @ValueSource(booleans = {false, true})
    void withRandomFailuresNoCallerIsToldItWasServedByAFailedBarrier(boolean forms) throws Exception {
        Fake b = fake(true);
        b.forms = forms;
        b.workNanos = TimeUnit.MICROSECONDS.toNanos(50);
        b.failWhen = n -> ThreadLocalRandom.current().nextInt(3) == 0;
        List<Call> calls = hammer(b, 8, 150);
        List<Span> spans = sorted(b);
        int failed = 0;
        for (Call c : calls) {
            boolean served = false;
            boolean hitFailure = false;
            for (Span s : spans) {
                if (s.start() > c.entry() && s.end() < c.exit()) {
                    served |= !s.failed();
                    hitFailure |= s.failed();
                }
            }
            if (c.thrown() == null) {
                assertTrue(served, "returned normally without a successful barrier inside its call: " + c);
            } else {
                failed++;
                assertInstanceOf(ErrnoException.class, c.thrown());
                assertTrue(hitFailure, "threw without a failed barrier inside its call: " + c);
            }
        }
        assertTrue(failed > 0, "some calls failed");
        assertTrue(failed < calls.size(), "some calls succeeded");
    }

    @Test
    void aLoneCallerRunsOneBarrierPerCall() {
        Fake b = fake(true);
        for (int i = 0; i < 1000; i++) {
            Call c = b.timedHeavy();
            assertNull(c.thrown());
            assertEquals(i + 1, b.barriersExecuted());
        }
        assertEquals(1000, b.calls.get());
    }

    @Test
    void theLeaderGetsTheOriginalFailureAndTheNextCallRetries() {
        Fake b = fake(true);
        b.failWhen = n -> n == 1;
        Throwable t = b.timedHeavy().thrown();
        assertInstanceOf(ErrnoException.class, t);
        assertNull(t.getCause());
        assertNull(b.timedHeavy().thrown());
    }

    @Test
    void otherFailuresReachWaitersAsProcessBarrierExceptions() throws Exception {
        Fake b = new Fake() {
            @Override
            public void barrier() {
                int n = calls.incrementAndGet();
                if (n == 1) {
                    firstEntered.countDown();
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    return;
                }
                throw new IllegalStateException("signal timeout");
            }
        };
        b.gate = new CountDownLatch(1);
        Thread a = daemon(b::timedHeavy, "leader");
        assertTrue(b.firstEntered.await(LONG_DELAY_SECONDS, TimeUnit.SECONDS));
        List<Call> late = Collections.synchronizedList(new ArrayList<>());
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiters.add(daemon(() -> late.add(b.timedHeavy()), "late-" + i));
        }
        awaitParked(b, waiters);
        b.gate.countDown();
        joinAll(List.of(a));
        joinAll(waiters);
        int originals = 0;
        for (Call c : late) {
            if (c.thrown() instanceof IllegalStateException) {
                originals++;
            } else {
                ProcessBarrierException e = assertInstanceOf(ProcessBarrierException.class, c.thrown());
                assertInstanceOf(IllegalStateException.class, e.getCause());
                assertTrue(e.getMessage().contains("signal timeout"), e.getMessage());
            }
        }
        assertEquals(1, originals, "the leader rethrows the original");
    }

    @Test
    void aWaiterKeepsItsInterruptStatusAndIsStillServed() throws Exception {
        Fake b = fake(true);
        b.gate = new CountDownLatch(1);
        Thread a = daemon(b::timedHeavy, "leader");
        assertTrue(b.firstEntered.await(LONG_DELAY_SECONDS, TimeUnit.SECONDS));
        AtomicReference<Call> call = new AtomicReference<>();
        AtomicReference<Boolean> interrupted = new AtomicReference<>();
        Thread w = daemon(() -> {
            call.set(b.timedHeavy());
            interrupted.set(Thread.currentThread().isInterrupted());
        }, "interrupted-waiter");
        awaitParked(b, List.of(w));
        w.interrupt();
        // The waiter saw the interrupt once its status is clear again (it clears it to park again, and restores it
        // on return) and it is parked in the coalescer once more: only then does "still waiting" mean something.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LONG_DELAY_SECONDS);
        while (w.isInterrupted() && w.isAlive()) {
            assertTrue(System.nanoTime() < deadline, "the waiter never took the interrupt: " + w.getState());
            Thread.sleep(1); // polling a state, not waiting for something to happen by itself
        }
        awaitParked(b, List.of(w));
        assertNull(call.get(), "the interrupt does not let it return early");
        assertEquals(1, b.calls.get(), "the interrupt does not let it lead");
        b.gate.countDown();
        joinAll(List.of(a, w));
        assertNull(call.get().thrown());
        assertTrue(interrupted.get());
        assertEquals(2, b.barriersExecuted());
    }

    @Test
    void withCoalescingOffEveryCallRunsItsOwnBarrier() throws Exception {
        Fake b = fake(false);
        assertFalse(b.isCoalescing());
        b.workNanos = TimeUnit.MICROSECONDS.toNanos(100);
        List<Call> calls = hammer(b, 4, 100);
        assertEquals(calls.size(), b.calls.get());
        assertEquals(-1, b.barriersExecuted(), "not counted when off");
    }

    @Test
    void noCallerIsLeftParkedWhenBarriersAreShortAndFrequent() throws Exception {
        // An empty barrier makes completions (and thus races between a completing leader, a new leader and
        // callers going to sleep) as frequent as possible; a lost wake-up leaves a caller parked for ever.
        Fake b = fake(true);
        b.mixedWork = true;
        parkAtOnce(b);
        int threads = 8;
        AtomicLong[] progress = new AtomicLong[threads];
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            AtomicLong p = progress[i] = new AtomicLong();
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    b.heavy();
                    p.incrementAndGet();
                }
            }, "short-" + i);
            t.setDaemon(true);
            t.start();
            ts.add(t);
        }
        // at least 3 s of races, and until every thread has made many calls (a thread with no progress when the
        // bound passes is one that was left parked)
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3)
                || java.util.Arrays.stream(progress).anyMatch(p -> p.get() < 1000))) {
            Thread.sleep(10); // polling the counters
        }
        stop.set(true);
        for (Thread t : ts) {
            t.join(TimeUnit.SECONDS.toMillis(LONG_DELAY_SECONDS));
            assertFalse(t.isAlive(), t.getName() + " is stuck in heavy(): " + java.util.Arrays.toString(t.getStackTrace()));
        }
        for (int i = 0; i < threads; i++) {
            assertTrue(progress[i].get() >= 1000, "thread " + i + " made " + progress[i].get() + " calls in 60 s");
        }
    }

    /**
     * An Error while the leader records the outcome (OutOfMemoryError after barrier() returned) must still publish
     * the completion: the leader and the callers it served throw, and every later heavy() returns, none hangs.
     * Without the finally in Coalescer.lead, seq stays RUNNING and the second wave parks forever.
     */
    @Test
    void anErrorWhileRecordingTheOutcomeStillPublishesTheCompletion() throws Exception {
        Fake b = new Fake();
        b.gate = new CountDownLatch(1);
        AtomicInteger failures = new AtomicInteger(1);
        coalescer(b).afterBarrierForTests(() -> {
            if (failures.getAndDecrement() > 0) {
                throw new OutOfMemoryError("simulated: recording the outcome");
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "heavy-pool");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<Call> leader = pool.submit(b::timedHeavy);
            assertTrue(b.firstEntered.await(LONG_DELAY_SECONDS, TimeUnit.SECONDS));
            List<Future<Call>> served = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                served.add(pool.submit(b::timedHeavy));
            }
            b.gate.countDown();
            Call first = leader.get(LONG_DELAY_SECONDS, TimeUnit.SECONDS);
            assertInstanceOf(OutOfMemoryError.class, first.thrown(), "the leader rethrows what failed");
            for (Future<Call> f : served) {
                Throwable t = f.get(LONG_DELAY_SECONDS, TimeUnit.SECONDS).thrown();
                // served by the failed barrier (no outcome recorded: they throw) or by a later one (they return)
                if (t != null) {
                    assertInstanceOf(IllegalStateException.class, t);
                    assertTrue(t.getMessage().contains("completed with no outcome recorded"), t.getMessage());
                }
            }
            List<Future<Call>> later = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                later.add(pool.submit(b::timedHeavy));
            }
            for (Future<Call> f : later) {
                assertNull(f.get(LONG_DELAY_SECONDS, TimeUnit.SECONDS).thrown(), "a barrier after the failure works again");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Gives {@code b} a coalescer whose waiters park at once, without spinning or yielding first. */
    static Coalescer coalescer(Fake b) {
        return b.wrapper().coalescer();
    }

    /** Makes {@code b}'s waiters park at once, without spinning or yielding first. Before its first use. */
    static void parkAtOnce(Fake b) {
        b.spins = 0;
    }

    /** Bounds every wait for something that must happen (JSR-166's LONG_DELAY_MS); never a performance claim. */
    static final long LONG_DELAY_SECONDS = 60;

    /** A started daemon thread. */
    static Thread daemon(Runnable body, String name) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Joins every thread, failing (with its stack) for one that is still alive after {@link #LONG_DELAY_SECONDS}. */
    static void joinAll(List<Thread> threads) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LONG_DELAY_SECONDS);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                fail(t.getName() + " did not finish within " + LONG_DELAY_SECONDS + " s: "
                        + java.util.Arrays.toString(t.getStackTrace()));
            }
        }
    }

    /**
     * Waits until every thread is parked in {@code b}'s coalescer (inside heavy(), behind the barrier in flight):
     * state WAITING and the coalescer as the blocker of its park, so a thread waiting anywhere else does not count.
     */
    static void awaitParked(Fake b, List<Thread> threads) throws InterruptedException {
        Coalescer c = coalescer(b);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LONG_DELAY_SECONDS);
        for (Thread t : threads) {
            while (t.getState() != Thread.State.WAITING || LockSupport.getBlocker(t) != c) {
                if (System.nanoTime() > deadline || !t.isAlive()) {
                    fail(t.getName() + " did not park in the coalescer: " + t.getState() + " "
                            + java.util.Arrays.toString(t.getStackTrace()));
                }
                Thread.sleep(1); // polling a state
            }
        }
    }
}
