package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first {@code get()} off its caller's path (issue 29): {@link BackgroundSelection} and {@link DeferredBarrier}.
 * The memory-ordering litmus across the selection window runs with a real provider, in spi-membarrier's
 * {@code SelectionWindowChild}.
 */
class DeferredSelectionTest {

    /**
     * A program that calls get() and exits at once, while the selection has not even begun (held until the JVM
     * exits), still shows the selection's WARNING (here: no provider module). Both ways of ending: System.exit, and
     * main returning; with java.util.logging and with Log4j as the backend (which refuses to start during the exit:
     * the record then goes to standard error).
     */
    @Test
    void aProgramThatExitsAtOnceStillShowsTheSelectionsWarning() throws Exception {
        for (String how : List.of("exit", "return", "exit-log4j", "return-log4j")) {
            ChildProcess.Result r = child(how.replace("-log4j", ""), false, how.endsWith("log4j"));
            assertEquals(0, r.exit(), r.toString());
            assertEquals("true", r.value("deferred"), r.toString());
            assertEquals("false", r.value("settledAtReturn"), "the selection was held: " + r);
            assertTrue(r.err().contains("WARNING") && r.err().contains("no provider module"),
                    how + ": the WARNING reaches the log: " + r);
            assertEquals(String.valueOf(how.endsWith("log4j")), r.value("log4jBackend"), how + ": " + r);
        }
    }

