package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.processbarrier.sync.RcuTest.WAIT;
import static io.processbarrier.sync.RcuTest.await;
import static io.processbarrier.sync.RcuTest.awaitTrue;
import static io.processbarrier.sync.RcuTest.daemon;
import static io.processbarrier.sync.RcuTest.holdSection;
import static io.processbarrier.sync.RcuTest.onStack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault model of {@link Rcu} (issue 19 items 1-5 and 9), with the old API only, so that each test can be run
 * against the code before the fix (each failed there; see the class comments of each test).
 */
class RcuFaultTest {
    private final List<Rcu> toClose = new ArrayList<>();

    /**
     * A real barrier whose heavy() fails while {@code failing} is set, counting the failures: with a
     * ProcessBarrierException, or with an Error ({@code error}: an OutOfMemoryError, RcuRetireFaultTest).
     */
    static final class FailingBarrier implements ProcessBarrier {
        final ProcessBarrier real = ProcessBarrier.get();
        private final boolean error;
        volatile boolean failing;
        final AtomicInteger failures = new AtomicInteger();

        FailingBarrier() {
            this(false);
        }

        FailingBarrier(boolean error) {
            this.error = error;
        }

        @Override
        public void heavy() {
            if (failing) {
                failures.incrementAndGet();
                if (error) {
                    throw new OutOfMemoryError("test: heavy() ran out of memory");
                }
                throw new ProcessBarrierException("test: heavy() refused");
            }
            real.heavy();
        }

        @Override
        public void light() {
            real.light();
        }

        @Override
        public String name() {
            return (error ? "error-" : "failing-") + real.name();
        }

        @Override
        public boolean isAsymmetric() {
            return real.isAsymmetric();
        }
    }

    Rcu rcu(ProcessBarrier b) {
        Rcu r = Rcu.create(b);
        toClose.add(r);
        return r;
    }

    @AfterEach
    void closeAll() {
        toClose.forEach(Rcu::close);
    }

    static void join(Thread t, String what) throws InterruptedException {
        t.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertFalse(t.isAlive(), what + " did not finish within " + WAIT + " s");
    }

