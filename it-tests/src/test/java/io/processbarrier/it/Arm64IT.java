package io.processbarrier.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.processbarrier.it.DoctorContainer.Arch;
import io.processbarrier.it.DoctorContainer.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static io.processbarrier.it.DoctorContainer.provider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The doctor jar in a linux/arm64 container ({@code processbarrier-it:arm64}: an aarch64 Debian bookworm and an
 * aarch64 OpenJDK 17), run on this x86_64 machine by qemu-user through binfmt_misc.
 *
 * <p>What this proves: the natives jar's aarch64 {@code libprocessbarrier.so} is found and loads into an aarch64
 * JVM; membarrier (which qemu-user passes through to the host kernel) is selected; mprotect refuses with the arm64
 * reason (TLB invalidation by hardware broadcast sends no IPI, so it is no barrier there); signal works; selection
 * falls to signal, not mprotect, when seccomp denies membarrier; {@code verify} passes.
 *
 * <p>What it does not prove: arm64 memory ordering. Under qemu-user the guest's loads and stores run as host
 * (x86_64, TSO) instructions, so the memory model the litmus tests observe is the host's. A pass here says that
 * loading, probing, selection and the provider code paths work on aarch64, not that the barriers order an arm64
 * CPU's memory accesses; that needs real arm64 hardware. For the same reason {@code verify} is only required to
 * pass here (no forbidden outcome, no error, exit status 0), not to reach "verified": emulated, the threads rarely
 * meet inside the racy window, and the no-barrier control shows the forbidden outcome about once in 50,000 trials,
 * so a few seconds usually end "inconclusive".
 */
class Arm64IT {
    private static final Arch ARCH = Arch.ARM64;
    /** Per provider, control included; the time budget is wall-clock, so emulation does not stretch it. */
    private static final int VERIFY_SECONDS = 3;

    /** A doctor run takes 4-10 s here under emulation (JVM start, JIT), verify about 25-40 s: generous limits. */
    private static DoctorContainer doctor() {
        return DoctorContainer.on(ARCH).timeout(Duration.ofMinutes(3));
    }

    @Test
    void aarch64LibraryLoadsMembarrierIsSelectedMprotectRefusesSignalWorks() {
        Result r = doctor().run("--json", "--calls=200").expectExit(0);
        JsonNode report = r.json();
        Checks.environment(report, ARCH, r);
        assertTrue(report.path("environment").path("membarrierError").isNull(), r.describe());
        assertEquals("membarrier", report.path("selected").asText(), r.describe());
        assertTrue(provider(report, "membarrier").path("available").asBoolean(), r.describe());
        JsonNode mprotect = provider(report, "mprotect");
        assertFalse(mprotect.path("available").asBoolean(), "mprotect is no barrier on arm64: " + r.describe());
        assertTrue(Checks.mentionsArm64(mprotect.path("cause").asText()),
                "mprotect's cause must give the arm64 reason: " + r.describe());
        assertTrue(provider(report, "signal").path("available").asBoolean(), r.describe());
        assertTrue(provider(report, "fence").path("available").asBoolean(), r.describe());
        Checks.latencyOfEveryAvailableProvider(report, 200, r);
    }

    @Test
    void verifyPassesForMembarrierAndSignal() {
        Result r = Checks.verify(doctor().timeout(Duration.ofMinutes(4)), VERIFY_SECONDS);
        JsonNode report = r.json();
        for (String name : new String[] {"membarrier", "signal", "fence"}) {
            Checks.passed(report, name, r);
        }
        Checks.unavailable(report, "mprotect", r);
    }

    @Test
    void membarrierDeniedBySeccompFallsToSignalNotMprotect() {
        Result r = doctor().denyMembarrier().run("--json", "--calls=200").expectExit(0);
        JsonNode report = r.json();
        Checks.environment(report, ARCH, r);
        JsonNode membarrier = provider(report, "membarrier");
        assertFalse(membarrier.path("available").asBoolean(), r.describe());
        assertTrue(membarrier.path("cause").asText().contains("EPERM"), r.describe());
        assertFalse(provider(report, "mprotect").path("available").asBoolean(), r.describe());
        assertEquals("signal", report.path("selected").asText(), r.describe());
        assertTrue(provider(report, "signal").path("selected").asBoolean(), r.describe());
        Checks.latencyOfEveryAvailableProvider(report, 200, r);
    }

    @ParameterizedTest(name = "-Dprocessbarrier.provider={0}")
    @ValueSource(strings = {"membarrier", "signal", "fence"})
    void aProviderForcedByPropertyIsSelected(String name) {
        Result r = doctor().property("processbarrier.provider", name).run("--json", "--no-latency").expectExit(0);
        JsonNode report = r.json();
        assertEquals(name, report.path("selected").asText(), r.describe());
        assertTrue(provider(report, name).path("selected").asBoolean(), r.describe());
    }

    @Test
    void forcingMprotectFailsWithTheArm64Cause() {
        Result r = doctor().property("processbarrier.provider", "mprotect").run("--json", "--no-latency").expectExit(1);
        JsonNode report = r.json();
        assertTrue(report.path("selected").isNull(), r.describe());
        String error = report.path("selectionError").asText();
        assertTrue(error.contains("mprotect") && Checks.mentionsArm64(error), r.describe());
    }
}
