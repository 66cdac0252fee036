package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.processbarrier.sync.RcuFaultTest.join;
import static io.processbarrier.sync.RcuTest.await;
import static io.processbarrier.sync.RcuTest.awaitTrue;
import static io.processbarrier.sync.RcuTest.daemon;
import static io.processbarrier.sync.RcuTest.holdSection;
import static io.processbarrier.sync.RcuTest.onStack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retire path's fault model, issue 30 items 1, 3, 4 and 6 and issue 27 item 3 for {@link Rcu}: nothing retired is
 * ever dropped and the retire path always recovers. Each test failed on the code before the fix (03c9fc2), as its
 * comment says.
 */
class RcuRetireFaultTest {
    private final List<Rcu> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() {
        toClose.forEach(Rcu::close);
    }

    private Rcu track(Rcu r) {
        toClose.add(r);
        return r;
    }

    /** A factory that fails while {@code failing} is set, in one of three ways; counts its calls. */
    static final class FailingFactory implements ThreadFactory {
        final String how;
        volatile boolean failing = true;
        final AtomicInteger calls = new AtomicInteger();

        FailingFactory(String how) {
            this.how = how;
        }

        @Override
        public Thread newThread(Runnable r) {
            calls.incrementAndGet();
            if (failing) {
                switch (how) {
                    case "factoryThrows":
                        throw new OutOfMemoryError("test: unable to create native thread: possibly out of memory");
                    case "factoryReturnsNull":
                        return null;
                    case "startThrows": // what Thread.start() throws when the OS has no thread left
                        return new Thread(r, "never-started") {
                            @Override
                            public synchronized void start() {
                                throw new OutOfMemoryError("test: unable to create native thread: possibly out of "
                                        + "memory or process/resource limits reached");
                            }
                        };
                    default:
                        throw new AssertionError(how);
                }
            }
            Thread t = new Thread(r, "framework-retire");
            t.setDaemon(true);
            return t;
        }
    }

    /**
     * Item 1. Old code: the retire() that hit the failure threw (its object queued all the same); the thread, stored
     * before start() threw, was never started again (NEW, not TERMINATED), and barrier() hung. The retires reclaim
     * on their own thread (review of issue 30, defect 2: before, "a" and "b" waited for some later call, the
     * assertion on {@code ran} right after them failed with 0); inside a read section they cannot: barrier() does.
     */
    @ParameterizedTest
    @ValueSource(strings = {"factoryThrows", "factoryReturnsNull", "startThrows"})
    void aRetireThreadThatCannotStartLosesNothingAndStartsLater(String how) throws Exception {
        FailingFactory f = new FailingFactory(how);
        Rcu rcu = track(Rcu.create(ProcessBarrier.get(), f));
        AtomicInteger ran = new AtomicInteger();
        rcu.retire("a", s -> ran.incrementAndGet()); // must return, reclaimed: no thread will, and no call follows
        assertTrue(f.calls.get() >= 1, "the factory was asked for a thread");
        assertEquals(1, ran.get(), "the retire that could not start a thread left its object to a later call");
        rcu.retire("b", s -> ran.incrementAndGet()); // within START_RETRY_NANOS of the failure: no new try
        assertEquals(2, ran.get(), "a retire within the retry window left its object to a later call");
        try (Rcu.Reader r = rcu.read()) {
            rcu.retire("in-a-section", s -> ran.incrementAndGet()); // queued: a grace period would wait for us
            rcu.retire("in-a-section", s -> ran.incrementAndGet());
        }
        assertEquals(2, rcu.callbacksPending());
        Thread w = daemon("barrier-without-a-retire-thread", rcu::barrier);
        join(w, "barrier() while no retire thread can be started");
        assertEquals(4, ran.get(), "barrier() returned with callbacks not run");
        assertEquals(0, rcu.callbacksPending());
        f.failing = false;
        // the next retire starts the thread (a start is retried at most every START_RETRY_NANOS: wait that out
        // without a sleep, by retrying the retire of a no-op until a thread exists)
        awaitTrue(() -> {
            rcu.retire("probe", s -> { });
            Thread t = rcu.retireThread();
            return t != null && t.getName().equals("framework-retire");
        }, "a retire thread once the factory works again");
        rcu.retire("c", s -> ran.incrementAndGet());
        awaitTrue(() -> ran.get() == 5, "the callback run by the restarted retire thread, with no barrier()");
    }

