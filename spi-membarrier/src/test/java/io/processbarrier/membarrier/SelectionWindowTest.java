package io.processbarrier.membarrier;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 29: the first {@code get()} returns before the selection, with a barrier that is correct from its first call.
 * A store-buffering litmus across the end of the selection window, with membarrier selected, in a fresh JVM each
 * (selection is once per process), and its control.
 */
class SelectionWindowTest {
    /**
     * Writer rounds: the window opens at round 10, rounds then run ~100 µs apart until the switch (a selection takes
     * 20-60 ms on a 2-vCPU VM), the last 100 after it in any case (see SelectionWindowChild).
     */
    private static final String ROUNDS = "2000";

    @Test
    void aLitmusAcrossTheSelectionWindowFindsNoForbiddenOutcome() throws Exception {
        ChildProcess.Result r = child("window");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("true", r.value("deferred"), r.toString());
        int settledAt = Integer.parseInt(r.value("settledAtRound"));
        assertTrue(settledAt > SelectionWindowChild.OPEN_AT && settledAt <= 2000 - SelectionWindowChild.TAIL + 1,
                "rounds ran on both sides of the switch: " + r);
        assertEquals("0", r.value("forbidden"), r.toString());
        assertEquals("membarrier", r.value("name"), r.toString());
        assertEquals("true", r.value("asymmetric"), r.toString());
        assertEquals("membarrier false", r.value("later"), "later get() calls return the selected barrier: " + r);
    }

    /**
     * The control: readers that take the fast light() before the selected barrier exists, against the window's
     * fence-only heavy(), give forbidden outcomes: the litmus above can fail.
     */
    @Test
    void readersThatSwitchBeforeTheSelectedBarrierExistsAreCaughtTheControl() throws Exception {
        ChildProcess.Result r = child("control");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("false", r.value("settledDuringControl"), "the control ran inside the window: " + r);
        assertTrue(Long.parseLong(r.value("forbidden")) > 0, "the control finds forbidden outcomes: " + r);
    }

    private static ChildProcess.Result child(String mode) throws Exception {
        List<String> cmd = ChildProcess.javaCommand(List.of(), List.of(), ChildProcess.classPath(),
                SelectionWindowChild.class, mode, ROUNDS);
        return ChildProcess.run(cmd, Duration.ofSeconds(120), ChildProcess.Stderr.MERGED);
    }
}
