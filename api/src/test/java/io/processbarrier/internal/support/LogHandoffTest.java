package io.processbarrier.internal.support;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The records of selection leave the caller's thread and are never lost: a program that exits right after get() (by
 * returning from main, or by System.exit where System.exit does not log: {@link ExitLoggingProbe}) still shows them,
 * and no thread of the library keeps the JVM alive.
 * Controls seen failing: the code before (its DEBUG thread {@code processbarrier-log} was not a daemon, listed in
 * {@code nonDaemonThreads}), and this design without {@link LogHandoff#HOLD_OFF_MILLIS} (the daemon initialized
 * java.util.logging before the exit, whose own shutdown hook then closed the handlers under the record: the WARNING
 * lost in 4-5 of 6 runs).
 */
class LogHandoffTest {
    @Test
    void aShortProgramShowsTheDebugLineEvenWhenItReturnsAtOnce() throws Exception {
        // no premise: the library's hook initializes java.util.logging during the exit, too late for the backend to
        // register a hook of its own that could close the handler under the record (every JDK: main returning does
        // not log)
        assertDebugLineShown("return");
    }

    @Test
    void aShortProgramShowsTheDebugLineEvenWhenItExitsAtOnce() throws Exception {
        // the premise: System.exit does not itself initialize the logging before the hooks (ExitLoggingProbe says why
        // a JDK that does, 21 and later, loses such a record in a race no library can win)
        ChildProcess.Result probe = child(ExitLoggingProbe.class, List.of(), false, "java.lang.Runtime.level=ALL\n");
        assertEquals(0, probe.exit(), probe.toString());
        assumeFalse(probe.err().contains("Runtime.exit() called with status: 0"), "System.exit logs on this JDK, so "
                + "java.util.logging's own shutdown hook closes its handlers concurrently with the library's: a DEBUG"
                + " record still queued at System.exit is lost unless the library's hook wins (a WARNING of selection"
                + " is written on the caller, or to standard error once the JVM exits): " + probe);
        assertDebugLineShown("exit");
    }

    private static void assertDebugLineShown(String how) throws Exception {
        ChildProcess.Result r = child(how, false);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("", r.value("nonDaemonThreads"), "no library thread keeps the JVM alive: " + r);
        assertTrue(r.err().contains("FINE: ProcessBarrier: using service-good"), how + ": " + r);
    }

    @Test
    void theWarningOfSelectionIsWrittenOnTheCaller() throws Exception {
        ChildProcess.Result r = child("exit", true);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("WARNING: ProcessBarrier (io.processbarrier.internal.support.Settings): "
                + "ignoring processbarrier.someSettingOfANewerVersion, not a setting of this version"), r.toString());
        assertEquals("", r.value("nonDaemonThreads"), r.toString());
    }

    private static ChildProcess.Result child(String how, boolean unknownSetting) throws Exception {
        return child(ShortProgramChild.class, List.of(how), unknownSetting, "");
    }

    /** {@code moreConfig}: lines added to the java.util.logging configuration. */
    private static ChildProcess.Result child(Class<?> main, List<String> args, boolean unknownSetting,
            String moreConfig) throws Exception {
        Path props = Files.createTempFile("pb-logging", ".properties");
        try {
            // java.util.logging at FINE for io.processbarrier, to the console (stderr)
            Files.writeString(props, "handlers=java.util.logging.ConsoleHandler\n"
                    + "java.util.logging.ConsoleHandler.level=ALL\nio.processbarrier.level=ALL\n" + moreConfig);
            List<String> jvm = new java.util.ArrayList<>(List.of("-Djava.util.logging.config.file=" + props));
            if (unknownSetting) {
                jvm.add("-Dprocessbarrier.someSettingOfANewerVersion=1");
            }
            List<String> cmd = ChildProcess.javaCommand(List.of(), jvm, ChildProcess.classPath(), main,
                    args.toArray(new String[0]));
            return ChildProcess.run(cmd, Duration.ofSeconds(60), ChildProcess.Stderr.SEPARATE);
        } finally {
            Files.deleteIfExists(props);
        }
    }
}
