package io.processbarrier.sync;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.processbarrier.sync.ReadMostlyLockThreads.assumeVirtualThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ReadMostlyLock} on a full heap (issue 30 items 12 and 13, issue 28): each case is a child JVM with a small
 * heap that {@link FullHeapMain} fills before the scenario runs, and proves full (an allocation fails right before).
 * Every case is bounded: the child's own bounds (60 s to warm up, 60 s to fill the heap, then no turn for 60 s is a
 * hang and 240 s in all, then 30 s to recover once the heap is free), which always leave it time to report before
 * {@link ChildProcess}'s timeout; a child that still reaches it is dumped (its threads) and killed.
 */
class ReadMostlyLockFullHeapTest {
    /** A small heap, the serial collector (one predictable heap), no thread-local allocation buffers. */
    private static final List<String> JVM = List.of("-Xmx12m", "-XX:+UseSerialGC", "-XX:-UseTLAB",
            "-XX:-OmitStackTraceInFastThrow");

    private static ChildProcess.Result child(String... args) throws Exception {
        return child(null, args);
    }

    /** A child whose JVM logs the exceptions it throws to {@code exceptions} ({@link #jdkLostAThread}), unless null. */
    private static ChildProcess.Result child(Path exceptions, String... args) throws Exception {
        List<String> jvm = new ArrayList<>(JVM);
        if (exceptions != null) {
            jvm.add("-Xlog:exceptions=info:file=" + exceptions + "::filecount=0"); // one file, no rotation
            // VirtualThread's methods interpreted, each its own frame in the log: a compiled method logs an error
            // under its outermost method, so an error that an inlined callee caught could read as its caller's
            jvm.addAll(List.of("-XX:CompileCommand=quiet", "-XX:CompileCommand=exclude,java.lang.VirtualThread::*",
                    "-XX:CompileCommand=dontinline,java.lang.VirtualThread::*"));
        }
        return ChildProcess.run(ChildProcess.javaCommand(List.of(), jvm, ChildProcess.classPath(), FullHeapMain.class,
                args), Duration.ofSeconds(480), ChildProcess.Stderr.SEPARATE);
    }