    /**
     * While no retire thread can start, a chain of callbacks each retiring the next object (a list freed link by
     * link) is reclaimed whole by the first retire, in a loop, not by one nested grace period and batch per link:
     * 20000 links would overflow the stack (seen failing before the loop: fewer than 20000 ran).
     */
    @Test
    void aChainOfRetiresFromCallbacksIsReclaimedWithoutAThreadAndWithoutNesting() throws Exception {
        Rcu rcu = track(Rcu.create(ProcessBarrier.get(), new FailingFactory("factoryThrows")));
        int links = 20_000;
        AtomicInteger ran = new AtomicInteger();
        AtomicReference<java.util.function.Consumer<Integer>> next = new AtomicReference<>();
        next.set(i -> {
            ran.incrementAndGet();
            if (i + 1 < links) {
                rcu.retire(i + 1, next.get());
            }
        });
        Thread t = daemon("chain-retirer", () -> rcu.retire(0, next.get()));
        join(t, "the retire that reclaims the chain");
        assertEquals(links, ran.get());
        assertEquals(0, rcu.callbacksPending());
    }

    /** Whether {@code t} is parked in a CountDownLatch's wait, with {@code caller} on its stack. */
    static boolean parkedInLatch(Thread t, String caller) {
        Thread.State st = t.getState();
        if (st != Thread.State.WAITING && st != Thread.State.TIMED_WAITING) {
            return false;
        }
        boolean latch = false;
        for (StackTraceElement e : t.getStackTrace()) {
            latch |= e.getClassName().equals(CountDownLatch.class.getName()) && e.getMethodName().equals("await");
        }
        return latch && onStack(t, caller);
    }

