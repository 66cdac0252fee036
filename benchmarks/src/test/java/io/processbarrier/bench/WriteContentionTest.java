package io.processbarrier.bench;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code WriteContention}'s forked runs: one run in a JVM of its own comes back as its result, and a child that fails
 * gives one message naming the run and its exit status (not a hang, not a parse error).
 */
class WriteContentionTest {
    @Test
    void aForkedRunComesBackAsItsResult() throws Exception {
        WriteContention.Result r = WriteContention.forked("rrwl", "platform", 1, 0, TimeUnit.MILLISECONDS.toNanos(50));
        assertTrue(r.writes() > 0, "writes: " + r);
        assertTrue(r.nanos() >= TimeUnit.MILLISECONDS.toNanos(50), "nanos: " + r);
    }

    @Test
    void aChildThatFailsIsReportedWithTheRunAndItsExitStatus() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> WriteContention.forked("nosuch", "platform", 2, 0, TimeUnit.MILLISECONDS.toNanos(50)));
        assertTrue(e.getMessage().startsWith("the forked run of nosuch (threads=platform writers=2 readers=0) exited"
                + " with 1 and no result line"), e.getMessage());
    }
}