    /**
     * Two threads take turns through the write lock and its condition with the heap full (the shape of OpenJDK's
     * OOMEInAQS): every turn must be taken. {@code rrwl} is the control, ReentrantReadWriteLock, whose conditions
     * keep working there since JDK 20 (on JDK 17 they fail, so the control runs from 20 on). Fails on ReadMostlyLock
     * at 03c9fc2: its await allocated a waiter and threw the OutOfMemoryError; seen "hung" on JDK 17 (one thread
     * died, the other waited for its turn for ever), "failed" on Temurin 25 platform threads (both died), "hung" on
     * virtual ones. {@code writer}: the same turns by contention on the write lock alone, no condition (issue 28's
     * variant): at 03c9fc2 it passed on platform threads and failed on virtual ones (a virtual thread's
     * {@code Thread.yield()} while it waited for the lock's mutex threw the error). At 035562b the virtual case hung in
     * about 1 run of 12 on Temurin 25 (CI, then 5 of about 60 runs of the child alone): an OutOfMemoryError with no
     * stack, thrown where the JVM linked a VarHandle call site the lock ran for the first time (the clear of a
     * reservation, after the writer's claim: {@code -Xlog:exceptions}), left the claim held by nobody, or a
     * reservation by a writer that had gone, which kept the next writer spinning on a free claim
     * ({@code ReadMostlyLockFaultTest}'s {@code anErrorRightAfterTheClaimLeavesNoClaim} and
     * {@code aReservationOfAWriterThatLeftIsDropped} reproduce both). A hung child prints the lock's state once
     * the heap is free ({@code diag}) and whether the threads then finish ({@code recoveredAfterRelease}: true would
     * be the JDK's scheduler waiting for memory, false the lock's own state). At de124bd the {@code writer} case on
     * platform threads failed in CI (and here in 1 of 25 children): the warm-up happened to run without contention,
     * and the first contended write, with the heap full, linked a {@code VarHandle} call site of the queue
     * ({@code CONTENDERS.getAndAdd}, {@code -Xlog:exceptions}): its OutOfMemoryError killed the thread.
     * {@code cold} makes that premise certain (the warm-up runs one thread after the other): every contended path
     * runs first with the heap full. It fails at de124bd on platform threads.
     */
    @ParameterizedTest(name = "{0} on {1}, {2} threads")
    @CsvSource({
        "alternate, rrwl, platform", "alternate, rml, platform", "alternate, rrwl, virtual", "alternate, rml, virtual",
        "writer, rrwl, platform", "writer, rml, platform", "writer, rml, virtual",
        "cold, rrwl, platform", "cold, rml, platform", "cold, rml, virtual"
    })
    void turnsWithTheHeapFull(String scenario, String lock, String threads) throws Exception {
        if (threads.equals("virtual")) {
            assumeVirtualThreads();
        }
        if (lock.equals("rrwl") && Runtime.version().feature() < 20) {
            // the control's own premise: AbstractQueuedSynchronizer survives a full heap only since JDK 20 (8066859)
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "ReentrantReadWriteLock on a full heap needs JDK 20+");
        }
        Path dir = threads.equals("virtual") ? Files.createTempDirectory("full-heap-") : null;
        try {
            Path exceptions = dir == null ? null : dir.resolve("exceptions-1.log");
            ChildProcess.Result r = child(exceptions, scenario, lock, threads);
            for (int attempt = 1; attempt < SCHEDULER_ATTEMPTS && jdkFailedThePremise(r, exceptions); attempt++) {
                exceptions = dir.resolve("exceptions-" + (attempt + 1) + ".log"); // each child its own
                r = child(exceptions, scenario, lock, threads); // the premise failed: the JDK lost a thread
            }
            org.junit.jupiter.api.Assumptions.assumeFalse(jdkFailedThePremise(r, exceptions), "in "
                    + SCHEDULER_ATTEMPTS + " children the JDK's virtual-thread scheduler lost a thread, or a wake-up"
                    + " waited for memory, on the full heap (FullHeapMain's lostByTheScheduler and waitedForMemory,"
                    + " this test's jdkLostAThread and jdkWaitedForMemory), which no lock can cause or prevent: " + r);
            assertResult(r);
        } finally {
            if (dir != null) {
                try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.deleteIfExists(f);
                    }
                    Files.deleteIfExists(dir);
                } catch (java.io.IOException e) { // never in place of the case's own outcome
                    System.err.println("could not delete " + dir + ": " + e);
                }
            }
        }
    }

    private static void assertResult(ChildProcess.Result r) {
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("warm"), r.toString());
        assertEquals("full", r.value("premise"), r.toString());
        assertEquals("ok", r.value("result"), r.toString());
        assertEquals(FullHeapMain.TURNS + "," + FullHeapMain.TURNS, r.value("turns"), r.toString());
    }

    /**
     * How many children a virtual-thread case may run before it gives up on the JDK's scheduler: on a heap that stays
     * full, a carrier can die of an OutOfMemoryError in the pool's own code and take a yielded virtual thread with it
     * (seen once in about 40 children of the {@code rml} case on Temurin 25 once the lock's own faults were fixed; a
     * dead carrier would take any lock's yielded thread); or the JDK's scheduling of a virtual thread throws an
     * OutOfMemoryError past its own retry and leaves the thread with no task to run it ({@link #jdkLostAThread}); or a
     * wake-up of a virtual thread can wait for memory for as long as the heap stays full (the JDK's own retry:
     * FullHeapMain's {@code waitedForMemory} when a stack shows it, {@link #jdkWaitedForMemory} when the log does).
     * That child proves nothing about the lock, so the case runs again.
     */
    private static final int SCHEDULER_ATTEMPTS = 3;

    /**
     * Whether the JDK, not the lock, failed the child. A child in which a thread failed (its turns threw: FullHeapMain
     * prints {@code failure0=} or {@code failure1=}) never counts: that is how the lock's own faults show (an error out
     * of an unlock, say), whatever the JDK logged beside it.
     */
    private static boolean jdkFailedThePremise(ChildProcess.Result r, Path exceptions) throws Exception {
        if (r.value("failure0") != null || r.value("failure1") != null) {
            return false;
        }
        return "lost-by-the-scheduler".equals(r.value("result")) || "waited-for-memory".equals(r.value("result"))
                || "hung".equals(r.value("result")) && (jdkLostAThread(exceptions)
                || "true".equals(recovered(r)) && jdkWaitedForMemory(exceptions));
    }

    /** FullHeapMain's {@code recoveredAfterRelease}: whether the threads finished once the heap was free. */
    private static String recovered(ChildProcess.Result r) {
        String line = r.value("recoveredAfterRelease"); // "true turns=..., lostByTheScheduler=..."
        return line == null ? null : line.split(" ")[0];
    }

    /**
     * Whether the child's exception log shows the JDK retrying the submission of a virtual thread without a break for
     * at least {@value #WAIT_MILLIS} ms (OutOfMemoryErrors thrown in {@code VirtualThread.submitRunContinuation},
     * which tries again every 100 ms until it succeeds, none more than a second after the one before): a wake-up that
     * waits for memory on the carrier that unmounted the thread, for as long as the heap stays full, as FullHeapMain's
     * {@code waitedForMemory} sees it in a waker's stack. Counted only in a child whose threads then finished once the
     * heap was free (a wait for memory ends there). Seen once {@link JdkFailurePaths} let that retry run (it used to
     * be bypassed: {@link #jdkLostAThread}): a writer woken while it parked on a timer in the queue stayed runnable for
     * the whole stall, its carrier retrying 500 times, and took its turns once the heap was free.
     */
    private static boolean jdkWaitedForMemory(Path exceptions) throws Exception {
        double start = -1; // the first retry of the current run of retries
        double last = -1;
        for (Thrown t : outOfMemoryErrors(exceptions)) {
            if (t.in("submitRunContinuation")) {
                if (last < 0 || t.seconds - last > 1.0) {
                    start = t.seconds; // a break: a new run begins
                }
                last = t.seconds;
                if ((last - start) * 1000 >= WAIT_MILLIS) {
                    return true;
                }
            }
        }
        return false;
    }

    /** See {@link #jdkWaitedForMemory}: a tenth of the stall that makes a child {@code hung}. */
    private static final long WAIT_MILLIS = 6_000;
    private static final java.util.regex.Pattern UPTIME = java.util.regex.Pattern.compile("\\[(\\d+\\.\\d+)s\\]");

    /**
     * Whether the child's exception log shows an OutOfMemoryError thrown out of {@code VirtualThread.afterYield} (a
     * carrier's scheduling of the virtual thread it has just unmounted) or out of {@code VirtualThread.unpark} (the
     * scheduling of a thread just marked unparked): the JDK then holds a virtual thread that no task will ever run,
     * which no lock can cause or prevent. Seen on Temurin 25.0.3 in CI of 47b64c8 and here in 11 of about 265
     * children of {@code alternate rml virtual} (two to six at once on 2 vCPUs; -Xlog:exceptions, thread dumps, JDK
     * source), each with such a line; no child stalled without one:
     * <ul>
     *   <li>the thread was unparked while it parked, and the carrier's resubmission
     *       ({@code lazySubmitRunContinuation}) threw: it stays runnable with no task (its stack ends in
     *       {@code VirtualThread.park}), as in that CI run;</li>
     *   <li>a yield's resubmission threw: it stays yielded with no task (its stack ends in {@code tryYield});</li>
     *   <li>a timed park's timeout task could not be scheduled ({@code ForkJoinPool.schedule}): it stays in
     *       {@code TIMED_PARKING} for ever, which no unpark can end, and {@code getStackTrace()} retries on it for
     *       ever ({@code FullHeapMain.stackOf});</li>
     *   <li>the waker's {@code unpark} threw: the woken thread stays runnable with no task.</li>
     * </ul>
     * The JDK's own retry of such a submission ({@code submitRunContinuation}, 100 ms apart) was bypassed by the first
     * OutOfMemoryError on a full heap: the error was thrown again where the catch clauses are first matched (bci of the
     * {@code RejectedExecutionException} handler, -Xlog:exceptions), as that class was not loaded yet. Since {@link
     * JdkFailurePaths} loads it, those threads wait for memory instead ({@link #jdkWaitedForMemory}: 4 of 48 children,
     * two at once), and only the timed park's loss remains (1 of those 48). All but the timed park leave a runnable
     * thread that {@code getStackTrace()} submits again (JDK source: {@code VirtualThread.tryGetStackTrace}), which is
     * why such a child often finished once it took the stacks after the release. Only a {@code hung} child with such a
     * line counts; a child whose thread died, or that stalled without one, still fails. The control is exposed less:
     * the same case on {@code rrwl} lost no thread in 120 children (two at once), as {@code AbstractQueuedSynchronizer}
     * never parks on a timer or yields in {@code lock()} (docs/read-mostly-lock.md, "A full heap and the JDK's own
     * scheduling").
     */
    private static boolean jdkLostAThread(Path exceptions) throws Exception {
        for (Thrown t : outOfMemoryErrors(exceptions)) {
            if (t.in("afterYield") || t.in("unpark")) {
                return true;
            }
        }
        return false;
    }

    /** A frame an OutOfMemoryError passed, as {@code -Xlog:exceptions} logs it: when, and in which method. */
    private record Thrown(double seconds, String where) {
        /** In that method of {@code VirtualThread}, interpreted (the children compile none of them). */
        boolean in(String method) {
            return where.startsWith("interpreter method ") && where.contains(" '" + method + "' ")
                    && where.endsWith("in 'java/lang/VirtualThread'>");
        }
    }

    /**
     * The frames that OutOfMemoryErrors passed, from a child's exception log (none if it has none). A record's first
     * line starts with the uptime and names the exception ({@code [2.180s][info][exceptions] Exception <a
     * 'java/lang/OutOfMemoryError'...}); the lines after it say where it was thrown ({@code  thrown in interpreter
     * method <...>}), one for each frame it passes.
     */
    private static List<Thrown> outOfMemoryErrors(Path exceptions) throws Exception {
        List<Thrown> thrown = new ArrayList<>();
        if (exceptions == null || !Files.exists(exceptions)) {
            return thrown;
        }
        double seconds = 0;
        boolean oome = false;
        for (String l : Files.readAllLines(exceptions, java.nio.charset.StandardCharsets.ISO_8859_1)) { // any bytes
            java.util.regex.Matcher m = UPTIME.matcher(l);
            if (m.lookingAt()) {
                seconds = Double.parseDouble(m.group(1));
                if (l.contains(" Exception <a '")) {
                    oome = l.contains(" Exception <a 'java/lang/OutOfMemoryError'");
                }
            }
            int at = l.indexOf(" thrown in ");
            if (oome && at >= 0) {
                thrown.add(new Thrown(seconds, l.substring(at + " thrown in ".length()).trim()));
            }
        }
        return thrown;
    }

    /**
     * The burst timer meets a full heap, while it ticks ({@code ticking}: any allocation of its loop fails) or by an
     * OutOfMemoryError thrown where it looks at a lock ({@code fault}: its failure path runs with the heap full).
     * Either it keeps ticking, or it dies having told the lock, so that the next write arms the timer again: the
     * burst ends once the heap is free. Fails at 03c9fc2 ({@code ticking}): the loop allocated an iterator per tick and
     * died of the error, its failure path allocated one more and died before it told the lock, and the lock stayed
     * "armed" with no timer ({@code armedAfterDeath=true}, the flag raised for good). ({@code fault} passed there:
     * the iterator of the tick that failed was garbage by then, room enough for the failure path's.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"burst-ticking", "burst-fault"})
    void theBurstTimerSurvivesAFullHeap(String scenario) throws Exception {
        ChildProcess.Result r = child(scenario);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("warm"), r.toString());
        assertEquals("full", r.value("premise"), r.toString());
        assertEquals("false", r.value("armedAfterDeath"), r.toString());
        assertEquals("true", r.value("flagLowered"), r.toString());
    }
}
