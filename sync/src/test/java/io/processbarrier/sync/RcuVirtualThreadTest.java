package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.internal.VirtualThreads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.processbarrier.sync.RcuTest.WAIT;
import static io.processbarrier.sync.RcuTest.await;
import static io.processbarrier.sync.RcuTest.assertWaitsUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Virtual-thread readers (JDK 21+; skipped on older JVMs, which have none): blocking inside, misuse, registry. */
class RcuVirtualThreadTest {
    private Rcu rcu;

    @BeforeEach
    void create() {
        assumeTrue(VirtualThreads.supported(), VirtualThreads::unsupportedReason);
        rcu = Rcu.create(ProcessBarrier.get());
    }

    @AfterEach
    void close() {
        if (rcu != null) {
            rcu.close();
        }
    }

    @Test
    void aVirtualThreadMayBlockInsideItsSectionAndDelaysSynchronizeUntilItLeaves() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Thread> carrierBefore = new AtomicReference<>();
        Thread v = VirtualThreads.start("blocking-reader", () -> {
            try (Rcu.Reader r = rcu.read()) {
                inside.countDown();
                // blocks: the virtual thread unmounts, and its carrier runs others meanwhile
                if (!leave.await(WAIT, TimeUnit.SECONDS)) {
                    failure.set(new AssertionError("never released"));
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        await(inside, "the virtual thread entering its section");
        // keep the carriers busy with other virtual readers while it is parked
        List<Thread> others = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            others.add(VirtualThreads.start("other-" + i, () -> rcu.read().close()));
        }
        for (Thread t : others) {
            t.join(TimeUnit.SECONDS.toMillis(WAIT));
        }
        assertWaitsUntil(rcu::synchronize, "awaitReader", "synchronize() with a parked virtual thread inside its section",
                leave::countDown);
        v.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertEquals(null, failure.get());
    }

    @Test
    void aVirtualThreadsReaderClosedElsewhereIsAnIllegalStateException() throws Exception {
        AtomicReference<Rcu.Reader> reader = new AtomicReference<>();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread v = VirtualThreads.start("owner", () -> {
            try {
                reader.set(rcu.read());
                entered.countDown();
                await(checked, "the check");
                reader.get().close();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        await(entered, "entering");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> reader.get().close());
        assertTrue(e.getMessage().contains("entered on"), e.getMessage());
        checked.countDown();
        v.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertEquals(null, failure.get(), "the owner closed it itself");
        rcu.synchronize();
    }

    @Test
    void aMillionShortLivedVirtualThreadsLeaveTheRegistryBoundedByTheLiveOnes() throws Exception {
        int batch = 1000;
        AtomicLong sections = new AtomicLong();
        int maxSeen = 0;
        for (int round = 0; round < 1000; round++) {
            Thread[] ts = new Thread[batch];
            for (int i = 0; i < batch; i++) {
                ts[i] = VirtualThreads.start("short-lived", () -> {
                    try (Rcu.Reader r = rcu.read()) {
                        sections.incrementAndGet();
                    }
                });
            }
            for (Thread t : ts) {
                t.join(TimeUnit.SECONDS.toMillis(WAIT));
                assertFalse(t.isAlive(), "a virtual reader did not finish within " + WAIT + " s");
            }
            maxSeen = Math.max(maxSeen, rcu.registeredReaders());
            if (round % 100 == 0) {
                rcu.synchronize(); // and grace periods keep working meanwhile
            }
        }
        assertEquals(1_000_000, sections.get());
        assertTrue(maxSeen <= 2 * (batch + 1) + ReaderRegistry.MIN_PRUNE, "a million virtual threads, at most " + batch
                + " alive at once, left up to " + maxSeen + " records");
        rcu.synchronize();
        assertTrue(rcu.registeredReaders() <= 1, "records after a scan: " + rcu.registeredReaders());
    }
}
