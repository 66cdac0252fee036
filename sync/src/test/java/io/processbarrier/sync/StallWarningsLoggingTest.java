package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.processbarrier.sync.RcuFaultTest.join;
import static io.processbarrier.sync.RcuTest.WAIT;
import static io.processbarrier.sync.RcuTest.await;
import static io.processbarrier.sync.RcuTest.awaitTrue;
import static io.processbarrier.sync.RcuTest.daemon;
import static io.processbarrier.sync.RcuTest.holdSection;
import static io.processbarrier.sync.RcuTest.onStack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 30 item 7 for {@link Rcu}: a stall warning never delays the grace period it warns about (the logger is
 * created off the waiting thread, no record is lost, no non-daemon thread), and a thread that has ended is never
 * listed as blocking.
 */
class StallWarningsLoggingTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private final List<Rcu> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() {
        toClose.forEach(Rcu::close);
    }

    /** A logger whose creation blocks until released, as a logging backend that initialises (Log4j: 300+ ms). */
    static final class SlowLogger {
        final StallWarningsTest.CapturingLogger log = new StallWarningsTest.CapturingLogger();
        final CountDownLatch creating = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicReference<Thread> createdOn = new AtomicReference<>();

        System.Logger create() {
            createdOn.set(Thread.currentThread());
            creating.countDown();
            try {
                release.await(WAIT, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return log;
        }
    }

    private Rcu stalledRcu(SlowLogger slow, boolean offWaiter, AtomicLong clock) {
        Rcu rcu = Rcu.withStallWarnings(ProcessBarrier.get(), new StallWarnings(slow::create, 100, clock::get,
                offWaiter));
        toClose.add(rcu);
        return rcu;
    }

    /**
     * The first warning's logger takes long to create; the grace period ends as soon as the reader leaves, while the
     * creation still blocks; then the warning and the INFO are logged all the same. The old code created the logger
     * on the waiting thread: {@link #controlALoggerCreatedOnTheWaiterDelaysTheGracePeriod} is that variant.
     */
    @Test
    void aSlowLoggerCreationNeverDelaysTheGracePeriod() throws Exception {
        SlowLogger slow = new SlowLogger();
        AtomicLong clock = new AtomicLong(1_000_000 * MS);
        Rcu rcu = stalledRcu(slow, true, clock);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread holder = holdSection(rcu, inside, leave, failure);
        await(inside, "entering the section");
        Thread s = daemon("stalled-synchronize", rcu::synchronize);
        awaitTrue(() -> onStack(s, "awaitReader"), "synchronize() waiting for the reader");
        clock.addAndGet(100 * MS); // the first warning is due
        await(slow.creating, "the logger's creation");
        Thread creator = slow.createdOn.get();
        assertTrue(creator != s, "the logger is created on the waiting thread");
        assertTrue(creator.isDaemon(), "a non-daemon library thread: " + creator);
        assertTrue(creator.getName().startsWith("processbarrier-"), creator.getName());
        leave.countDown();
        join(holder, "the holder");
        join(s, "synchronize() once the reader left, while the logger is still being created");
        slow.release.countDown();
        awaitTrue(() -> slow.log.messages.size() == 2, "the warning and its INFO, once the logger exists");
        assertEquals(System.Logger.Level.WARNING, slow.log.levels.get(0));
        assertTrue(slow.log.messages.get(0).contains("'section-holder'"), slow.log.messages.get(0));
        assertEquals(System.Logger.Level.INFO, slow.log.levels.get(1));
        join(creator, "the logger's creator thread (it ends)");
        assertNull(failure.get());
    }

    /** The control: with the logger created on the waiter (the old way) the grace period waits for the creation. */
    @Test
    void controlALoggerCreatedOnTheWaiterDelaysTheGracePeriod() throws Exception {
        SlowLogger slow = new SlowLogger();
        AtomicLong clock = new AtomicLong(1_000_000 * MS);
        Rcu rcu = stalledRcu(slow, false, clock);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread holder = holdSection(rcu, inside, leave, failure);
        await(inside, "entering the section");
        Thread s = daemon("stalled-synchronize", rcu::synchronize);
        awaitTrue(() -> onStack(s, "awaitReader"), "synchronize() waiting for the reader");
        clock.addAndGet(100 * MS);
        await(slow.creating, "the logger's creation");
        assertTrue(slow.createdOn.get() == s, "the premise of the control: created on the waiter");
        leave.countDown();
        join(holder, "the holder");
        assertTrue(s.isAlive() && onStack(s, "create"), "the grace period waits for the logger's creation");
        slow.release.countDown();
        join(s, "synchronize() once the logger exists");
        assertNull(failure.get());
    }

    /**
     * Old code: a reader that ended between the listing and the message was shown "(id N, TERMINATED) in a read
     * section". Rcu's watches skip ended threads; the lock's (whose dead reader does block) list them: the control.
     */
    @Test
    void aThreadThatEndedIsNeverListedAsBlockingAGracePeriod() throws Exception {
        Thread ended = new Thread(() -> { }, "ended-reader");
        ended.start();
        ended.join();
        Thread alive = Thread.currentThread();
        String m = StallWarnings.message("Rcu#1 grace period 5", 2000 * MS, List.of(
                new StallWarnings.Blocker(ended, 1500 * MS, "a read section entered during grace period 4"),
                new StallWarnings.Blocker(alive, 1500 * MS, "a read section entered during grace period 4")), true);
        assertFalse(m.contains("TERMINATED"), m);
        assertFalse(m.contains("ended-reader"), m);
        assertTrue(m.contains("for 1 thread:"), m);
        assertTrue(m.contains("'" + alive.getName() + "'"), m);
        String none = StallWarnings.message("Rcu#1 grace period 5", 2000 * MS, List.of(
                new StallWarnings.Blocker(ended, 1500 * MS, "a read section entered during grace period 4")), true);
        assertTrue(none.contains("no thread blocks it any more"), none);
        String control = StallWarnings.message("ReadMostlyLock@1: the writer 'w'", 2000 * MS, List.of(
                new StallWarnings.Blocker(ended, 1500 * MS, "died holding the read lock")));
        assertTrue(control.contains("'ended-reader'") && control.contains("TERMINATED"), control);
    }
}
