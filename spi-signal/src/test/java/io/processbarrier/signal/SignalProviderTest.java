package io.processbarrier.signal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;
import io.processbarrier.spi.Availability;
import io.processbarrier.internal.support.NativeLibrary;
import io.processbarrier.internal.support.Settings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Availability, properties and selection of the signal provider, against the real signal dispositions. */
class SignalProviderTest {
    static int rtmin;
    static int rtmax;

    @BeforeAll
    static void load() {
        NativeLibrary.load(RtSignal.class, "signal");
        rtmin = RtSignal.sigrtmin();
        rtmax = RtSignal.sigrtmax();
    }

    static Settings props(Map<String, String> overrides) {
        return Settings.of(name -> overrides.containsKey(name) ? overrides.get(name) : System.getProperty(name));
    }

    /** A setting that breaks the rule is an error from probe() (and so from get()), never an unavailable provider. */
    static String configError(Map<String, String> overrides) {
        return assertThrows(ProcessBarrierException.class, () -> probe(overrides)).getMessage();
    }

    static Availability probe(Map<String, String> overrides) {
        return new SignalProvider(props(overrides)).probe();
    }

    @Test
    void availableHereWithTheDefaultRealTimeSignal() {
        SignalProvider p = new SignalProvider();
        Availability a = p.probe();
        assertTrue(a.isAvailable(), a.toString());
        int sig = rtmax - 3;
        assertTrue(a.detail().startsWith("signal " + sig + " (SIGRTMAX-3) to every thread"), a.detail());
        assertEquals(SignalProvider.PRIORITY, p.priority());
        assertTrue(sig >= rtmin && sig <= rtmax, "the default is a real-time signal the C library leaves to us");
    }

    @Test
    void selectionListsAllFourInPriorityOrder() {
        List<ProviderStatus> all = ProcessBarrier.providers();
        assertEquals(List.of("membarrier", "mprotect", "signal", "fence"),
                all.stream().map(ProviderStatus::name).collect(Collectors.toList()), all.toString());
        assertEquals(List.of(400, 300, 200, 0),
                all.stream().map(ProviderStatus::priority).collect(Collectors.toList()), all.toString());
        ProviderStatus signal = all.get(2);
        assertTrue(signal.available(), signal.toString());
        assertFalse(signal.selected());
        ProcessBarrier b = ProcessBarrier.of("signal");
        assertEquals("signal", b.name());
        assertTrue(b.isAsymmetric());
        b.heavy();
        assertEquals(rtmax - 3, RtSignal.installedSignal());
        assertEquals(RtSignal.OURS, RtSignal.disposition(rtmax - 3));
    }

    @Test
    void acceptedSpellingsOfTheSignal() {
        assertEquals(rtmax - 3, SignalProvider.parseSignal(null, rtmin, rtmax));
        assertEquals(rtmax - 3, SignalProvider.parseSignal(" ", rtmin, rtmax));
        assertEquals(rtmax - 3, SignalProvider.parseSignal("SIGRTMAX-3", rtmin, rtmax));
        assertEquals(rtmax, SignalProvider.parseSignal("sigrtmax", rtmin, rtmax));
        assertEquals(rtmin + 2, SignalProvider.parseSignal("RTMIN+2", rtmin, rtmax));
        assertEquals(rtmin, SignalProvider.parseSignal("SIGRTMIN", rtmin, rtmax));
        assertEquals(40, SignalProvider.parseSignal("40", rtmin, rtmax));
        assertEquals("signal " + (rtmin + 2) + " (SIGRTMIN+2)", SignalProvider.describe(rtmin + 2, rtmin, rtmax));
        assertEquals("signal " + rtmax + " (SIGRTMAX)", SignalProvider.describe(rtmax, rtmin, rtmax));
    }

    @Test
    void malformedSignalIsAnErrorNamingPropertyValueAndRange() {
        String range = "Use a real-time signal from " + rtmin + " to " + rtmax;
        Map<String, String> why = Map.of(
                "abc", "is not a signal number or SIGRTMIN+n / SIGRTMAX-n",
                "SIGUSR1", "is not a signal number",
                "12", "is a standard signal",
                "33", "is reserved by the C library",
                "SIGRTMAX+1", "is not a signal number",
                "SIGRTMIN+99", "is above SIGRTMAX",
                "65", "is above SIGRTMAX",
                "-5", "is not a signal number");
        for (Map.Entry<String, String> e : why.entrySet()) {
            String m = configError(Map.of(SignalProvider.SIGNAL_PROPERTY, e.getKey()));
            assertTrue(m.startsWith(SignalProvider.SIGNAL_PROPERTY + "=" + e.getKey() + " " + e.getValue()), m);
            assertTrue(m.contains(range), m);
        }
    }

