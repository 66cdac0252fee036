package io.processbarrier.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.processbarrier.it.DoctorContainer.Arch;
import io.processbarrier.it.DoctorContainer.Result;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions shared by the amd64 and arm64 tests about the doctor's and verify's JSON reports. */
final class Checks {
    private Checks() {
    }

    /** The JVM in the container is the expected architecture and loaded that architecture's natives. */
    static void environment(JsonNode report, Arch arch, Result r) {
        JsonNode env = report.path("environment");
        assertEquals("Linux", env.path("os").asText(), r.describe());
        assertEquals(arch.osArch, env.path("arch").asText(), "os.arch inside the container: " + r.describe());
        assertEquals(arch.natives, env.path("nativesPlatform").asText(), r.describe());
        assertTrue(env.path("jdk").asText().contains("17."), "the image's JDK 17: " + r.describe());
    }

    /** Every available provider has a latency entry with no error and positive timings. */
    static void latencyOfEveryAvailableProvider(JsonNode report, int calls, Result r) {
        List<String> available = new ArrayList<>();
        for (JsonNode p : report.path("providers")) {
            if (p.path("available").asBoolean()) {
                available.add(p.path("name").asText());
            }
        }
        List<String> measured = new ArrayList<>();
        for (JsonNode l : report.path("latency")) {
            String name = l.path("provider").asText();
            measured.add(name);
            assertTrue(l.path("error").isNull(), "heavy() of " + name + " failed: " + r.describe());
            assertEquals(calls, l.path("calls").asInt(), r.describe());
            assertTrue(l.path("medianNanos").asLong() > 0 && l.path("p99Nanos").asLong() > 0, r.describe());
        }
        assertEquals(available, measured, "a latency entry for each available provider: " + r.describe());
    }

    static List<String> texts(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }

    static boolean mentionsArm64(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        return t.contains("arm64") || t.contains("aarch64");
    }

    // --- verify ---------------------------------------------------------------------------------------------------

    /**
     * {@code verify --json --seconds=N}: the store-buffering litmus test of every available provider, each
     * interleaved with a no-barrier control. Exit status 0 means no provider FAILED; the report is JSON either way.
     */
    static Result verify(DoctorContainer container, int secondsPerProvider) {
        Result r = container.run("verify", "--json", "--seconds=" + secondsPerProvider);
        JsonNode report = r.json();
        assertEquals(0, r.exitCode(), "verify must not fail: " + r.describe());
        assertNotEquals("FAILED", report.path("verdict").asText(), r.describe());
        return r;
    }

    /**
     * The provider ran its trials without error, no forbidden outcome appeared, and the no-barrier control interleaved
     * with its batches showed the forbidden outcome: the run could have caught this provider not working. Where the
     * machine runs the code natively (amd64 here) the control shows it hundreds of times a second, so anything less
     * than "verified" for any one provider is a test with zero power, and fails.
     */
    static void verified(JsonNode report, String name, Result r) {
        JsonNode v = ran(report, name, r);
        assertEquals("verified", v.path("verdict").asText(), name + " must be verified (its control showed the "
                + "forbidden outcome " + v.path("controlForbidden").asLong() + " times in "
                + v.path("controlTrials").asLong() + " trials): " + r.describe());
        assertTrue(v.path("controlForbidden").asLong() > 0, name + ": no forbidden outcome in its control: "
                + r.describe());
    }

    /**
     * The provider ran its trials without error and no forbidden outcome appeared; the verdict may be inconclusive
     * when the control showed no forbidden outcome either (under qemu-user it shows about one in 50,000 trials).
     * For emulated architectures only: natively, use {@link #verified}.
     */
    static void passed(JsonNode report, String name, Result r) {
        JsonNode v = ran(report, name, r);
        String verdict = v.path("verdict").asText();
        assertTrue(verdict.equals("verified") || verdict.equals("inconclusive"),
                name + " must be verified or inconclusive: " + r.describe());
    }

    private static JsonNode ran(JsonNode report, String name, Result r) {
        JsonNode v = DoctorContainer.verdict(report, name);
        assertTrue(v.path("available").asBoolean(), name + " must be available: " + r.describe());
        assertTrue(v.path("error").isNull(), name + " must run without error: " + r.describe());
        assertTrue(v.path("trials").asLong() > 0, name + " must have run trials: " + r.describe());
        assertEquals(0, v.path("forbidden").asLong(), name + " let a forbidden outcome through: " + r.describe());
        return v;
    }

    /** The provider is reported unavailable (not verified, not failed), with its cause. */
    static void unavailable(JsonNode report, String name, Result r) {
        JsonNode v = DoctorContainer.verdict(report, name);
        assertEquals("unavailable", v.path("verdict").asText(), r.describe());
        assertFalse(v.path("error").asText().isEmpty(), "an unavailable provider's cause: " + r.describe());
    }
}
