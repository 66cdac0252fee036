package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;
import io.processbarrier.internal.TestProviders.Scripted;
import io.processbarrier.internal.support.Settings;
import io.processbarrier.spi.Availability;
import io.processbarrier.spi.ProcessBarrierProvider;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.Map;
import java.util.ServiceConfigurationError;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelectorTest {
    private final Map<String, String> props = new HashMap<>();

    private Selector selector(ProcessBarrierProvider... providers) {
        List<ProcessBarrierProvider> list = new ArrayList<>(List.of(providers));
        list.add(FenceBarrier.PROVIDER);
        return new Selector(list, List.of(), Settings.of(props::get));
    }

    private static ProviderStatus status(Selector s, String name) {
        return s.statuses().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void highestPriorityAvailableWins() {
        Selector s = selector(Scripted.available("low", 10), Scripted.available("high", 300),
                Scripted.unavailable("higher-but-broken", 400, "kernel says no"));
        assertEquals("high", s.defaultBarrier().name());
        assertTrue(status(s, "high").selected());
        assertEquals(1, s.statuses().stream().filter(ProviderStatus::selected).count());
        assertEquals(List.of("higher-but-broken", "high", "low", "fence"),
                s.statuses().stream().map(ProviderStatus::name).toList(), "statuses come in selection order");
        ProviderStatus broken = status(s, "higher-but-broken");
        assertFalse(broken.available());
        assertEquals("kernel says no", broken.causeMessage());
    }

    @Test
    void providersAreProbedInPriorityOrderUntilOneIsAvailable() {
        Scripted best = Scripted.available("best", 400);
        Scripted broken = Scripted.unavailable("broken", 500, "kernel says no");
        Scripted costly = Scripted.available("costly-probe", 300);
        Selector s = selector(best, broken, costly);
        assertEquals("best", s.defaultBarrier().name());
        assertEquals(1, broken.probes.get(), "higher priority: probed first");
        assertEquals(1, best.probes.get());
        assertEquals(0, costly.probes.get(), "get() stops at the first available provider");
        s.statuses();
        assertEquals(1, costly.probes.get(), "statuses() (providers(), the doctor) probe every provider, once");
        assertEquals(1, best.probes.get());
    }

    @Test
    void aProbeThatLowersThePriorityIsLookedAtAgain() {
        // membarrier declares 400 before probing and may find only GLOBAL (100): then mprotect (300) must win
        Scripted lowered = new Scripted("lowered", 400, Availability.available("only the slow command"), null) {
            private volatile boolean probed;

            @Override
            public Availability probe() {
                probed = true;
                return super.probe();
            }

            @Override
            public int priority() {
                return probed ? 100 : 400;
            }
        };
        Selector s = selector(lowered, Scripted.available("middle", 300));
        assertEquals("middle", s.defaultBarrier().name());
    }

    @Test
    void providerNamesAreCaseInsensitive() {
        props.put(Selector.PROVIDER_PROPERTY, " LOW ");
        props.put(Selector.EXCLUDE_PROPERTY, "High");
        Selector s = selector(Scripted.available("low", 10), Scripted.available("high", 300));
        assertEquals("low", s.defaultBarrier().name());
        assertEquals("high", s.barrier("HIGH").name());
    }

    @Test
    void aMalformedBooleanIsAnErrorAtGetNeverQuietlyOnOrOff() {
        for (String bad : List.of("no", "1", "yes", "off")) {
            props.put(Selector.COALESCE_PROPERTY, bad);
            Selector s = selector(Scripted.available("p", 100));
            ProcessBarrierException e = assertThrows(ProcessBarrierException.class, s::defaultBarrier);
            assertEquals("processbarrier.coalesce=" + bad + " is not valid: use true or false", e.getMessage());
        }
        props.put(Selector.COALESCE_PROPERTY, " FALSE ");
        ProcessBarrier b = selector(Scripted.available("p", 100)).defaultBarrier();
        assertFalse(((AsymmetricProcessBarrier) b).isCoalescing(), "false, in any case, trimmed");
    }

    @Test
    void aProviderSettingThatBreaksTheRuleFailsGetAndOf() {
        Scripted bad = new Scripted("bad", 400, null, null) {
            @Override
            public Availability probe() {
                throw Settings.error("processbarrier.bad.timeout=abc is not valid: use a whole number");
            }
        };
        Selector s = selector(bad, Scripted.available("fine", 100));
        ProcessBarrierException get = assertThrows(ProcessBarrierException.class, s::defaultBarrier);
        assertEquals("processbarrier.bad.timeout=abc is not valid: use a whole number", get.getMessage());
        assertThrows(ProcessBarrierException.class, () -> s.barrier("bad"));
        assertThrows(ProcessBarrierException.class, s::choice);
    }

    @Test
    void askingSelectsPreparesAndLogsNothing() {
        Scripted best = Scripted.available("best", 400);
        Scripted low = Scripted.unavailable("low", 100, "no kernel support");
        Selector s = selector(best, low);
        assertTrue(s.availability("BEST").isAvailable());
        assertEquals("no kernel support", s.availability("low").cause().getMessage());
        assertFalse(s.availability("nope").isAvailable());
        assertTrue(s.availability("nope").cause().getMessage().startsWith("No ProcessBarrier provider named 'nope'"));
        assertEquals("best", s.choice());
        assertEquals(0, best.creations.get(), "nothing prepared (no registration) by asking");
        assertEquals(1, best.probes.get(), "probed once, the answer kept");
        assertEquals("best", s.defaultBarrier().name());
        assertEquals(1, best.creations.get());
        assertEquals("best", s.choice(), "after get(), the choice made");
    }

    @Test
    void equalPrioritiesBreakTiesByName() {
        Selector s = selector(Scripted.available("zeta", 100), Scripted.available("alpha", 100));
        assertEquals("alpha", s.defaultBarrier().name());
    }

    @Test
    void defaultIsChosenAndCreatedOnce() {
        Scripted p = Scripted.available("p", 100);
        Selector s = selector(p);
        ProcessBarrier a = s.defaultBarrier();
        assertSame(a, s.defaultBarrier());
        assertSame(a, s.barrier("p"), "of(name) shares the default's instance");
        assertEquals(1, p.creations.get());
    }

    @Test
    void noneAvailableFallsBackToFence() {
        Selector s = selector(Scripted.unavailable("a", 300, "no a"), Scripted.unavailable("b", 200, "no b"));
        ProcessBarrier b = s.defaultBarrier();
        assertEquals("fence", b.name());
        assertFalse(b.isAsymmetric());
        assertTrue(status(s, "fence").selected());
    }

    @Test
    void forcedProviderWinsOverPriority() {
        props.put(Selector.PROVIDER_PROPERTY, "low");
        Selector s = selector(Scripted.available("low", 10), Scripted.available("high", 300));
        assertEquals("low", s.defaultBarrier().name());
        assertTrue(status(s, "low").selected());
    }

    @Test
    void forcedUnknownProviderFailsListingWhatWasFound() {
        props.put(Selector.PROVIDER_PROPERTY, "nope");
        Selector s = selector(Scripted.available("real", 100), Scripted.unavailable("broken", 200, "no kernel"));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, s::defaultBarrier);
        assertEquals("processbarrier.provider=nope: no provider has that name. Providers found: "
                + "broken (unavailable: no kernel), real (available), fence (available). Add the jar of the "
                + "provider you want, or choose one of the names above.", e.getMessage());
        // fails the same way every time, and providers() still answers
        assertThrows(ProcessBarrierException.class, s::defaultBarrier);
        assertTrue(s.statuses().stream().noneMatch(ProviderStatus::selected));
    }

    @Test
    void forcedUnavailableProviderFailsWithItsCause() {
        props.put(Selector.PROVIDER_PROPERTY, "broken");
        Selector s = selector(Scripted.unavailable("broken", 200, "EPERM from seccomp"));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, s::defaultBarrier);
        assertTrue(e.getMessage().startsWith("processbarrier.provider=broken is unavailable here: EPERM from seccomp."),
                e.getMessage());
        assertEquals("EPERM from seccomp", e.getCause().getMessage());
    }

    @Test
    void excludedProvidersAreSkipped() {
        props.put(Selector.EXCLUDE_PROPERTY, " high , other");
        Selector s = selector(Scripted.available("high", 300), Scripted.available("low", 10));
        assertEquals("low", s.defaultBarrier().name());
    }

    @Test
    void forcedAndExcludedAtOnceIsAnError() {
        props.put(Selector.PROVIDER_PROPERTY, "high");
        props.put(Selector.EXCLUDE_PROPERTY, "high");
        Selector s = selector(Scripted.available("high", 300));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, s::defaultBarrier);
        assertTrue(e.getMessage().contains("remove it from one of them"), e.getMessage());
    }

    @Test
    void providerThatThrowsWhileProbingBecomesUnavailable() {
        ProcessBarrierProvider throwing = new Scripted("throws", 500, null, null) {
            @Override
            public Availability probe() {
                throw new UnsatisfiedLinkError("libprocessbarrier.so: wrong ELF class");
            }
        };
        Selector s = selector(throwing, Scripted.available("ok", 100));
        assertEquals("ok", s.defaultBarrier().name());
        ProviderStatus st = status(s, "throws");
        assertFalse(st.available());
        assertInstanceOf(UnsatisfiedLinkError.class, st.cause());
        assertEquals(500, st.priority());
    }

    @Test
    void providerWhoseCreateFailsFallsToTheNextAndSaysWhy() {
        Scripted failing = new Scripted("fails", 500, Availability.available("looked fine"),
                new IllegalStateException("registration failed: EPERM"));
        Selector s = selector(failing, Scripted.available("next", 100));
        assertEquals("next", s.defaultBarrier().name());
        ProviderStatus st = status(s, "fails");
        assertFalse(st.available());
        assertEquals("probed as available, but preparing it failed: registration failed: EPERM", st.causeMessage());
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, () -> s.barrier("fails"));
        assertTrue(e.getMessage().contains("registration failed: EPERM"), e.getMessage());
    }

    @Test
    void ofUnknownNameListsProviders() {
        Selector s = selector(Scripted.available("one", 100));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, () -> s.barrier("two"));
        assertEquals("No ProcessBarrier provider named 'two'. Providers found: one (available), fence (available).",
                e.getMessage());
    }

    @Test
    void serviceLoaderEntriesThatFailToLoadBecomeUnavailableEntries() {
        Selector s = Selector.fromServiceLoader(Settings.of(props::get));
        List<ProviderStatus> st = s.statuses();
        assertEquals("service-good", s.defaultBarrier().name(), st.toString());
        ProviderStatus probeThrows = status(s, "service-probe-throws");
        assertInstanceOf(UnsatisfiedLinkError.class, probeThrows.cause());
        List<ProviderStatus> unloadable = st.stream().filter(p -> p.name().startsWith("<unloadable")).toList();
        assertEquals(2, unloadable.size(), st.toString());
        assertTrue(unloadable.stream().allMatch(p -> p.cause() instanceof ServiceConfigurationError));
        assertTrue(unloadable.stream().anyMatch(p -> p.causeMessage().contains("constructor exploded")), st.toString());
        assertTrue(unloadable.stream().anyMatch(p -> p.causeMessage().contains("NoSuchProviderClass")), st.toString());
        assertEquals("fence", st.get(st.size() - 3).name(), "fence sorts after every loadable provider");
    }

    /**
     * The project's providers are found by name and the class-path scan runs in the background: another party's
     * provider is still found, and chosen whenever the project's would end in fence (here: none on this class path).
     */
    @Test
    void fromClassPathStillFindsAnotherPartysProviderWhenTheProjectsAreAbsent() {
        Selector s = Selector.fromClassPath(Settings.of(props::get));
        assertEquals("service-good", s.defaultBarrier().name(), "waited for the scan rather than settle for fence");
        assertEquals("service-good", s.choice());
        List<ProviderStatus> st = s.statuses();
        assertEquals(2, st.stream().filter(p -> p.name().startsWith("<unloadable")).count(), st.toString());
        assertTrue(status(s, "service-good").selected());
        assertEquals("service-good", Selector.fromClassPath(Settings.of(props::get)).barrier("service-good").name(),
                "of(name) waits for the scan for a name it does not know yet");
    }

    /**
     * With a project provider available, get() does not wait for the scan; a provider found later that outranks the
     * choice is named in a WARNING (here: service-good, 50, above an available "membarrier" of 10). Control: with the
     * scan merged first (statuses() before get()), get() chooses it, as the one-scan selection always did.
     */
    @Test
    void aLateProviderThatOutranksTheChoiceIsWarnedAbout() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        ProviderScan scan = new ProviderScan(SelectorTest.class.getClassLoader(), () -> {
            try {
                held.await(); // the premise: get() chooses before the scan has found anything
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Selector s = new Selector(List.of(Scripted.available("membarrier", 10), FenceBarrier.PROVIDER), List.of(),
                Settings.of(props::get), scan);
        assertEquals("membarrier", s.defaultBarrier().name());
        held.countDown();
        scan.await();
        String warning = null;
        for (int i = 0; i < 100_000 && (warning = s.lateWarning) == null; i++) {
            Thread.onSpinWait(); // the scan's thread merges and warns right after it marks the scan done
            if (i % 100 == 99) {
                Thread.sleep(1);
            }
        }
        assertTrue(warning != null && warning.contains("service-good (io.processbarrier.internal.TestProviders"
                + "$ServiceGood, priority 50)") && warning.contains("-Dprocessbarrier.provider=<name>"),
                String.valueOf(warning));
        assertEquals("membarrier", s.choice(), "choice() says what get() chose");

        Selector merged = new Selector(List.of(Scripted.available("membarrier", 10), FenceBarrier.PROVIDER),
                List.of(), Settings.of(props::get), new ProviderScan(SelectorTest.class.getClassLoader()));
        merged.statuses();
        assertEquals("service-good", merged.defaultBarrier().name());
    }

    /**
     * The late check's WARNING is written on the scan's thread after it has released the selector's lock: a logging
     * backend that, while it initializes, calls into selection on another thread and waits for it (here: the handler
     * runs {@code statuses()} on a second thread and joins it) does not deadlock. Control: the code before this fix
     * logged under the lock (seen failing "the WARNING is written without the selector's lock").
     */
    @Test
    void theLateWarningIsLoggedAfterTheSelectorsLockIsReleased() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        ProviderScan scan = new ProviderScan(SelectorTest.class.getClassLoader(), () -> {
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Selector s = new Selector(List.of(Scripted.available("membarrier", 10), FenceBarrier.PROVIDER), List.of(),
                Settings.of(props::get), scan);
        java.util.concurrent.atomic.AtomicReference<Object[]> seen = new java.util.concurrent.atomic.AtomicReference<>();
        CountDownLatch logged = new CountDownLatch(1);
        s.scanWarningSink = message -> {
            if (!message.contains("found after get() had chosen")) {
                return;
            }
            boolean locked = Thread.holdsLock(s);
            Thread other = new Thread(s::statuses, "backend-init"); // a backend's initialization, asking selection
            other.setDaemon(true);
            other.start();
            try {
                other.join(10_000); // bounded: with the lock held here it would wait for ever
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            seen.set(new Object[] {locked, other.isAlive(), Thread.currentThread().getName()});
            logged.countDown();
        };
        assertEquals("membarrier", s.defaultBarrier().name());
        held.countDown();
        assertTrue(logged.await(60, java.util.concurrent.TimeUnit.SECONDS), "the late WARNING was written");
        Object[] r = seen.get();
        assertEquals("processbarrier-providers", r[2], "the premise: logged on the scan's thread");
        assertEquals(false, r[0], "the WARNING is written without the selector's lock");
        assertEquals(false, r[1], "another thread's selection call did not wait for the logging thread");
    }

    /**
     * The first {@code get()} of the JVM may return the deferred barrier while the choice is made on a library thread
     * (issue 29): only once the choice is made does {@code get()} return one instance. {@code name()} of the first
     * waits for that (BackgroundSelection's class doc); comparing the first with the second {@code get()} raced it.
     */
    @Test
    void publicApiUsesTheSameSelection() {
        ProcessBarrier first = ProcessBarrier.get();
        assertEquals("service-good", first.name(), "the first barrier reports the choice (it waits for it)");
        assertTrue(first.isAsymmetric());
        ProcessBarrier b = ProcessBarrier.get();
        assertSame(b, ProcessBarrier.get(), "once chosen, get() returns one barrier");
        assertEquals("service-good", b.name());
        assertTrue(b.isAsymmetric());
        assertSame(ProcessBarrier.of("fence"), ProcessBarrier.of("fence"));
        assertEquals(1, ProcessBarrier.providers().stream().filter(ProviderStatus::selected).count());
        b.light();
        b.heavy();
    }

    private Selector selectorFrom(Map<String, String> settings, ProcessBarrierProvider... providers) {
        List<ProcessBarrierProvider> list = new ArrayList<>(List.of(providers));
        list.add(FenceBarrier.PROVIDER);
        return new Selector(list, List.of(), Settings.of(settings));
    }

    /** Issue 18: a bad value of a provider get() never probes used to start fine, and fail where it is probed. */
    @Test
    void aBadValueForAProviderThatIsNeverProbedFailsGetAndOf() {
        Scripted membarrier = Scripted.available("membarrier", 400);
        Scripted signal = Scripted.available("signal", 200);
        Selector s = selectorFrom(Map.of("processbarrier.signal.timeoutMillis", "-1"), membarrier, signal);
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, s::defaultBarrier);
        assertEquals("processbarrier.signal.timeoutMillis=-1 is not valid: use a whole number of milliseconds from 1 "
                + "to 86400000 (the default is 5000)", e.getMessage());
        assertThrows(ProcessBarrierException.class, () -> s.barrier("membarrier"));
        assertThrows(ProcessBarrierException.class, s::choice);
        assertFalse(s.availability("membarrier").isAvailable());
        assertEquals(0, signal.probes.get(), "judged, not probed");
        assertEquals(3, s.statuses().size(), "providers() still reports what it finds");
    }

    @Test
    void anUnknownSettingIsAWarningOncePerCopyNotAFailureUnlessStrict() {
        // a newer copy's setting, or a typo: this copy selects as usual and warns once, naming the close name
        Selector s = selectorFrom(Map.of("processbarrier.provder", "fence", "processbarrier.sync.newThing", "1"),
                Scripted.available("membarrier", 400));
        assertEquals("membarrier", s.defaultBarrier().name());
        assertTrue(s.settingsWarning.contains("processbarrier.provder, not a setting of this version: did you mean "
                + "processbarrier.provider?"), s.settingsWarning);
        assertTrue(s.settingsWarning.contains("processbarrier.sync.newThing, not a setting of this version ("),
                s.settingsWarning);
        // strict: the old rule, opt-in
        Selector strict = selectorFrom(Map.of("processbarrier.provder", "fence", "processbarrier.strictSettings",
                "true"), Scripted.available("membarrier", 400));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, strict::defaultBarrier);
        assertTrue(e.getMessage().startsWith("processbarrier.provder is not a setting: did you mean "
                + "processbarrier.provider?"), e.getMessage());
        // a wrong value of a known setting still fails, strict or not
        Selector bad = selectorFrom(Map.of("processbarrier.coalesce", "no", "processbarrier.other", "x"),
                Scripted.available("membarrier", 400));
        assertThrows(ProcessBarrierException.class, bad::defaultBarrier);
    }

    @Test
    void aForcedProjectProviderWhoseModuleIsAbsentNamesTheArtifact() {
        Selector s = selectorFrom(Map.of("processbarrier.provider", "mprotect"), Scripted.available("membarrier", 400));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, s::defaultBarrier);
        assertTrue(e.getMessage().startsWith("processbarrier.provider=mprotect: the provider mprotect is not on the "
                + "class path or module path: add io.processbarrier:processbarrier-spi-mprotect (or "
                + "io.processbarrier:processbarrier-all)."), e.getMessage());
        Selector typo = selectorFrom(Map.of("processbarrier.provider", "membarier"),
                Scripted.available("membarrier", 400));
        e = assertThrows(ProcessBarrierException.class, typo::defaultBarrier);
        assertTrue(e.getMessage().startsWith("processbarrier.provider=membarier: no provider has that name: did you "
                + "mean membarrier?"), e.getMessage());
    }

    @Test
    void requireAsymmetricThrowsInsteadOfFenceListingEveryProviderAndItsCause() {
        Map<String, String> require = Map.of("processbarrier.requireAsymmetric", "true");
        Selector s = selectorFrom(require, Scripted.unavailable("membarrier", 400, "the kernel refuses it (EPERM)"),
                Scripted.unavailable("signal", 200, "no /proc"));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, s::defaultBarrier);
        assertTrue(e.getMessage().startsWith("processbarrier.requireAsymmetric=true, but no asymmetric provider is "
                + "available here. Providers found: "), e.getMessage());
        assertTrue(e.getMessage().contains("membarrier (unavailable: the kernel refuses it (EPERM))"), e.getMessage());
        assertTrue(e.getMessage().contains("signal (unavailable: no /proc)"), e.getMessage());
        assertFalse(e.getMessage().contains("processbarrier-all"), "provider modules are here: " + e.getMessage());
        assertThrows(ProcessBarrierException.class, s::choice, "choice() says what get() would do");

        Selector none = selectorFrom(require);
        e = assertThrows(ProcessBarrierException.class, none::defaultBarrier);
        assertTrue(e.getMessage().contains("No provider module is on the class path or module path: add "
                + "io.processbarrier:processbarrier-all, or a provider"), e.getMessage());

        Selector fine = selectorFrom(require, Scripted.available("membarrier", 400));
        assertEquals("membarrier", fine.defaultBarrier().name());
        Selector forcedFence = selectorFrom(Map.of("processbarrier.requireAsymmetric", "true",
                "processbarrier.provider", "fence"), Scripted.available("membarrier", 400));
        assertThrows(ProcessBarrierException.class, forcedFence::defaultBarrier);
        // without it, fence as before
        assertEquals("fence", selectorFrom(Map.of()).defaultBarrier().name());
    }

    @Test
    void noProviderModuleAtAllIsAWarningThatNamesTheArtifacts() {
        Selector none = selectorFrom(Map.of());
        assertEquals("fence", none.defaultBarrier().name());
        assertTrue(none.lastChoiceLog.startsWith("WARNING ProcessBarrier: using fence"), none.lastChoiceLog);
        assertTrue(none.lastChoiceLog.contains("no provider module is on the class path or module path"),
                none.lastChoiceLog);
        assertTrue(none.lastChoiceLog.contains("add io.processbarrier:processbarrier-all"), none.lastChoiceLog);
        // providers present but unavailable here (macOS, say): the documented fallback, quiet
        Selector macos = selectorFrom(Map.of(), Scripted.unavailable("membarrier", 400, "os.name=Mac OS X"));
        assertEquals("fence", macos.defaultBarrier().name());
        assertTrue(macos.lastChoiceLog.startsWith("DEBUG "), macos.lastChoiceLog);
    }

    /** Issue 18 item 6: the log (and the doctor's output of it) said "fence: not probed" while providers() said available. */
    @Test
    void theChoiceLogCallsFenceAvailableAsProvidersDoes() {
        Selector s = selectorFrom(Map.of(), Scripted.available("membarrier", 400));
        assertEquals("membarrier", s.defaultBarrier().name());
        assertFalse(s.lastChoiceLog.contains("fence: not probed"), s.lastChoiceLog);
        assertTrue(s.lastChoiceLog.contains("fence: available, not chosen (priority 0)"), s.lastChoiceLog);
        assertTrue(status(s, "fence").available());
    }
}