    @Test
    void malformedTimeoutIsAnErrorNamingPropertyValueAndRange() {
        for (String bad : List.of("-1", "0", "abc", "1.5", "86400001", "99999999999999999999")) {
            assertEquals(SignalProvider.TIMEOUT_PROPERTY + "=" + bad + " is not valid: use a whole number "
                    + "of milliseconds from 1 to 86400000 (the default is 5000)",
                    configError(Map.of(SignalProvider.TIMEOUT_PROPERTY, bad)));
        }
        assertTrue(probe(Map.of(SignalProvider.TIMEOUT_PROPERTY, " 250 ")).detail().endsWith("timeout 250 ms"));
    }

    /** Someone else's handler on the chosen signal: refused, named, and left in place. */
    @Test
    void foreignHandlerMakesItUnavailable() {
        int sig = rtmax - 5;
        TestHooks.setForeignHandler(sig, true);
        try {
            SignalProvider p = new SignalProvider(props(Map.of(SignalProvider.SIGNAL_PROPERTY, "SIGRTMAX-5")));
            Availability a = p.probe();
            assertFalse(a.isAvailable());
            assertEquals("signal " + sig + " (SIGRTMAX-5) already has a handler in this process, installed by other "
                    + "code; ProcessBarrier will not replace it. Choose a free real-time signal with -D"
                    + SignalProvider.SIGNAL_PROPERTY + "=<" + rtmin + ".." + rtmax + ", or SIGRTMAX-n>",
                    a.cause().getMessage());
            assertEquals(RtSignal.FOREIGN, RtSignal.disposition(sig), "the foreign handler is untouched");
        } finally {
            TestHooks.setForeignHandler(sig, false);
        }
        assertEquals(RtSignal.DEFAULT, RtSignal.disposition(sig));
    }

    /** The handler stays installed for good, so a process has one signal: another one is refused, with the fix. */
    @Test
    void aSecondSignalInTheSameProcessIsRefused() {
        ProcessBarrier.of("signal"); // installs the default
        Availability a = probe(Map.of(SignalProvider.SIGNAL_PROPERTY, "SIGRTMAX-4"));
        assertFalse(a.isAvailable());
        assertTrue(a.cause().getMessage().startsWith("this process already uses signal " + (rtmax - 3)
                + " (SIGRTMAX-3) for ProcessBarrier"), a.toString());
    }

    @Test
    void refusesOtherOperatingSystems() {
        Availability a = probe(Map.of("os.name", "Mac OS X"));
        assertFalse(a.isAvailable());
        assertTrue(a.cause().getMessage().contains("needs Linux") && a.cause().getMessage().contains("Mac OS X"));
    }

    @Test
    void prepareOrBarrierBeforeProbeIsAnError() {
        assertThrows(IllegalStateException.class, () -> new SignalProvider().prepare());
        assertThrows(IllegalStateException.class, () -> new SignalProvider().barrier());
    }

    @Test
    void barrierOnASignalWithoutOurHandlerIsRefusedNotSent() {
        // sending a real-time signal nobody handles would terminate the process
        ProcessBarrier.of("signal");
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class,
                () -> RtSignal.barrier(rtmax - 6, 1_000_000_000L, false));
        assertTrue(e.getMessage().contains("not installed"), e.getMessage());
    }

    @Test
    void procSignalMaskParsing() {
        assertTrue(SignalProvider.ThreadReport.maskHas("0000000000000001", 1));
        assertFalse(SignalProvider.ThreadReport.maskHas("0000000000000001", 2));
        assertTrue(SignalProvider.ThreadReport.maskHas("1000000000000000", 61));
        assertTrue(SignalProvider.ThreadReport.maskHas("8000000000000000", 64));
        assertFalse(SignalProvider.ThreadReport.maskHas("7fffffffffffffff", 64));
    }

    @Test
    void userModeEmulationIsRecognisedFromTheHostsCpuinfo() throws Exception {
        String x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme sse2\n";
        String arm = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n";
        assertTrue(SignalProvider.userModeEmulation("aarch64", x86), "aarch64 JVM on an x86 host");
        assertTrue(SignalProvider.userModeEmulation("amd64", arm), "x86_64 JVM on an arm64 host");
        assertFalse(SignalProvider.userModeEmulation("aarch64", arm));
        assertFalse(SignalProvider.userModeEmulation("amd64", x86));
        assertFalse(SignalProvider.userModeEmulation("aarch64", null));
        String here = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
        assertFalse(SignalProvider.userModeEmulation(System.getProperty("os.arch"), here), "this JVM is native");
    }

    @Test
    void skipBlockingPropertyIsAutoTrueOrFalse() {
        assertTrue(SignalProvider.parseSkipBlocking(null, true));
        assertFalse(SignalProvider.parseSkipBlocking("auto", false));
        assertTrue(SignalProvider.parseSkipBlocking(" TRUE ", false));
        assertFalse(SignalProvider.parseSkipBlocking("false", true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SignalProvider.parseSkipBlocking("sometimes", false));
        assertEquals("processbarrier.signal.skipBlockingThreads=sometimes is not valid: use auto, true or false",
                e.getMessage());
    }
}
