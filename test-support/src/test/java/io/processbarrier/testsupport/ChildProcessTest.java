package io.processbarrier.testsupport;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a test learns from a child JVM that outlives its time: what it printed, and where its threads were. */
class ChildProcessTest {
    /** A child that says it started, then waits for ever in a method the dump must name. */
    public static final class Hangs {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("started=true");
            System.out.flush();
            waitForEver();
        }

        static void waitForEver() throws InterruptedException {
            new CountDownLatch(1).await();
        }
    }

    @Test
    void aChildThatHangsIsKilledAndItsOutputAndThreadsAreInTheFailure() {
        List<String> cmd = ChildProcess.javaCommand(List.of(), List.of(), ChildProcess.classPath(), Hangs.class);
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> ChildProcess.run(cmd, Duration.ofSeconds(5), ChildProcess.Stderr.SEPARATE));
        String m = e.getMessage();
        assertTrue(m.contains("did not finish within 5 s"), m);
        // the output before the kill (at a4931ba "so far" was read before the pipe's end, and came out empty)
        assertTrue(m.contains("started=true"), m);
        // the dump: the main thread reached its wait, in the method that waits
        assertTrue(m.contains("Full thread dump") && m.contains("Hangs.waitForEver"), m);
    }

    @Test
    void aChildThatEndsInTimeGivesItsOutput() throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of("-version"),
                ChildProcess.classPath(), Hangs.class), Duration.ofSeconds(60), ChildProcess.Stderr.MERGED);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("version"), r.toString());
    }
}
