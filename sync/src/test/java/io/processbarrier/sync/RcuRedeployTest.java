package io.processbarrier.sync;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 item 3: a redeployed application leaves nothing. A child JVM ({@link RedeployHost}) loads the library and
 * an application in a throwaway class loader three times; the application uses {@code Rcu.shared()}, an
 * {@code RcuReference}, a {@code ReadMostlyLock} through write bursts and an {@code Rcu.create()} it never closes,
 * then everything is dropped with nothing called. Each loader must be collected and no {@code processbarrier-*}
 * thread may be left, within {@value #BOUND_SECONDS} s (the retire threads end after 1 s idle, the burst timer 1 s
 * after its last look). The premise, checked per round: the library's threads did run (the retire callbacks ran on
 * the retire threads, a burst timer was started), so their ending is what let the loader go. Old code: the retire
 * threads lived on, holding the loader: collected=false after the bound, threads left.
 */
class RcuRedeployTest {
    static final int BOUND_SECONDS = 30;

    @Test
    void aDroppedApplicationsLoaderIsCollectedAndNoLibraryThreadRemains() throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of("-Xmx128m"),
                ChildProcess.classPath(), RedeployHost.class, "3", Integer.toString(BOUND_SECONDS)),
                Duration.ofSeconds(4L * BOUND_SECONDS), ChildProcess.Stderr.SEPARATE);
        assertEquals(0, r.exit(), r.toString());
        for (int round = 1; round <= 3; round++) {
            String used = r.value("round" + round + ".used");
            assertTrue(used != null && used.matches("sharedRetiredOn=processbarrier-rcu-\\d+-retire "
                    + "ownRetiredOn=processbarrier-rcu-\\d+-retire burstTimersStarted=[1-9]\\d*"),
                    "the premise: the library's threads ran in round " + round + ": " + r);
            assertEquals("[]", r.value("round" + round + ".threadsLeft"), "round " + round + ": " + r);
            assertEquals("true", r.value("round" + round + ".collected"), "round " + round + ": " + r);
        }
        System.out.println("RcuRedeployTest: collected after " + r.value("round1.millis") + ", "
                + r.value("round2.millis") + ", " + r.value("round3.millis") + " ms");
    }
}