    /** Item 1. Old code: the batch was dropped, the barrier returned with the callback never run. */
    @Test
    void aFailedGracePeriodLosesNothing() throws Exception {
        FailingBarrier b = new FailingBarrier();
        Rcu rcu = rcu(b);
        AtomicInteger ran = new AtomicInteger();
        b.failing = true;
        rcu.retire("x", s -> ran.incrementAndGet());
        long cookie = rcu.startPoll();
        awaitTrue(() -> b.failures.get() >= 1, "a failing heavy()");
        assertFalse(rcu.poll(cookie), "a poll completed by a grace period that failed");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch barrierReturned = new CountDownLatch(1);
        Thread waiter = daemon("barrier-waiter", () -> {
            try {
                rcu.barrier();
                barrierReturned.countDown();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        int seen = b.failures.get();
        awaitTrue(() -> b.failures.get() > seen || !waiter.isAlive(), "a retry of the failed grace period");
        assertEquals(0, ran.get(), "a callback ran although no grace period completed");
        assertEquals(1, barrierReturned.getCount(), "barrier() returned although no grace period completed");
        b.failing = false;
        join(waiter, "barrier() once heavy() works again");
        assertNull(failure.get());
        assertEquals(1, ran.get(), "the retired object was reclaimed exactly once");
        awaitTrue(() -> rcu.poll(cookie), "the poll, once heavy() works again");
    }

    /** Item 2. Old code: the retire thread died on the handler's exception, and barrier() hung. */
    @Test
    void aThrowingLoggerNeverEndsReclamation() throws Exception {
        Logger logger = Logger.getLogger(Rcu.class.getName());
        AtomicInteger published = new AtomicInteger();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (published.incrementAndGet() % 2 == 0) {
                    throw new Error("test: a log handler that throws an Error");
                }
                throw new IllegalStateException("test: a log handler that throws");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(h);
        boolean parent = logger.getUseParentHandlers();
        logger.setUseParentHandlers(false);
        try {
            Rcu rcu = rcu(ProcessBarrier.get());
            AtomicInteger ran = new AtomicInteger();
            for (int round = 0; round < 3; round++) {
                rcu.retire("bad", s -> {
                    throw new IllegalStateException("test: a callback that throws");
                });
                rcu.retire("good", s -> ran.incrementAndGet());
                Thread w = daemon("barrier-waiter", rcu::barrier);
                join(w, "barrier() after a callback failed and its log record's handler threw");
            }
            assertEquals(3, ran.get(), "the callbacks after the failures ran");
            assertTrue(published.get() >= 3, "the handler was called: " + published.get());
        } finally {
            logger.removeHandler(h);
            logger.setUseParentHandlers(parent);
        }
    }

    /** Item 3. Old code: deadlock (the writer waited for the retire thread, which waited for the lock). */
    @Test
    void retiresUnderALockThatTheCallbacksTakeNeverDeadlock() throws Exception {
        Rcu rcu = rcu(ProcessBarrier.get());
        ReentrantLock lock = new ReentrantLock();
        AtomicInteger ran = new AtomicInteger();
        int n = 200_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = daemon("bulk-clear", () -> {
            lock.lock();
            try {
                for (int i = 0; i < n; i++) {
                    rcu.retire(i, x -> {
                        lock.lock();
                        try {
                            ran.incrementAndGet();
                        } finally {
                            lock.unlock();
                        }
                    });
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                lock.unlock();
            }
        });
        join(writer, n + " retires under a lock that every callback takes");
        assertNull(failure.get());
        Thread w = daemon("barrier-waiter", rcu::barrier);
        join(w, "barrier()");
        assertEquals(n, ran.get(), "every callback ran");
    }

    /** Item 4. Old code: the retire thread kept its creator's context class loader and inheritable thread-locals. */
    @Test
    void theRetireThreadInheritsNothing() throws Exception {
        Rcu rcu = rcu(ProcessBarrier.get());
        InheritableThreadLocal<String> itl = new InheritableThreadLocal<>();
        AtomicReference<Object> seenLocal = new AtomicReference<>("unset");
        AtomicReference<Object> seenLoader = new AtomicReference<>("unset");
        try (URLClassLoader plugin = new URLClassLoader(new URL[0], null)) {
            Thread creator = new Thread(() -> {
                itl.set("the creator's");
                rcu.retire("x", s -> {
                    seenLocal.set(itl.get());
                    seenLoader.set(Thread.currentThread().getContextClassLoader());
                });
            }, "plugin-thread");
            creator.setContextClassLoader(plugin);
            creator.setDaemon(true);
            creator.start();
            join(creator, "the first retire");
            Thread w = daemon("barrier-waiter", rcu::barrier);
            join(w, "barrier()");
            Thread t = rcu.retireThread();
            assertNotSame(plugin, seenLoader.get(), "the retire thread holds the creator's context class loader");
            assertNull(seenLoader.get(), "no context class loader at all");
            assertNull(seenLocal.get(), "an inheritable thread-local was copied into the retire thread");
            assertTrue(t.isDaemon());
            assertTrue(t.getName().startsWith("processbarrier-rcu-") && t.getName().endsWith("-retire"), t.getName());
        }
    }

    /** Item 5. Old code: about 100% of a CPU while it waited (parkNanos returns at once with the status set). */
    @Test
    void anInterruptedSynchronizeWaitsWithoutSpinningAndKeepsTheStatus() throws Exception {
        Rcu rcu = rcu(ProcessBarrier.get());
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        holdSection(rcu, inside, leave, failure);
        await(inside, "entering the section");
        AtomicReference<Boolean> statusAfter = new AtomicReference<>();
        Thread s = daemon("interrupted-synchronize", () -> {
            Thread.currentThread().interrupt();
            rcu.synchronize();
            statusAfter.set(Thread.currentThread().isInterrupted());
        });
        awaitTrue(() -> onStack(s, "awaitReader"), "synchronize() waiting for the reader"); // the premise
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getThreadCpuTime(s.getId());
        long wall0 = System.nanoTime();
        Thread.sleep(1_000); // the measurement window (not synchronisation): CPU used while it waits
        long cpu = mx.getThreadCpuTime(s.getId()) - cpu0;
        long wall = System.nanoTime() - wall0;
        assertTrue(s.isAlive() && onStack(s, "awaitReader"), "synchronize() still waits for the reader");
        leave.countDown();
        join(s, "synchronize() after the reader left");
        // the issue asks for under 25%; parked it uses well under 1%, spinning it used 30-100% here: 10% separates both
        assertTrue(cpu < wall / 10, "the waiting synchronize() used " + cpu / 1_000_000 + " ms of CPU in "
                + wall / 1_000_000 + " ms");
        assertEquals(Boolean.TRUE, statusAfter.get(), "the interrupt status was lost");
        assertNull(failure.get());
    }

    /** Item 9. Old code: the second close() returned at once, while the first still waited for reclamation. */
    @Test
    void aSecondCloseReturnsOnlyOnceTheFirstHasFinished() throws Exception {
        Rcu rcu = Rcu.create(ProcessBarrier.get());
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        rcu.retire("slow", s -> {
            inCallback.countDown();
            try {
                release.await(WAIT, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ran.incrementAndGet();
        });
        await(inCallback, "the slow callback");
        Thread first = daemon("first-close", rcu::close);
        awaitTrue(() -> first.getState() == Thread.State.TIMED_WAITING && onStack(first, "barrier"),
                "the first close() waiting in barrier()"); // timed: barrier() looks for a lost retire thread
        AtomicInteger ranWhenSecondReturned = new AtomicInteger(-1);
        Thread second = daemon("second-close", () -> {
            rcu.close();
            ranWhenSecondReturned.set(ran.get());
        });
        // the premise: the second close() either returned (the bug) or waits inside close()
        awaitTrue(() -> !second.isAlive() || (second.getState() == Thread.State.WAITING && onStack(second, "close")),
                "the second close() returning or waiting");
        assertTrue(second.isAlive(), "the second close() returned before the first had reclaimed");
        release.countDown();
        join(first, "the first close()");
        join(second, "the second close()");
        assertEquals(1, ranWhenSecondReturned.get(), "the second close() returned before reclamation was done");
    }

    /**
     * Item 9. Every cookie startPoll() hands out completes, even when it races close(). Old code: a request that
     * landed after the retire thread stopped never ran (probabilistic: the window is a few instructions).
     */
    @Test
    void aStartPollRacingCloseNeverHandsOutACookieThatNeverCompletes() throws Exception {
        for (int round = 0; round < 200; round++) {
            Rcu rcu = Rcu.create(ProcessBarrier.get());
            List<Long> cookies = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread poller = daemon("poller", () -> {
                started.countDown();
                try {
                    while (true) {
                        long c = rcu.startPoll();
                        synchronized (cookies) {
                            cookies.add(c);
                        }
                    }
                } catch (IllegalStateException closed) {
                    // the end
                }
            });
            await(started, "the poller");
            rcu.close();
            join(poller, "the poller after close()");
            synchronized (cookies) {
                for (long c : cookies) {
                    assertTrue(rcu.poll(c), "round " + round + ": cookie " + c + " handed out by a startPoll() racing"
                            + " close() is not complete after close() returned");
                }
            }
        }
    }
}
