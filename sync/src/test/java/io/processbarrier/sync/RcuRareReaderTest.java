package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

import static io.processbarrier.sync.ReadMostlyLockThreads.Task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Threads that read an {@link Rcu} without a record ({@link Rcu#read(java.util.function.Supplier)} and
 * {@link RcuReference#read} on a thread that reads rarely): they register nothing, and grace periods still wait for
 * their sections (a virtual thread that parks inside and resumes on another carrier included). The control: a grace
 * period that skips the stripes returns while such a section is open
 * ({@link #aGracePeriodWaitsForASectionWithoutARecord} with {@code skipStripes}). Platform and virtual threads (JDK
 * 21+).
 *
 * <p>Such a virtual thread keeps its state in its stripe's owner slot ({@link StripeOwners}), or in a
 * {@code ThreadLocal} when the slot is taken (a platform thread always there): a first section allocates nothing, and a
 * section that spilled is counted and waited for like any other, nested sections included. The controls: the allocation
 * a spilled section makes is seen by the same measure, and a grace period that skips the stripes returns while a
 * spilled section is open.
 */
class RcuRareReaderTest {
    /** Stripes as the constructs have them (the default count): the stripe a thread's sections count on. */
    static final ReaderStripes STRIPES = new ReaderStripes(1);
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
            gracePeriodWaitsFor(rcu, virtual, skipStripes, reader, leave, leaving);
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

    /**
     * The bytes a new virtual thread (one that {@code fits} accepts) allocates for {@code first}, its first section:
     * the JVM's count of bytes allocated by all threads around it ({@code getTotalThreadAllocatedBytes}, JDK 21+: the
     * per-thread count is -1 for a virtual thread), less what a read of that count allocates. Other threads of the
     * test are parked meanwhile; the callers take the least of several runs.
     */
    static long firstSectionBytes(java.util.function.Predicate<Thread> fits, Runnable first) throws Exception {
        ReadMostlyLockThreads.assumeVirtualThreads();
        com.sun.management.ThreadMXBean mx = AllocatedBytes.counter();
        java.lang.invoke.MethodHandle total = java.lang.invoke.MethodHandles.publicLookup().findVirtual(
                com.sun.management.ThreadMXBean.class, "getTotalThreadAllocatedBytes",
                java.lang.invoke.MethodType.methodType(long.class)).bindTo(mx);
        return Task.startOn(true, "first-section", fits, () -> {
            try {
                long b0 = (long) total.invokeExact();
                long b1 = (long) total.invokeExact();
                first.run();
                long b2 = (long) total.invokeExact();
                return (b2 - b1) - (b1 - b0);
            } catch (Throwable e) {
                throw new AssertionError(e);
            }
        }).get();
    }

    /**
     * The least of ten {@link #firstSectionBytes} (a stray allocation of the JVM's is not the section's), after three
     * runs that link every call site (linking allocates, once per site).
     */
    static long leastFirstSectionBytes(java.util.function.Predicate<Thread> fits, Runnable first) throws Exception {
        for (int i = 0; i < 3; i++) {
            firstSectionBytes(fits, first);
        }
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            least = Math.min(least, firstSectionBytes(fits, first));
        }
        return least;
    }

    @Test
    void aVirtualThreadsFirstSectionAllocatesNothingUnlessItsSlotIsTaken() throws Exception {
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            RcuReference<String> ref = new RcuReference<>(rcu, "v", s -> { });
            Supplier<String> section = () -> "x"; // made once: a capturing lambda per call would be the test's own
            Function<String, Integer> length = String::length;
            Runnable first = () -> {
                rcu.read(section);
                ref.read(length);
            };
            long free = leastFirstSectionBytes(t -> true, first);
            assertTrue(free <= 0, "a first section on a free slot allocated " + free + " bytes");

            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch leave = new CountDownLatch(1);
            Task<String> holder = Task.start(true, "slot-holder", () -> rcu.read(() -> {
                inside.countDown();
                awaitOrFail(leave);
                return "held";
            }));
            assertTrue(inside.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
            assertEquals(1, rcu.slotsHeld(), "the holder is inside through its stripe's slot");
            int stripe = STRIPES.stripeOf(holder.thread);
            long spilled = leastFirstSectionBytes(t -> STRIPES.stripeOf(t) == stripe, first);
            leave.countDown();
            assertEquals("held", holder.get());
            // the control: the same measure sees a spilled section's ThreadLocal map and state (168 bytes or more)
            assertTrue(spilled >= 100, "a spilled first section allocated only " + spilled + " bytes");
        }
    }

    /** Virtual threads only: a platform thread keeps its state in the ThreadLocal from its first section on. */
    @ParameterizedTest(name = "skipStripes={0}")
    @ValueSource(booleans = {false, true})
    void aSectionWhoseSlotIsTakenIsCountedAndWaitedFor(boolean skipStripes) throws Exception {
        boolean virtual = true;
        assumeKind(virtual);
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            CountDownLatch holderIn = new CountDownLatch(1);
            CountDownLatch holderLeave = new CountDownLatch(1);
            CountDownLatch spilledIn = new CountDownLatch(1);
            CountDownLatch spilledLeave = new CountDownLatch(1);
            AtomicBoolean spilledLeft = new AtomicBoolean();
            Task<Boolean> holder = Task.start(virtual, "slot-holder", () -> rcu.read(() -> {
                holderIn.countDown();
                awaitOrFail(holderLeave);
                return true;
            }));
            assertTrue(holderIn.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
            assertEquals(1, rcu.slotsHeld(), "the holder is inside through its stripe's slot");
            int stripe = STRIPES.stripeOf(holder.thread);
            CountDownLatch holderGone = new CountDownLatch(1);
            CountDownLatch nestedAgain = new CountDownLatch(1);
            Task<Boolean> spilled = Task.startOn(virtual, "spilled", t -> STRIPES.stripeOf(t) == stripe,
                    () -> rcu.read(() -> {
                        assertThrows(IllegalStateException.class, rcu::synchronize, "synchronize() when spilled");
                        assertEquals("y", rcu.read(() -> "y"), "a nested section");
                        spilledIn.countDown();
                        awaitOrFail(holderGone);
                        // the slot is free now: a nested section still counts where the outer one is, and this
                        // thread still knows it is inside
                        assertEquals(0, (int) rcu.read(rcu::slotsHeld), "a nested section took the freed slot");
                        assertThrows(IllegalStateException.class, rcu::synchronize, "synchronize() once it is free");
                        nestedAgain.countDown();
                        awaitOrFail(spilledLeave); // parks inside: a virtual thread may resume on another carrier
                        spilledLeft.set(true);
                        return true;
                    }));
            assertTrue(spilledIn.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
            assertEquals(1, rcu.slotsHeld(), "the second reader found the slot taken: it spilled");
            assertEquals(0, rcu.registeredReaders(), "neither has a record");
            holderLeave.countDown();
            assertTrue(holder.get());
            assertEquals(0, rcu.slotsHeld(), "the holder gave its slot back");
            holderGone.countDown();
            assertTrue(nestedAgain.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS));
            rcu.skipStripes = skipStripes; // the control: a grace period that forgets readers without a record
            gracePeriodWaitsFor(rcu, virtual, skipStripes, spilled, spilledLeave, spilledLeft);
        }
    }

    /**
     * A {@code synchronize()} started while {@code reader} is inside (it leaves once {@code leave} opens, setting
     * {@code leaving} first) waits for it: it is seen waiting for the stripes, then returns only after the section
     * ended. With {@code skipStripes} (the control) it returns while the section is open.
     */
    private static void gracePeriodWaitsFor(Rcu rcu, boolean virtual, boolean skipStripes, Task<Boolean> reader,
            CountDownLatch leave, AtomicBoolean leaving) throws Exception {
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

    private static void awaitOrFail(CountDownLatch latch) {
        try {
            assertTrue(latch.await(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS), "the test's latch");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