    /**
     * Review of issue 30, defect 1: no retire thread can start; a batch is taken by another thread (the retiring
     * caller itself, or a barrier() caller after a retire inside a section) whose callback blocks. A later barrier()
     * and close() must wait for that callback. Old code: neverUsed() saw an empty stack, no worker, no orphans, and
     * both returned at once ("returned while it had to wait", seen with both variants).
     */
    @ParameterizedTest
    @ValueSource(strings = {"retirer", "barrier"})
    void barrierAndCloseWaitForABatchAnotherThreadIsReclaiming(String taker) throws Exception {
        Rcu rcu = Rcu.create(ProcessBarrier.get(), new FailingFactory("factoryThrows"));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        Runnable retire = () -> rcu.retire("x", s -> {
            running.countDown();
            try {
                release.await(RcuTest.WAIT, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ran.incrementAndGet();
        });
        Thread b;
        if (taker.equals("retirer")) {
            b = daemon("retirer-reclaiming", retire); // no thread: reclaims its own retire
        } else {
            try (Rcu.Reader r = rcu.read()) {
                retire.run(); // queued: no inline reclaim inside a section
            }
            b = daemon("barrier-reclaiming", rcu::barrier); // no thread: takes the stack and runs the callback
        }
        await(running, "the callback running on " + b.getName());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread c = daemon("barrier-behind", () -> {
            try {
                rcu.barrier();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        awaitTrue(() -> !c.isAlive() || parkedInLatch(c, "barrier"), "barrier() reaching its wait");
        assertTrue(c.isAlive(), "barrier() returned while a callback retired before it was still running");
        Thread d = daemon("close-behind", () -> {
            try {
                rcu.close();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        awaitTrue(() -> !d.isAlive() || parkedInLatch(d, "close"), "close() reaching its wait");
        assertTrue(d.isAlive(), "close() returned while a callback retired before it was still running");
        assertTrue(c.isAlive(), "barrier() returned while a callback retired before it was still running");
        assertEquals(0, ran.get());
        release.countDown();
        join(b, b.getName());
        join(c, "barrier() once the callback ran");
        join(d, "close() once the callback ran");
        assertEquals(1, ran.get());
        assertEquals(0, rcu.callbacksPending());
        assertNull(failure.get());
    }

    /** A factory whose first thread never runs the retire body: it waits for {@code gate}, then ends. */
    static final class HollowFirstFactory implements ThreadFactory {
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();
        volatile Thread hollow;

        @Override
        public Thread newThread(Runnable r) {
            if (calls.incrementAndGet() == 1) {
                hollow = new Thread(() -> {
                    try {
                        gate.await(RcuTest.WAIT, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "hollow-retire");
                hollow.setDaemon(true);
                return hollow;
            }
            Thread t = new Thread(r, "framework-retire");
            t.setDaemon(true);
            return t;
        }
    }

    private static RcuRetirer retirerOf(Rcu rcu) throws ReflectiveOperationException {
        java.lang.reflect.Field f = Rcu.class.getDeclaredField("retirer");
        f.setAccessible(true);
        return (RcuRetirer) f.get(rcu);
    }

    /**
     * Review of issue 30, defect 2: a retire that saw the retire thread still running just before it died. The
     * thread's death path (died(), what run()'s finally calls) must look for work and start a successor, with no
     * later call. The "thread" here is the factory's, which never ran the body (so it stays "running" until it is
     * seen dead). Old code: died() only cleared running; the factory was never asked again and the callback never
     * ran (seen failing on {@code calls == 2}).
     */
    @Test
    void aRetireThreadThatDiesWithWorkWaitingStartsItsSuccessor() throws Exception {
        HollowFirstFactory f = new HollowFirstFactory();
        Rcu rcu = track(Rcu.create(ProcessBarrier.get(), f));
        AtomicInteger ran = new AtomicInteger();
        rcu.retire("x", s -> ran.incrementAndGet()); // starts the hollow thread: "running", it sees nothing
        assertEquals(1, f.calls.get());
        assertEquals(1, rcu.callbacksPending(), "the premise: nothing reclaimed the object");
        f.gate.countDown();
        join(f.hollow, "the hollow retire thread ending");
        retirerOf(rcu).died(f.hollow); // what its finally would call, after the retire had read running == true
        assertEquals(2, f.calls.get(), "the dying thread started no successor although work waited");
        awaitTrue(() -> ran.get() == 1, "the callback, with no later call");
    }

    /**
     * A factory's thread that ends without running the body (so without died()): a later barrier() sees it dead and
     * starts another. Old code: wake() trusted running == true forever, unparked the dead thread every 100 ms, and
     * barrier() hung (seen failing: "did not finish within 30 s").
     */
    @Test
    void barrierRecoversFromAFactoryThreadThatNeverRanTheBody() throws Exception {
        HollowFirstFactory f = new HollowFirstFactory();
        f.gate.countDown(); // the hollow thread ends at once
        Rcu rcu = track(Rcu.create(ProcessBarrier.get(), f));
        AtomicInteger ran = new AtomicInteger();
        rcu.retire("x", s -> ran.incrementAndGet());
        join(f.hollow, "the hollow retire thread ending");
        Thread w = daemon("barrier-after-a-hollow-thread", rcu::barrier);
        join(w, "barrier() after the factory's thread ended without running the body");
        assertEquals(1, ran.get());
        assertEquals(2, f.calls.get());
    }

    /**
     * An Error from heavy() (not only a ProcessBarrierException), on the retire thread and on a helper that reclaims
     * in barrier() because no retire thread can start: the batch is kept, nothing runs early, all runs once heavy()
     * works again.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anErrorFromHeavyLosesNothing(boolean noRetireThread) throws Exception {
        RcuFaultTest.FailingBarrier b = new RcuFaultTest.FailingBarrier(true);
        Rcu rcu = track(noRetireThread ? Rcu.create(b, new FailingFactory("factoryThrows")) : Rcu.create(b));
        AtomicInteger ran = new AtomicInteger();
        b.failing = true;
        rcu.retire("x", s -> ran.incrementAndGet());
        Thread w = daemon("barrier-waiter", rcu::barrier);
        awaitTrue(() -> b.failures.get() >= 2, "heavy() failing, and retried");
        assertEquals(0, ran.get(), "a callback ran although no grace period completed");
        assertTrue(w.isAlive(), "barrier() returned although no grace period completed");
        b.failing = false;
        join(w, "barrier() once heavy() works again");
        assertEquals(1, ran.get());
        assertEquals(0, rcu.callbacksPending());
    }

    /** Item 1, close(): old code: close() hung in barrier() (no thread ever ran the batch). */
    @Test
    void closeReclaimsEverythingWhenNoRetireThreadCanStart() throws Exception {
        FailingFactory f = new FailingFactory("startThrows");
        Rcu rcu = Rcu.create(ProcessBarrier.get(), f);
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 1000; i++) {
            rcu.retire(i, s -> ran.incrementAndGet());
        }
        Thread c = daemon("close-without-a-retire-thread", rcu::close);
        join(c, "close() while no retire thread can be started");
        assertEquals(1000, ran.get());
        assertEquals(0, rcu.callbacksPending());
    }

    /**
     * Item 4. Under back-pressure a retire() runs a batch's callbacks on its own thread; barrier() or close() in
     * such a callback must throw, as on the retire thread. Old code: barrier() there waited for its own batch forever.
     */
    @Test
    void barrierAndCloseInACallbackRunByAHelperThrow() throws Exception {
        Rcu rcu = track(Rcu.create(ProcessBarrier.get()));
        CountDownLatch retireThreadBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        rcu.retire("blocker", s -> {
            retireThreadBusy.countDown();
            try {
                release.await(RcuTest.WAIT, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await(retireThreadBusy, "the retire thread inside a callback");
        AtomicReference<Throwable> fromBarrier = new AtomicReference<>();
        AtomicReference<Throwable> fromClose = new AtomicReference<>();
        AtomicReference<String> ranOn = new AtomicReference<>();
        AtomicInteger ran = new AtomicInteger();
        Thread helper = daemon("helping-retirer", () -> {
            rcu.retire("first", s -> {
                ranOn.set(Thread.currentThread().getName());
                try {
                    rcu.barrier();
                } catch (Throwable t) {
                    fromBarrier.set(t);
                }
                try {
                    rcu.close();
                } catch (Throwable t) {
                    fromClose.set(t);
                }
            });
            for (int i = 0; i < Rcu.MAX_PENDING; i++) { // the last one finds more than MAX_PENDING waiting: it helps
                rcu.retire(i, x -> ran.incrementAndGet());
            }
        });
        join(helper, "the helping retire() whose batch called barrier() and close()");
        assertEquals("helping-retirer", ranOn.get(), "the premise: the callback ran on the helping caller");
        assertTrue(fromBarrier.get() instanceof IllegalStateException, String.valueOf(fromBarrier.get()));
        assertTrue(fromBarrier.get().getMessage().contains("retire callback"), fromBarrier.get().getMessage());
        assertTrue(fromClose.get() instanceof IllegalStateException, String.valueOf(fromClose.get()));
        release.countDown();
        Thread w = daemon("barrier-waiter", rcu::barrier);
        join(w, "barrier() after the helper");
        assertEquals(Rcu.MAX_PENDING, ran.get());
    }

    /** Item 4, the retire thread (as before): barrier() in a callback there throws too. */
    @Test
    void barrierInACallbackOnTheRetireThreadThrows() throws Exception {
        Rcu rcu = track(Rcu.create(ProcessBarrier.get()));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        rcu.retire("x", s -> {
            try {
                rcu.barrier();
            } catch (Throwable t) {
                thrown.set(t);
            }
            done.countDown();
        });
        await(done, "the callback");
        assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
    }

    /** A logger that calls {@code synchronize()} from its first WARNING (a stall-warning handler that does). */
    static final class SynchronizingLogger implements System.Logger {
        final AtomicReference<Rcu> rcu = new AtomicReference<>();
        final CountDownLatch entered = new CountDownLatch(1);
        final AtomicLong completedAfterInner = new AtomicLong(-1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            Rcu r = rcu.getAndSet(null);
            if (level == Level.WARNING && r != null) {
                entered.countDown();
                try {
                    r.synchronize(); // a grace period inside the grace period that warns, on the same thread
                    completedAfterInner.set(r.gracePeriodsCompleted());
                } catch (Throwable t) {
                    failure.set(t);
                }
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            log(level, bundle, format, (Throwable) null);
        }
    }

    /**
     * Item 6. Old code: the outer grace period stored its older number after the inner one had completed a later
     * one: gracePeriodsCompleted() went from n+1 back to n, and a poll that had been true turned false.
     */
    @Test
    void aGracePeriodInsideAnotherNeverMovesTheCounterBack() throws Exception {
        SynchronizingLogger log = new SynchronizingLogger();
        long ms = TimeUnit.MILLISECONDS.toNanos(1);
        AtomicLong clock = new AtomicLong(1_000_000 * ms);
        Rcu rcu = track(Rcu.withStallWarnings(ProcessBarrier.get(), new StallWarnings(() -> log, 100, clock::get)));
        log.rcu.set(rcu);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        holdSection(rcu, inside, leave, failure);
        await(inside, "entering the section");
        Thread s = daemon("outer-synchronize", rcu::synchronize);
        awaitTrue(() -> onStack(s, "awaitReader"), "the outer grace period waiting for the reader");
        clock.addAndGet(100 * ms); // the warning is due: its handler runs the inner grace period
        await(log.entered, "the handler");
        // the premise: the inner grace period waits for the same reader, inside the handler, inside the outer one
        awaitTrue(() -> onStack(s, "log") && onStack(s, "awaitReader"), "the inner grace period waiting");
        leave.countDown();
        join(s, "both grace periods");
        assertNull(log.failure.get());
        assertTrue(log.completedAfterInner.get() > 0, "the inner grace period completed");
        assertTrue(rcu.gracePeriodsCompleted() >= log.completedAfterInner.get(), "gracePeriodsCompleted() went back "
                + "from " + log.completedAfterInner.get() + " to " + rcu.gracePeriodsCompleted());
        long cookie = rcu.startPoll();
        rcu.synchronize();
        assertTrue(rcu.poll(cookie));
        assertNull(failure.get());
    }

    /**
     * Issue 27 item 3. The retire thread ends once idle and a new one starts on demand. Old code: it lived until
     * close(), forever for shared().
     */
    @Test
    void theRetireThreadEndsWhenIdleAndStartsAgainOnDemand() throws Exception {
        Rcu rcu = track(Rcu.create(ProcessBarrier.get()));
        AtomicInteger ran = new AtomicInteger();
        rcu.retire("a", s -> ran.incrementAndGet());
        Thread first = rcu.retireThread();
        assertNotNull(first, "the premise: a retire started a thread");
        awaitTrue(() -> ran.get() == 1, "the first callback");
        awaitTrue(() -> !first.isAlive(), "the idle retire thread ending (after "
                + TimeUnit.NANOSECONDS.toMillis(RcuRetirer.IDLE_NANOS) + " ms idle)");
        rcu.retire("b", s -> ran.incrementAndGet());
        awaitTrue(() -> ran.get() == 2, "the callback of a retire after the thread ended, with no barrier()");
        assertNotSame(first, rcu.retireThread(), "a new thread");
        long cookie = rcu.startPoll(); // a poll alone also starts it again
        awaitTrue(() -> rcu.poll(cookie), "a poll after the thread ended");
    }

    /**
     * Item 3, in a child JVM with a full heap (-XX:-UseTLAB, so that no thread has a private buffer left): three
     * callbacks that throw OutOfMemoryError and one that does not, in one batch. Old code: the log message of the
     * first failure could not be built, the error left the callback loop and the retire thread, the batch was
     * dropped (0 or 1 of 4 ran) and callbacksPending() stayed above 0.
     */
    @Test
    void callbacksThatRunOutOfMemoryOnAFullHeapDropNothing() throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of("-Xmx32m",
                "-XX:+UseSerialGC", "-XX:-UseTLAB", "-Dprocessbarrier.sync.stallWarningMillis=0"),
                ChildProcess.classPath(), FullHeapCallbacks.class), Duration.ofSeconds(120),
                ChildProcess.Stderr.SEPARATE);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("3", r.value("sawFull"), "the premise: the heap was full when each callback ran\n" + r);
        assertEquals("3", r.value("attempted"), r.toString());
        assertEquals("1", r.value("ran"), r.toString());
        assertEquals("0", r.value("pending"), r.toString());
        assertEquals("null", r.value("died"), "no thread may die of it\n" + r);
    }

    /**
     * A heap full of retired objects, which only their callbacks can free, while a hog takes every byte that comes
     * free (an application under memory pressure): the retire thread takes them with no heap and frees them. Old code
     * allocated the batch when it took the stack, and every grace period's registry snapshot allocated a copy: when
     * the hog won the few bytes a collection freed, the grace period failed at every retry and the callbacks waited
     * for memory only they could give back. Controls seen failing (freed=0 after 30 s): without the spare batch, 1 of
     * 3 children; with it but with the snapshot's copy, 1 of 30 (-Xlog:exceptions: ReaderRegistry.live, 34 retries).
     */
    @Test
    void aHeapFullOfRetiredObjectsIsFreedByTheirCallbacks() throws Exception {
        assertAFullHeapOfRetiredIsFreed();
    }

    /**
     * The same full heap, with a reader inside when the retire thread is let go, and stall warnings on (the default):
     * the grace period parks waiting for it, which makes the wait's stall watch and checks it at each park. Old code
     * built the watch's message there, unguarded: on the full heap the grace period failed, and the retire thread
     * backed off and tried again (up to 1 s apart), for as long as readers kept it waiting (the control, the old
     * backOff: gpFailures 1-2 in 4 of 4 children). Now the wait goes on unwatched until there is room for the watch.
     */
    @Test
    void aGracePeriodWaitsForAReaderOnAFullHeap() throws Exception {
        assertAFullHeapOfRetiredIsFreed("reader");
    }

    /** Runs {@link FullHeapOfRetired} (stall warnings on, the default): every callback ran, no grace period failed. */
    private static void assertAFullHeapOfRetiredIsFreed(String... args) throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of("-Xmx32m",
                "-XX:+UseSerialGC", "-XX:-UseTLAB"), ChildProcess.classPath(), FullHeapOfRetired.class, args),
                Duration.ofSeconds(120), ChildProcess.Stderr.SEPARATE);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("full"), "the premise: the retired arrays filled the heap\n" + r);
        assertEquals("0", r.value("gpFailures"), "no grace period failed for want of heap\n" + r);
        assertEquals(r.value("retired"), r.value("freed"), "every callback ran on the full heap\n" + r);
        assertEquals("0", r.value("pending"), r.toString());
        assertEquals("null", r.value("died"), "no thread may die of it\n" + r);
    }
}
