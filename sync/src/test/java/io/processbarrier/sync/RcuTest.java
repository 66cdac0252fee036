package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract of {@link Rcu} on the process's default barrier: what waits for what, misuse, nesting, threads that
 * die, retire. Waits are bounded ({@link #WAIT}); "still waiting" is checked after a short pause, which can only fail
 * for an Rcu that returned too early, never because the machine is slow.
 */
class RcuTest {
    static final long WAIT = 30;

    private final List<Rcu> toClose = new ArrayList<>();

    Rcu rcu() {
        return rcu(ProcessBarrier.get());
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

    /** A thread that enters a section of {@code rcu}, signals, and stays inside until {@code leave} is counted down. */
    static Thread holdSection(Rcu rcu, CountDownLatch inside, CountDownLatch leave, AtomicReference<Throwable> failure) {
        Thread t = new Thread(() -> {
            try (Rcu.Reader r = rcu.read()) {
                inside.countDown();
                if (!leave.await(WAIT, TimeUnit.SECONDS)) {
                    failure.set(new AssertionError("the holder was never released"));
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "section-holder");
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void await(CountDownLatch l, String what) throws InterruptedException {
        assertTrue(l.await(WAIT, TimeUnit.SECONDS), what + " did not happen within " + WAIT + " s");
    }

    /**
     * Runs {@code call} (a call that must wait) on a daemon thread; proves that it reached its wait (the thread is
     * parked or spinning with {@code frame} on its stack) or returned, fails if it returned, then releases what it
     * waits for and checks that it completes. No pause decides anything: a call that never started cannot pass, and
     * one that wrongly returns is caught whenever the scheduler runs it ({@code assertWaitsUntilCatchesACallThatDoes
     * NotWait} is the broken variant).
     */
    static void assertWaitsUntil(Runnable call, String frame, String what, Runnable release) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = daemon("waits-" + frame, () -> {
            try {
                call.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        awaitTrue(() -> !t.isAlive() || onStack(t, frame), what + " reaching its wait (" + frame + ")");
        assertTrue(t.isAlive(), what + " returned while it had to wait" + (failure.get() == null ? ""
                : " (threw " + failure.get() + ")"));
        release.run();
        t.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertFalse(t.isAlive(), what + " did not complete within " + WAIT + " s after the release");
        assertEquals(null, failure.get());
    }

    /** A started daemon thread. */
    static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Whether {@code method} is on {@code t}'s stack now. */
    static boolean onStack(Thread t, String method) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code r} on a daemon thread (never the common pool: a stuck task must not block later tests). */
    static <T> T onThread(String name, java.util.concurrent.Callable<T> r) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        daemon(name, () -> {
            try {
                f.complete(r.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return get(f, name);
    }

    /** Polls {@code condition} until it holds, for at most {@link #WAIT} seconds. */
    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + " did not happen within " + WAIT + " s");
            Thread.sleep(1);
        }
    }

    static <T> T get(CompletableFuture<T> f, String what) throws Exception {
        try {
            return f.get(WAIT, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not complete within " + WAIT + " s");
        }
    }

    @Test
    void synchronizeWaitsForASectionBegunBeforeAndReturnsAfterItEnds() throws Exception {
        Rcu rcu = rcu();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread holder = holdSection(rcu, inside, leave, failure);
        await(inside, "entering the section");
        assertWaitsUntil(rcu::synchronize, "awaitReader", "synchronize() with a section begun before it open",
                leave::countDown);
        holder.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertEquals(null, failure.get());
    }

    @Test
    void synchronizeWithNoReaderReturnsAndSectionsOfOtherRcusDoNotDelayIt() throws Exception {
        Rcu a = rcu();
        Rcu b = rcu();
        for (int i = 0; i < 100; i++) {
            a.synchronize();
        }
        try (Rcu.Reader r = b.read()) {
            a.synchronize(); // a section of another Rcu: no wait, no exception
        }
    }

    @Test
    void tightReadersNeverStarveSynchronize() throws Exception {
        Rcu rcu = rcu();
        AtomicInteger stop = new AtomicInteger();
        List<Thread> readers = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLongArray sections = new java.util.concurrent.atomic.AtomicLongArray(2);
        for (int i = 0; i < 2; i++) {
            int k = i;
            readers.add(daemon("tight-reader-" + i, () -> {
                while (stop.get() == 0) {
                    try (Rcu.Reader r = rcu.read()) {
                        sections.lazySet(k, sections.get(k) + 1);
                    }
                }
            }));
        }
        // the premise: both readers are in their tight loops before the first synchronize()
        awaitTrue(() -> sections.get(0) > 1000 && sections.get(1) > 1000, "both tight readers running");
        try {
            int done = onThread("synchronizer", () -> {
                for (int i = 0; i < 200; i++) {
                    rcu.synchronize();
                }
                return 200;
            });
            assertEquals(200, done, "200 synchronize() calls against 2 tight readers");
            for (Thread t : readers) {
                assertTrue(t.isAlive(), "a reader stopped before the synchronize() calls ended");
            }
        } finally {
            stop.set(1);
            for (Thread t : readers) {
                t.join(TimeUnit.SECONDS.toMillis(WAIT));
            }
        }
    }

    @Test
    void concurrentCallersShareGracePeriods() throws Exception {
        CountingBarrier counting = new CountingBarrier(ProcessBarrier.get());
        Rcu rcu = rcu(counting);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        holdSection(rcu, inside, leave, failure);
        await(inside, "entering the section");
        int callers = 8;
        List<CompletableFuture<Void>> syncs = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    rcu.synchronize();
                    f.complete(null);
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            }, "synchronizer-" + i);
            caller.setDaemon(true);
            caller.start();
            syncs.add(f);
        }
        // one caller runs a grace period and waits for the holder; the 7 others queue for the next one
        awaitTrue(() -> rcu.gracePeriodQueueLength() == callers - 1, "the arrival of every caller");
        assertEquals(1, counting.heavies.get(), "one heavy() for the grace period in progress");
        leave.countDown();
        for (CompletableFuture<Void> f : syncs) {
            get(f, "a waiting synchronize()");
        }
        // callers that arrived before the first one began its grace period are served by it, the others by one more
        assertTrue(counting.heavies.get() <= 2, "8 concurrent callers cost " + counting.heavies.get() + " heavy()");
        assertEquals(null, failure.get());
    }

    @Test
    void aThreadThatEndsInsideASectionDoesNotBlockGracePeriods() throws Exception {
        Rcu rcu = rcu();
        Thread t = daemon("dies-inside", () -> rcu.read()); // never closed
        t.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertFalse(t.isAlive());
        onThread("synchronize() after a reader died inside its section", () -> {
            rcu.synchronize();
            return null;
        });
    }

    @Test
    void assertWaitsUntilCatchesACallThatDoesNotWait() {
        Rcu rcu = rcu(); // no section held: synchronize() returns at once, which the helper must call a failure
        AssertionError e = assertThrows(AssertionError.class,
                () -> assertWaitsUntil(rcu::synchronize, "awaitReader", "synchronize() with nothing to wait for", () -> { }));
        assertTrue(e.getMessage().contains("returned while it had to wait"), e.getMessage());
    }

    // --------------------------------------------------------------------------------------------------- misuse

    @Test
    void misuseIsAClearIllegalStateException() throws Exception {
        Rcu rcu = rcu();
        Rcu.Reader r = rcu.read();
        IllegalStateException e = assertThrows(IllegalStateException.class, rcu::synchronize);
        assertTrue(e.getMessage().contains("inside a read section"), e.getMessage());
        assertThrows(IllegalStateException.class, rcu::barrier);
        assertThrows(IllegalStateException.class, rcu::close);
        Throwable x = onThread("close on another thread", () -> {
            try {
                r.close();
                return null;
            } catch (Throwable y) {
                return y;
            }
        });
        assertTrue(x instanceof IllegalStateException && x.getMessage().contains("entered on"), String.valueOf(x));
        r.close();
        IllegalStateException twice = assertThrows(IllegalStateException.class, r::close);
        assertTrue(twice.getMessage().contains("already closed"), twice.getMessage());
        rcu.synchronize(); // the section really ended: no wait, no exception
    }

    @Test
    void nestedSectionsCloseInnermostFirstAndKeepTheOuterOpen() throws Exception {
        Rcu rcu = rcu();
        Rcu.Reader outer = rcu.read();
        Rcu.Reader inner = rcu.read();
        assertNotSame(outer, inner);
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("inner section"), e.getMessage());
        inner.close();
        assertThrows(IllegalStateException.class, inner::close);
        // still inside the outer section: another thread's synchronize() must wait for it
        assertThrows(IllegalStateException.class, rcu::synchronize);
        assertWaitsUntil(rcu::synchronize, "awaitReader", "synchronize() with the outer section open", outer::close);
        // a handle per section: the old ones are stale, and closing them ends nothing (issue 30)
        try (Rcu.Reader again = rcu.read(); Rcu.Reader again2 = rcu.read()) {
            assertNotSame(outer, again);
            assertNotSame(inner, again2);
            assertThrows(IllegalStateException.class, inner::close, "a stale inner handle");
            assertThrows(IllegalStateException.class, outer::close, "a stale outer handle");
        }
    }

    /**
     * Issue 30: closing a Reader a second time after the thread entered a new section throws and does not end the new
     * section (the old code returned normally and ended it: a grace period then completed under it).
     */
    @Test
    void aStaleReaderDoesNotEndALaterSection() throws Exception {
        Rcu rcu = rcu();
        Rcu.Reader first = rcu.read();
        first.close();
        Rcu.Reader second = rcu.read();
        IllegalStateException e = assertThrows(IllegalStateException.class, first::close);
        assertTrue(e.getMessage().contains("already closed"), e.getMessage());
        // the second section is still open: another thread's synchronize() waits for it
        assertWaitsUntil(rcu::synchronize, "awaitReader", "synchronize() with the second section open", second::close);
        assertThrows(IllegalStateException.class, second::close, "closed twice");
        // the same through read(Supplier) and a Local, which have no handle: a stale Reader ends neither
        Rcu.Local local = rcu.local();
        local.enter();
        assertThrows(IllegalStateException.class, second::close);
        assertWaitsUntil(rcu::synchronize, "awaitReader", "synchronize() with the Local's section open", local::exit);
    }

    @Test
    void afterCloseReadRetireAndStartPollThrowWhileSynchronizeAndPollStillWork() {
        Rcu rcu = rcu();
        AtomicInteger reclaimed = new AtomicInteger();
        rcu.retire("x", s -> reclaimed.incrementAndGet());
        long cookie = rcu.startPoll();
        rcu.close();
        assertEquals(1, reclaimed.get(), "close() reclaims everything retired before it");
        assertTrue(rcu.poll(cookie));
        assertThrows(IllegalStateException.class, rcu::read);
        assertThrows(IllegalStateException.class, () -> rcu.retire("y", s -> { }));
        assertThrows(IllegalStateException.class, rcu::startPoll);
        rcu.synchronize();
        rcu.barrier();
        rcu.close(); // idempotent
        assertFalse(rcu.retireThread().isAlive(), "close() stops the retire thread");
    }

    @Test
    void badArgumentsAreClearExceptions() {
        Rcu rcu = rcu();
        assertThrows(NullPointerException.class, () -> rcu.retire(null, s -> { }));
        assertThrows(NullPointerException.class, () -> rcu.retire("x", null));
        assertThrows(NullPointerException.class, () -> Rcu.create(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rcu.poll(0));
        assertTrue(e.getMessage().contains("not a cookie"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> rcu.poll(Long.MAX_VALUE));
    }

    // ---------------------------------------------------------------------------------------- retire and poll

    @Test
    void retireReclaimsAfterTheGracePeriodInOrderOnOneNamedDaemonThread() throws Exception {
        Rcu rcu = rcu();
        assertEquals(null, rcu.retireThread(), "no thread before first use");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        holdSection(rcu, inside, leave, failure);
        await(inside, "entering the section");
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 1000; i++) {
            rcu.retire(i, n -> {
                order.add(n);
                threads.add(Thread.currentThread().getName());
            });
        }
        // the premise: the retire thread runs the batch's grace period and waits for the holder
        awaitTrue(() -> rcu.retireThread() != null && onStack(rcu.retireThread(), "awaitReader"),
                "the retire thread waiting for the holder");
        assertTrue(order.isEmpty(), "reclaimed while a section begun before retire() was open: " + order.size());
        leave.countDown();
        onThread("barrier()", () -> {
            rcu.barrier();
            return null;
        });
        assertEquals(1000, order.size());
        for (int i = 0; i < 1000; i++) {
            assertEquals(i, order.get(i), "callbacks run in retire order");
        }
        Thread worker = rcu.retireThread();
        assertTrue(worker.isDaemon());
        assertTrue(worker.getName().matches("processbarrier-rcu-\\d+-retire"), worker.getName());
        assertEquals(List.of(worker.getName()), threads.stream().distinct().collect(java.util.stream.Collectors.toList()));
        assertEquals(null, failure.get());
    }

    @Test
    void pollIsFalseWhileAnEarlierSectionIsOpenAndTrueAfter() throws Exception {
        Rcu rcu = rcu();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        holdSection(rcu, inside, leave, failure);
        await(inside, "entering the section");
        long cookie = rcu.startPoll();
        // the premise: the retire thread runs the polled grace period and waits for the holder
        awaitTrue(() -> rcu.retireThread() != null && onStack(rcu.retireThread(), "awaitReader"),
                "the retire thread waiting for the holder");
        assertFalse(rcu.poll(cookie), "poll() true while a section begun before startPoll() was open");
        leave.countDown();
        awaitTrue(() -> rcu.poll(cookie), "the completion of the polled grace period");
        long later = rcu.startPoll();
        assertTrue(later > cookie);
        assertEquals(null, failure.get());
    }

    @Test
    void aThrowingCallbackIsLoggedAndTheOthersRun() throws Exception {
        Logger logger = Logger.getLogger(Rcu.class.getName());
        List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(h);
        try {
            Rcu rcu = rcu();
            AtomicInteger ran = new AtomicInteger();
            rcu.retire("first", s -> ran.incrementAndGet());
            rcu.retire("bad", s -> {
                throw new IllegalStateException("boom from a callback");
            });
            rcu.retire("third", s -> ran.incrementAndGet());
            rcu.barrier();
            rcu.retire("after", s -> ran.incrementAndGet());
            rcu.barrier();
            assertEquals(3, ran.get(), "the other callbacks ran, and the retire thread survived");
            assertEquals(1, records.size(), "one log record: " + records);
            LogRecord r = records.get(0);
            assertEquals(Level.SEVERE, r.getLevel());
            assertEquals("boom from a callback", r.getThrown().getMessage());
        } finally {
            logger.removeHandler(h);
        }
    }

    @Test
    void aCallbackMayRetireAndRead() throws Exception {
        Rcu rcu = rcu();
        CountDownLatch done = new CountDownLatch(1);
        rcu.retire("a", s -> {
            try (Rcu.Reader r = rcu.read()) {
                rcu.retire("b", t -> done.countDown());
            }
        });
        await(done, "the retire of a callback reclaimed");
        assertThrows(IllegalStateException.class, () -> {
            AtomicReference<RuntimeException> e = new AtomicReference<>();
            CountDownLatch tried = new CountDownLatch(1);
            rcu.retire("c", s -> {
                try {
                    rcu.barrier();
                } catch (RuntimeException x) {
                    e.set(x);
                }
                tried.countDown();
            });
            await(tried, "barrier() in a callback");
            throw e.get();
        });
    }

    // --------------------------------------------------------------------------------- per-thread state and cost

    @Test
    void readSideAllocatesNothing() {
        com.sun.management.ThreadMXBean bean = AllocatedBytes.counter();
        Rcu rcu = rcu();
        Rcu.Local local = rcu.local();
        long id = Thread.currentThread().getId();
        long[] bytes = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
        // the first rounds warm up the JIT (C2 and its escape analysis); a round may still see a recompilation, so
        // each path's best round counts (a path that allocates does so in every round). Each path is a method of
        // its own, as in an application (escape analysis needs read() inlined into its caller)
        for (int round = 0; round < 8; round++) {
            long[] now = new long[4];
            for (int k = 0; k < 4; k++) {
                long before = bean.getThreadAllocatedBytes(id);
                sink += k == 0 ? sectionsThroughRead(rcu) : k == 1 ? sectionsThroughSupplier(rcu)
                        : k == 2 ? sectionsThroughLocal(local) : nestedThroughRead(rcu);
                now[k] = bean.getThreadAllocatedBytes(id) - before;
            }
            for (int k = 0; k < 4; k++) {
                bytes[k] = round < 2 ? Long.MAX_VALUE : Math.min(bytes[k], now[k]);
            }
        }
        // the counter itself may allocate a few bytes; a million sections allocating would be tens of megabytes.
        // read(Supplier) and a Local never allocate (the suppliers are made once: a capturing lambda per call would be
        // the test's own allocation, seen under load on Temurin 25). read() returns a handle of its own per section (issue 30: a
        // reused handle cannot tell a stale close from a current one): escape analysis removes it when read() is
        // inlined into the caller (0 B in a quiet JVM, JDK 17 and 25), but C2 does not always inline it (seen under
        // tools/stress-tests on JDK 17: 24 B per section), so only its bound is asserted: the handle, nothing more
        assertTrue(bytes[1] < 64 * 1024, "a million nested read(Supplier) allocated " + bytes[1] + " bytes");
        assertTrue(bytes[2] < 64 * 1024, "a million nested Local sections allocated " + bytes[2] + " bytes");
        assertTrue(bytes[0] <= 24L * 1_000_000 + 64 * 1024, "a million sections through read() allocated " + bytes[0]
                + " bytes: more than their handles");
        assertTrue(bytes[3] <= 2 * 24L * 1_000_000 + 64 * 1024, "a million nested read() pairs allocated " + bytes[3]
                + " bytes: more than their handles");
        System.out.println("readSideAllocatesNothing: bytes per million sections: read() " + bytes[0]
                + ", read(Supplier) nested " + bytes[1] + ", Local nested " + bytes[2] + ", read() nested " + bytes[3]);
    }

    static long sink;

    private static long sectionsThroughRead(Rcu rcu) {
        long n = 0;
        for (int i = 0; i < 1_000_000; i++) { // a handle per section, removed by escape analysis
            try (Rcu.Reader r = rcu.read()) {
                n += i;
            }
        }
        return n;
    }

    private static long sectionsThroughSupplier(Rcu rcu) {
        long n = 0;
        java.util.function.Supplier<String> inner = () -> "x";
        java.util.function.Supplier<String> outer = () -> rcu.read(inner); // captured once: no lambda per section
        for (int i = 0; i < 1_000_000; i++) { // no handle at all, nested too
            n += rcu.read(outer).length();
        }
        return n;
    }

    private static long sectionsThroughLocal(Rcu.Local local) {
        long n = 0;
        for (int i = 0; i < 1_000_000; i++) {
            local.enter();
            local.enter();
            n += i;
            local.exit();
            local.exit();
        }
        return n;
    }

    private static long nestedThroughRead(Rcu rcu) {
        long n = 0;
        for (int i = 0; i < 1_000_000; i++) { // nested handles: removed on JDK 21+, one of the two kept on 17
            try (Rcu.Reader r = rcu.read(); Rcu.Reader q = rcu.read()) {
                n += i;
            }
        }
        return n;
    }

    @Test
    void registryOfShortLivedPlatformThreadsStaysBoundedByTheLiveOnes() throws Exception {
        Rcu rcu = rcu();
        int batch = 50;
        for (int round = 0; round < 100; round++) {
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                Thread t = daemon("short-lived", () -> rcu.read().close());
                ts.add(t);
            }
            for (Thread t : ts) {
                t.join(TimeUnit.SECONDS.toMillis(WAIT));
            }
            assertTrue(rcu.registeredReaders() <= 2 * (batch + 1) + ReaderRegistry.MIN_PRUNE,
                    "5,000 threads, at most " + batch + " alive at once, left " + rcu.registeredReaders() + " records");
        }
        rcu.synchronize(); // its scan prunes the dead
        assertTrue(rcu.registeredReaders() <= 1, "records left after a scan: " + rcu.registeredReaders());
    }

    @Test
    void aRecordsWrittenFieldsHave128BytesOfPaddingOnEachSide() throws Exception {
        java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
        long first = Long.MAX_VALUE;
        long last = 0;
        long end = 0;
        for (Class<?> c = RcuRecord.class; c != java.lang.ref.Reference.class; c = c.getSuperclass()) {
            for (java.lang.reflect.Field x : c.getDeclaredFields()) {
                if (java.lang.reflect.Modifier.isStatic(x.getModifiers())) {
                    continue;
                }
                long off = u.objectFieldOffset(x);
                end = Math.max(end, off + 8);
                if (!x.getName().matches("p\\d\\d|q\\d\\d|pi")) { // the owner's fields
                    first = Math.min(first, off);
                    last = Math.max(last, off);
                }
            }
        }
        assertTrue(first >= 128, "a record's fields start at offset " + first + ": less than 128 bytes from the "
                + "preceding object, whose cache line another thread may be using");
        assertTrue(end - last >= 128 + 4, "a record's fields end " + (end - last) + " bytes before its end");
    }

    /** A section that fails to begin (an Error at light(), as a StackOverflowError would) leaves nothing behind. */
    @Test
    void aReadThatFailsToBeginLeavesNoSectionBehind() throws Exception {
        io.processbarrier.sync.CountingBarrier b = new io.processbarrier.sync.CountingBarrier(ProcessBarrier.get());
        try (Rcu rcu = Rcu.create(b)) {
            b.failNextLight.set(new StackOverflowError("injected"));
            assertThrows(StackOverflowError.class, rcu::read);
            rcu.synchronize(); // on this thread: it is not inside a section
            java.util.concurrent.FutureTask<Void> other = new java.util.concurrent.FutureTask<>(() -> {
                rcu.synchronize();
                return null;
            });
            Thread sync = new Thread(other, "synchronizer");
            sync.setDaemon(true);
            sync.start();
            other.get(20, TimeUnit.SECONDS); // a grace period does not wait for the failed section
            try (Rcu.Reader r = rcu.read()) {
                assertNotNull(r);
            }
        }
    }

    /** Counts heavy() calls; otherwise the delegate. */
    static final class CountingBarrier implements ProcessBarrier {
        final ProcessBarrier delegate;
        final AtomicInteger heavies = new AtomicInteger();

        CountingBarrier(ProcessBarrier delegate) {
            this.delegate = delegate;
        }

        @Override
        public void heavy() {
            heavies.incrementAndGet();
            delegate.heavy();
        }

        @Override
        public void light() {
            delegate.light();
        }

        @Override
        public String name() {
            return "counting-" + delegate.name();
        }

        @Override
        public boolean isAsymmetric() {
            return delegate.isAsymmetric();
        }
    }
}
