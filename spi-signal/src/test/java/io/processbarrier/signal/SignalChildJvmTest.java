package io.processbarrier.signal;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a fresh JVM does: selection properties are read once per process. */
class SignalChildJvmTest {

    /** {@link ChildMain} in a new JVM on this test's class path */
    private static ChildProcess.Result child(String... jvmArgs) throws Exception {
        return ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of(jvmArgs), ChildProcess.classPath(),
                ChildMain.class));
    }

    @Test
    void forcedByPropertyOverHigherPriorityProviders() throws Exception {
        ChildProcess.Result r = child("-Dprocessbarrier.provider=signal");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("status signal priority=200 available=true selected=true"), r.toString());
        assertTrue(r.out().contains("selected signal\nheavy ok"), r.toString());
    }

    @Test
    void excludingTheOthersSelectsSignal() throws Exception {
        ChildProcess.Result r = child("-Dprocessbarrier.exclude=membarrier,mprotect");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("selected signal\nheavy ok"), r.toString());
    }

    @Test
    void anotherSignalByProperty() throws Exception {
        ChildProcess.Result r = child("-Dprocessbarrier.provider=signal",
                "-Dprocessbarrier.signal.number=SIGRTMIN+5");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("selected=true | signal 39 (SIGRTMIN+5) to every thread"), r.toString());
        assertTrue(r.out().contains("selected signal\nheavy ok"), r.toString());
    }

    @Test
    void forcingItWithABadPropertyFailsSayingWhy() throws Exception {
        ChildProcess.Result r = child("-Dprocessbarrier.provider=signal",
                "-Dprocessbarrier.signal.number=SIGUSR2");
        assertEquals(0, r.exit(), r.toString());
        // a setting that breaks the rule is the error itself, not a reason among others
        assertTrue(r.out().contains("get failed: processbarrier.signal.number=SIGUSR2 is not a signal number or "
                + "SIGRTMIN+n / SIGRTMAX-n"), r.toString());
    }
}