    /**
     * The selection's hand-off of its WARNING throws (as loading {@code LogHandoff} does once an undeployed
     * application's loader is closed, seen in {@code RcuRedeployTest}): its exit hook is removed all the same, since a
     * hook left registered keeps the loader reachable for ever. Control: with the removal after the hand-off and not
     * in a {@code finally} (commit 8a79754), the hook stays registered.
     */
    @Test
    void aHandOffThatThrowsStillRemovesTheExitHook() throws Exception {
        ChildProcess.Result r = child(DeferredHandOffChild.class, List.of(), false);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("hookRegisteredBefore"), "the premise: the selection registered its hook: " + r);
        assertEquals("true", r.value("handOffThrew"), "the premise: the hand-off threw: " + r);
        assertEquals("false", r.value("hookStillRegistered"), r.toString());
    }

    /** The control: without the library's exit hook the same program loses the WARNING (the test can fail). */
    @Test
    void withoutTheExitHookTheWarningIsLostTheControl() throws Exception {
        ChildProcess.Result r = child("exit", true, false);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("deferred"), r.toString());
        assertFalse(r.err().contains("no provider module"), "no hook, no WARNING: " + r);
    }

    /**
     * An Error in the background selection: the barrier the first get() returned stays a fence on both sides, the next
     * get() selects on its caller and throws that Error there; once the cause is gone, a later get() selects, and the
     * first barrier takes what it selected (its heavy() then reaches the readers of the barrier handed out).
     */
    @Test
    void anErrorInTheBackgroundSelectionLeavesAFenceAndReachesTheNextCaller() throws Exception {
        ChildProcess.Result r = onTestClassPath(DeferredFailureChild.class);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("deferred"), r.toString());
        assertEquals("fence", r.value("firstName"), r.toString());
        assertEquals("false", r.value("firstAsymmetric"), r.toString());
        assertEquals("java.lang.OutOfMemoryError: the test's error in selection", r.value("second"), r.toString());
        assertEquals("service-good", r.value("third"), r.toString());
        assertTrue(r.value("firstStill").startsWith("true ProcessBarrier[service-good"),
                "the first barrier takes what the caller's selection found: " + r);
    }

    /**
     * A barrier handed out by of() before the first get(): while the first get()'s selection is held, its barrier's
     * heavy() runs a system barrier (the created one's), since readers of the other may use a compiler barrier only.
     * On the code before the fix it was the writer's fence alone (barriersAfter == barriersBefore).
     */
    @Test
    void aWindowHeavyReachesTheReadersOfABarrierHandedOutBeforeTheFirstGet() throws Exception {
        ChildProcess.Result r = onTestClassPath(OfBeforeGetChild.class);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("deferred"), r.toString());
        assertEquals("false", r.value("settled"), r.toString());
        assertEquals("true", r.value("early"), r.toString());
        assertEquals(Long.parseLong(r.value("barriersBefore")) + 1, Long.parseLong(r.value("barriersAfter")),
                r.toString());
    }

    /** A caller interrupted while it waits for the selection keeps waiting and returns with its interrupt status set. */
    @Test
    void anInterruptedWaiterKeepsWaitingAndKeepsItsInterrupt() throws Exception {
        ChildProcess.Result r = onTestClassPath(DeferredInterruptChild.class);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("waitedAgain"), r.toString());
        assertEquals("service-good", r.value("name"), r.toString());
        assertEquals("true", r.value("interrupted"), r.toString());
    }

    /**
     * With a processbarrier.* setting, the caller selects (what a setting makes get() throw reaches it); but valid
     * settings that force fence, with nothing against it, leave nothing to fail: deferred. A contradiction (fence
     * forced and requireAsymmetric) is thrown by the first get() itself.
     */
    @Test
    void withASettingTheCallerSelectsUnlessItForcesFenceAndNothingCanFail() throws Exception {
        ChildProcess.Result r = onTestClassPath(DeferredExitChild.class, "-Dprocessbarrier.requireAsymmetric=false",
                "return");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("false", r.value("deferred"), r.toString());

        r = onTestClassPath(DeferredExitChild.class, "-Dprocessbarrier.provider= Fence ", "return");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("deferred"), r.toString());

        r = onTestClassPath(DeferredExitChild.class, "-Dprocessbarrier.provider=fence",
                "-Dprocessbarrier.requireAsymmetric=true", "return");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("processbarrier.provider=fence contradicts processbarrier.requireAsymmetric=true"),
                r.toString());

        r = onTestClassPath(DeferredExitChild.class, "-Dprocessbarrier.provider=fence",
                "-Dprocessbarrier.exclude=signal,fence", "return");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("is also listed in processbarrier.exclude"), r.toString());
    }

    /** A child on this test's class path (its test providers included); stdout and stderr apart. */
    private static ChildProcess.Result onTestClassPath(Class<?> main, String... jvmArgsThenArgs) throws Exception {
        List<String> jvm = new ArrayList<>();
        List<String> args = new ArrayList<>();
        for (String a : jvmArgsThenArgs) {
            (a.startsWith("-") ? jvm : args).add(a);
        }
        List<String> cmd = ChildProcess.javaCommand(List.of(), jvm, ChildProcess.classPath(), main,
                args.toArray(new String[0]));
        return ChildProcess.run(cmd, Duration.ofSeconds(60), ChildProcess.Stderr.SEPARATE);
    }

    /**
     * The child on a class path of the api alone (no provider module: a misconfiguration, so selection writes a
     * WARNING), the child's class copied out of the test classes (whose test providers would be selected), and, with
     * {@code log4j}, Log4j as the System.Logger backend (it refuses to start once the JVM exits: the hard case).
     */
    private static ChildProcess.Result child(String how, boolean noHook, boolean log4j) throws Exception {
        List<String> args = new ArrayList<>(List.of(how));
        if (noHook) {
            args.add("nohook");
        }
        return child(DeferredExitChild.class, args, log4j);
    }

    private static ChildProcess.Result child(Class<?> main, List<String> args, boolean log4j) throws Exception {
        Path dir = Files.createTempDirectory("pb-deferred-child");
        try {
            String file = main.getName().replace('.', '/') + ".class";
            Path copy = dir.resolve(file);
            Files.createDirectories(copy.getParent());
            try (InputStream in = main.getClassLoader().getResourceAsStream(file)) {
                Files.copy(in, copy);
            }
            String api = Path.of(ProcessBarrier.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
            List<String> cp = new ArrayList<>(List.of(api, dir.toString()));
            if (log4j) {
                String jars = System.getProperty("pb.test.log4j"); // kept off the test class path by the pom
                assertTrue(jars != null && jars.contains("log4j-jpl"), "the pom names the Log4j jars: " + jars);
                cp.add(jars);
            }
            List<String> cmd = ChildProcess.javaCommand(List.of(), List.of(),
                    String.join(java.io.File.pathSeparator, cp), main, args.toArray(new String[0]));
            return ChildProcess.run(cmd, Duration.ofSeconds(60), ChildProcess.Stderr.SEPARATE);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A barrier that counts its heavy() calls; asymmetric. */
    private static final class Counting implements ProcessBarrier {
        final AtomicInteger heavies = new AtomicInteger();

        @Override
        public void heavy() {
            heavies.incrementAndGet();
        }

        @Override
        public void light() {
        }

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public boolean isAsymmetric() {
            return true;
        }
    }

    /**
     * Before settle(): heavy() is the caller's fence alone (the selected barrier does not exist yet); name() and
     * isAsymmetric() wait for the selection (seen waiting first); after: heavy() is the selected one's, resolve()
     * gives it out. A selection that ends in a symmetric barrier never makes light() weak.
     */
    @Test
    void aDeferredBarrierTakesTheSelectedOnesHeavyOnceSettledAndItsQuestionsWait() throws Exception {
        CountDownLatch over = new CountDownLatch(1);
        DeferredBarrier d = new DeferredBarrier(() -> {
            try {
                over.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, () -> over.getCount() == 0);
        assertTrue(d.toString().startsWith("ProcessBarrier[selecting"), "toString() never waits: " + d);
        Counting selected = new Counting();
        d.light();
        d.heavy();
        assertEquals(0, selected.heavies.get());
        assertSame(d, DeferredBarrier.resolve(d), "nothing to exchange it for yet");
        String[] name = new String[1];
        Thread asker = new Thread(() -> name[0] = d.name(), "asker");
        asker.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (asker.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // the premise: the asker is inside the wait
        }
        assertEquals(Thread.State.WAITING, asker.getState());
        d.settle(selected);
        over.countDown();
        asker.join(TimeUnit.SECONDS.toMillis(60));
        assertEquals("counting", name[0]);
        assertTrue(d.isSettled() && d.isAsymmetric());
        d.heavy();
        assertEquals(1, selected.heavies.get(), "heavy() is the selected barrier's once it exists");
        assertSame(selected, DeferredBarrier.resolve(d));

        DeferredBarrier f = new DeferredBarrier(() -> { }, () -> true);
        f.settle(FenceBarrier.INSTANCE);
        assertFalse(f.isAsymmetric(), "a fence selected: light() stays a fence");
        assertEquals("fence", f.name());
        assertSame(FenceBarrier.INSTANCE, DeferredBarrier.resolve(f));
    }

    /**
     * {@code lightIsAcquireFence}: true only where {@code light()} is the api's asymmetric one for good (sync's
     * handles then emit its fence themselves), never for a fence, a barrier of the caller's own (its {@code light()}
     * may do anything), or a deferred barrier before it settles; a deferred one that settled on the api's asymmetric
     * barrier becomes true.
     */
    @Test
    void lightIsAnAcquireFenceOnlyForTheApisAsymmetricBarrierOnceSettled() {
        AsymmetricProcessBarrier api = new CoalescerTest.Fake().wrapper();
        assertTrue(DeferredBarrier.lightIsAcquireFence(api));
        assertFalse(DeferredBarrier.lightIsAcquireFence(FenceBarrier.INSTANCE));
        assertFalse(DeferredBarrier.lightIsAcquireFence(new Counting()), "the caller's own asymmetric barrier");
        DeferredBarrier d = new DeferredBarrier(() -> { }, () -> false);
        assertFalse(DeferredBarrier.lightIsAcquireFence(d), "not settled: light() is a full fence");
        d.settle(api);
        assertTrue(DeferredBarrier.lightIsAcquireFence(d), "settled on the api's asymmetric barrier");
        DeferredBarrier own = new DeferredBarrier(() -> { }, () -> true);
        own.settle(new Counting());
        assertFalse(DeferredBarrier.lightIsAcquireFence(own), "settled on a barrier of the caller's own");
        DeferredBarrier f = new DeferredBarrier(() -> { }, () -> true);
        f.settle(FenceBarrier.INSTANCE);
        assertFalse(DeferredBarrier.lightIsAcquireFence(f), "settled on the fence");
    }
}
