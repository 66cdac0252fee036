package io.processbarrier.internal.support;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The records of selection leave the caller's thread and are never lost: a program that exits right after get() (by
 * System.exit, or by returning from main) still shows them, and no thread of the library keeps the JVM alive.
 * Controls seen failing: the code before (its DEBUG thread {@code processbarrier-log} was not a daemon, listed in
 * {@code nonDaemonThreads}), and this design without {@link LogHandoff#HOLD_OFF_MILLIS} (the daemon initialized
 * java.util.logging before the exit, whose own shutdown hook then closed the handlers under the record: the WARNING
 * lost in 4-5 of 6 runs).
 */
class LogHandoffTest {
    @Test
    void aShortProgramShowsTheDebugLineEvenWhenItExitsAtOnce() throws Exception {
        // the premise: a backend first initialized during the exit still writes (not on Temurin 25: HookLoggingProbe)
        ChildProcess.Result probe = child(HookLoggingProbe.class, List.of(), false);
        assumeTrue(probe.err().contains("hook-probe: written from a shutdown hook"), "this JDK writes nothing through"
                + " a logging backend first initialized in a shutdown hook, so no library can save a record at exit "
                + "there (a WARNING of selection is written on the caller): " + probe);
        for (String how : List.of("exit", "return")) {
            ChildProcess.Result r = child(how, false);
            assertEquals(0, r.exit(), r.toString());
            assertEquals("", r.value("nonDaemonThreads"), "no library thread keeps the JVM alive: " + r);
            assertTrue(r.err().contains("FINE: ProcessBarrier: using service-good"), how + ": " + r);
        }
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
        return child(ShortProgramChild.class, List.of(how), unknownSetting);
    }

    private static ChildProcess.Result child(Class<?> main, List<String> args, boolean unknownSetting)
            throws Exception {
        Path props = Files.createTempFile("pb-logging", ".properties");
        try {
            // java.util.logging at FINE for io.processbarrier, to the console (stderr)
            Files.writeString(props, "handlers=java.util.logging.ConsoleHandler\n"
                    + "java.util.logging.ConsoleHandler.level=ALL\nio.processbarrier.level=ALL\n");
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
