package io.processbarrier.testsupport;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The root- and tool-only tests' guard: a skip off CI, a failure under CI=true, nothing when the condition holds. */
class CiTest {
    @Test
    void underCiAMissingConditionFailsTheTest() {
        for (String ci : new String[] {"true", "TRUE", " true "}) {
            AssertionFailedError e = assertThrows(AssertionFailedError.class,
                    () -> Ci.assumeOrFailOnCi(false, "needs root", ci));
            assertTrue(e.getMessage().contains("CI=true") && e.getMessage().contains("needs root"), e.getMessage());
        }
    }

    @Test
    void offCiAMissingConditionSkipsTheTest() {
        for (String ci : new String[] {null, "", "false", "1"}) {
            TestAbortedException e = assertThrows(TestAbortedException.class,
                    () -> Ci.assumeOrFailOnCi(false, "needs root", ci));
            assertTrue(e.getMessage().contains("needs root"), e.getMessage());
        }
    }

    @Test
    void aConditionThatHoldsNeitherSkipsNorFails() {
        assertDoesNotThrow(() -> Ci.assumeOrFailOnCi(true, "needs root", "true"));
        assertDoesNotThrow(() -> Ci.assumeOrFailOnCi(true, "needs root", null));
    }
}
