package io.processbarrier.sync;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stall-warning mechanism on a clock the test controls: no sleeps, no scheduler in any assertion. */
class StallWarningsTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** A System.Logger that keeps what it is given, or throws what it is told to. */
    static final class CapturingLogger implements System.Logger {
        final List<String> messages = Collections.synchronizedList(new ArrayList<>());
        final List<Level> levels = Collections.synchronizedList(new ArrayList<>());
        volatile Supplier<? extends Throwable> fail;

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
            record(level, msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            record(level, format);
        }

        private void record(Level level, String msg) {
            Supplier<? extends Throwable> f = fail;
            if (f != null) {
                Throwable t = f.get();
                if (t instanceof Error) {
                    throw (Error) t;
                }
                throw (RuntimeException) t;
            }
            levels.add(level);
            messages.add(msg);
        }
    }

    /** A daemon thread parked in {@link #parkHere}, proven there by its state and its stack. */
    private static Thread parkedBlocker(CountDownLatch release) throws InterruptedException {
        Thread t = new Thread(() -> parkHere(release), "stall-blocker");
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(t.getState() == Thread.State.WAITING && onStack(t, "parkHere"))) {
            assertTrue(System.nanoTime() < deadline, "the blocker thread did not reach parkHere in 30 s");
            Thread.sleep(1); // polling a state, not synchronising: the assertion above waits for the proof
        }
        return t;
    }

    private static boolean onStack(Thread t, String method) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    private static void parkHere(CountDownLatch release) {
        while (true) {
            try {
                release.await();
                return;
            } catch (InterruptedException e) {
                // keep waiting: only the latch ends the blocker
            }
        }
    }

    @Test
    void warnsAtTheThresholdThenWhenTheWaitDoublesThenOnceAtCompletion() throws Exception {
        CapturingLogger log = new CapturingLogger();
        AtomicLong clock = new AtomicLong(1_000 * MS);
        StallWarnings w = new StallWarnings(() -> log, 100, clock::get);
        CountDownLatch release = new CountDownLatch(1);
        Thread blocker = parkedBlocker(release);
        try {
            StallWarnings.Blockers blockers = now -> List.of(
                    new StallWarnings.Blocker(blocker, now - 900 * MS, "a read section of grace period 7"));
            StallWarnings.Watch watch = w.begin("Rcu#1 grace period 8 (synchronize() on 'main')");
            assertEquals(100 * MS, watch.nanosToNextWarning());
            clock.addAndGet(99 * MS);
            assertFalse(watch.check(blockers), "a warning before the threshold");
            assertEquals(1 * MS, watch.nanosToNextWarning());
            clock.addAndGet(1 * MS); // waited 100 ms
            assertTrue(watch.check(blockers));
            assertEquals(1, log.messages.size());
            String m = log.messages.get(0);
            assertEquals(System.Logger.Level.WARNING, log.levels.get(0));
            assertTrue(m.contains("Rcu#1 grace period 8 (synchronize() on 'main') has waited 100 ms"), m);
            assertTrue(m.contains("'stall-blocker'"), m);
            assertTrue(m.contains("in a read section of grace period 7"), m);
            assertTrue(m.contains("inside for at least 200 ms"), m);
            assertTrue(m.contains("parkHere"), "a frame of the blocker's stack: " + m);
            assertTrue(m.contains("WAITING"), m);
            assertFalse(watch.check(blockers), "no second warning at once");
            clock.addAndGet(99 * MS); // waited 199 ms
            assertFalse(watch.check(blockers), "a warning before the wait doubled");
            clock.addAndGet(1 * MS); // 200 ms
            assertTrue(watch.check(blockers));
            clock.addAndGet(199 * MS); // 399 ms
            assertFalse(watch.check(blockers));
            clock.addAndGet(1 * MS); // 400 ms
            assertTrue(watch.check(blockers));
            assertEquals(3, log.messages.size());
            assertEquals(3, watch.warned());
            assertEquals(3, w.warnings());
            clock.addAndGet(50 * MS);
            watch.done();
            assertEquals(4, log.messages.size());
            assertEquals(System.Logger.Level.INFO, log.levels.get(3));
            assertTrue(log.messages.get(3).contains("completed after 450 ms"), log.messages.get(3));
        } finally {
            release.countDown();
        }
    }

    @Test
    void aLateCheckWarnsOnceAndSchedulesTheNextAtDoubleTheWait() {
        CapturingLogger log = new CapturingLogger();
        AtomicLong clock = new AtomicLong();
        StallWarnings w = new StallWarnings(() -> log, 100, clock::get);
        StallWarnings.Watch watch = w.begin("w");
        clock.set(350 * MS); // the waiter was descheduled past several steps: one warning, not three
        assertTrue(watch.check(now -> List.of()));
        assertFalse(watch.check(now -> List.of()));
        assertEquals(350 * MS, watch.nanosToNextWarning(), "next warning at 700 ms");
        assertTrue(log.messages.get(0).contains("no thread blocks it"), log.messages.get(0));
    }

    @Test
    void nothingIsLoggedWhenNothingStalls() {
        CapturingLogger log = new CapturingLogger();
        AtomicLong clock = new AtomicLong();
        StallWarnings w = new StallWarnings(() -> log, 100, clock::get);
        StallWarnings.Watch watch = w.begin("w");
        clock.addAndGet(99 * MS);
        assertFalse(watch.check(now -> {
            throw new AssertionError("blockers listed although no warning is due");
        }));
        watch.done();
        assertEquals(List.of(), log.messages, "no warning and no INFO for a wait under the threshold");
        assertEquals(0, w.warnings());
    }

    @Test
    void zeroTurnsWarningsOff() {
        CapturingLogger log = new CapturingLogger();
        AtomicLong clock = new AtomicLong();
        StallWarnings w = new StallWarnings(() -> log, 0, clock::get);
        assertFalse(w.enabled());
        StallWarnings.Watch watch = w.begin("w");
        assertFalse(watch.enabled());
        assertEquals(Long.MAX_VALUE, watch.nanosToNextWarning());
        clock.set(Long.MAX_VALUE / 2);
        assertFalse(watch.check(now -> List.of()));
        watch.done();
        assertEquals(List.of(), log.messages);
        assertThrows(IllegalArgumentException.class, () -> new StallWarnings(() -> log, -1, clock::get));
    }

    @Test
    void aThrowingLoggerOrBlockersNeverBreakTheWaiter() {
        CapturingLogger log = new CapturingLogger();
        AtomicLong clock = new AtomicLong();
        StallWarnings w = new StallWarnings(() -> log, 100, clock::get);
        StallWarnings.Watch watch = w.begin("w");
        log.fail = () -> new IllegalStateException("handler broken");
        clock.set(100 * MS);
        assertTrue(watch.check(now -> List.of()));
        log.fail = () -> new OutOfMemoryError("handler out of memory");
        clock.set(200 * MS);
        assertTrue(watch.check(now -> List.of()));
        log.fail = null;
        clock.set(400 * MS);
        assertTrue(watch.check(now -> {
            throw new IllegalStateException("blockers broken");
        }));
        log.fail = () -> new StackOverflowError();
        watch.done();
        assertEquals(4, w.failures(), "each lost warning counted");
        log.fail = null;
        clock.set(800 * MS);
        assertTrue(watch.check(now -> List.of()), "still warning after the failures");
        assertEquals(1, log.messages.size());
        StallWarnings broken = new StallWarnings(() -> {
            throw new IllegalStateException("no logger");
        }, 100, clock::get);
        StallWarnings.Watch x = broken.begin("x");
        clock.addAndGet(100 * MS);
        assertTrue(x.check(now -> List.of()));
        x.done();
        assertEquals(2, broken.failures());
    }

    @Test
    void theSettingDefaultsToTenSeconds() {
        if (System.getProperty(StallWarnings.SETTING) == null) {
            assertEquals(10_000, StallWarnings.configuredMillis());
        }
        assertEquals(StallWarnings.configuredMillis(), StallWarnings.system(() -> null).thresholdMillis());
    }
}
