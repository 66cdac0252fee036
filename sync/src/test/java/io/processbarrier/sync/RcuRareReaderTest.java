package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.processbarrier.sync.ReadMostlyLockThreads.Task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Threads that read an {@link Rcu} without a record ({@link Rcu#read(java.util.function.Supplier)} and
 * {@link RcuReference#read} on a thread that reads rarely): they register nothing, and grace periods still wait for
 * their sections (a virtual thread that parks inside and resumes on another carrier included). The control: a grace
 * period that skips the stripes returns while such a section is open ({@link #aGracePeriodWaitsForASectionWithoutARecord}
 * with {@code skipStripes}). Platform and virtual threads (JDK 21+).
 */
class RcuRareReaderTest {
    private static void assumeKind(boolean virtual) {
        if (virtual) {
            ReadMostlyLockThreads.assumeVirtualThreads();
        }
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aThreadThatReadsOnceRegistersNothing(boolean virtual) throws Exception {
        assumeKind(virtual);
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            RcuReference<String> ref = new RcuReference<>(rcu, "v", s -> { });
            for (int i = 0; i < 100; i++) {
                Task<Integer> t = Task.start(virtual, "once-" + i, () -> rcu.read(() -> ref.read(String::length)));
                assertEquals(1, t.get());
            }
            assertEquals(0, rcu.registeredReaders(), "threads that read once registered records");
            rcu.synchronize(); // and a grace period finds nobody inside
        }
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aThreadThatKeepsReadingGetsOneRecord(boolean virtual) throws Exception {
        assumeKind(virtual);
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            Task<int[]> t = Task.start(virtual, "steady", () -> {
                int[] seen = new int[2];
                for (int i = 0; i < 3 * Rcu.PROMOTE_AFTER; i++) {
                    rcu.read(() -> "x");
                    if (i == Rcu.PROMOTE_AFTER - 2) {
                        seen[0] = rcu.registeredReaders();
                    }
                }
                seen[1] = rcu.registeredReaders();
                return seen;
            });
            int[] seen = t.get();
            assertEquals(0, seen[0]);
            assertEquals(1, seen[1]);
        }
    }

    @ParameterizedTest(name = "virtual={0}, skipStripes={1}")
    @org.junit.jupiter.params.provider.CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void aGracePeriodWaitsForASectionWithoutARecord(boolean virtual, boolean skipStripes) throws Exception {
        assumeKind(virtual);
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            rcu.skipStripes = skipStripes; // the control: a grace period that forgets readers without a record
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch leave = new CountDownLatch(1);
            AtomicBoolean leaving = new AtomicBoolean();
            Task<Boolean> reader = Task.start(virtual, "rare-reader", () -> rcu.read(() -> {
                inside.countDown();
                try {
                    // parks inside: a virtual thread unmounts and may resume on another carrier
                    assertTrue(leave.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                leaving.set(true);
                return true;
            }));
            assertTrue(inside.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
            assertEquals(0, rcu.registeredReaders(), "the reader has no record");
            Task<Boolean> sync = Task.start(virtual, "synchronize", () -> {
                rcu.synchronize();
                return leaving.get();
            });
            if (skipStripes) {
                assertFalse(sync.get(), "the control's grace period ended before the section (as it must, broken)");
                leave.countDown();
                assertTrue(reader.get());
                return;
            }
            ReadMostlyLockThreads.await(() -> sync.isDone() || RcuTest.onStack(sync.thread, "awaitIndex"),
                    "synchronize() to wait for the stripes");
            assertFalse(sync.isDone(), "synchronize() returned with a section open");
            leave.countDown();
            assertTrue(reader.get());
            assertTrue(sync.get(), "the grace period ended before the section did");
        }
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void misuseInsideASectionWithoutARecord(boolean virtual) throws Exception {
        assumeKind(virtual);
        Rcu rcu = Rcu.create(ProcessBarrier.get());
        Task<Void> t = Task.start(virtual, "rare", () -> {
            rcu.read(() -> {
                assertThrows(IllegalStateException.class, rcu::synchronize, "synchronize() inside its own section");
                assertThrows(IllegalStateException.class, rcu::barrier, "barrier() inside its own section");
                assertEquals("y", rcu.read(() -> "y"), "a nested section");
                return null;
            });
            return null;
        });
        t.get();
        assertEquals(0, rcu.registeredReaders());
        rcu.close();
        Task<Void> late = Task.start(virtual, "late", () -> {
            assertThrows(IllegalStateException.class, () -> rcu.read(() -> "z"), "a section after close()");
            return null;
        });
        late.get();
    }
}
