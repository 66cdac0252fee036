package io.processbarrier.testsupport;

import org.junit.jupiter.api.Assumptions;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Skips that CI does not allow. A test that needs root or a tool skips on a developer's machine that lacks it; under
 * {@code CI=true} (tools/test on CI, which runs as root and installs its tools) the same skip would hide a broken set-up
 * and a test with zero power behind a green build, so it fails instead (as the it-tests' NeverSkip does for containers).
 */
public final class Ci {
    private Ci() {
    }

    /** {@code true} when the environment variable CI is {@code true} (any case), as CI services set it. */
    public static boolean isCi() {
        return isCi(System.getenv("CI"));
    }

    static boolean isCi(String value) {
        return value != null && value.trim().equalsIgnoreCase("true");
    }

    /** {@link Assumptions#assumeTrue(boolean, String)}, except that under {@code CI=true} a false condition fails. */
    public static void assumeOrFailOnCi(boolean condition, String why) {
        assumeOrFailOnCi(condition, why, System.getenv("CI"));
    }

    /** As {@link #assumeOrFailOnCi(boolean, String)}, with the value of CI given (for its own test). */
    public static void assumeOrFailOnCi(boolean condition, String why, String ciVariable) {
        if (condition) {
            return;
        }
        if (isCi(ciVariable)) {
            fail("CI=true, where this test must run, but it would be skipped: " + why);
        }
        Assumptions.assumeTrue(false, why + " (skipped; under CI=true this fails)");
    }
}
