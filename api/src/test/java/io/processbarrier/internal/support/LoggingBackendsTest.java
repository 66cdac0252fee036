package io.processbarrier.internal.support;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The selection's records reach the application's log under the System.Logger backends of Log4j ({@code log4j-jpl})
 * and SLF4J ({@code slf4j-jdk-platform-logging} with slf4j-simple), not only java.util.logging, with the application
 * logging a record of its own right after get(), so that its logging initializes while the library's DEBUG line is
 * pending (the race that lost it in 2 of 6 runs under log4j-jpl): the WARNING (written on the caller) in a program
 * that exits at once, returns from main, or lives on; the DEBUG line (written by the daemon) in one that lives on.
 * A program that logged and exits within the daemon's hold-off may lose the DEBUG line to the backend's own shutdown
 * hook: {@link LogHandoff} says why.
 */
class LoggingBackendsTest {
    @Test
    void log4jJplShowsTheWarningAndTheDebugLine() throws Exception {
        Path config = Files.createTempFile("pb-log4j2", ".xml");
        try {
            Files.writeString(config, "<Configuration status=\"ERROR\"><Appenders><Console name=\"out\" "
                    + "target=\"SYSTEM_OUT\"><PatternLayout pattern=\"%level %logger %msg%n\"/></Console></Appenders>"
                    + "<Loggers><Logger name=\"io.processbarrier\" level=\"DEBUG\"/><Root level=\"INFO\">"
                    + "<AppenderRef ref=\"out\"/></Root></Loggers></Configuration>");
            for (String how : List.of("exit", "return", "drain")) {
                ChildProcess.Result r = child(System.getProperty("pb.test.log4j"), how,
                        "-Dlog4j2.configurationFile=" + config);
                assertEquals(0, r.exit(), r.toString());
                assertTrue(r.out().contains("WARN io.processbarrier ProcessBarrier (io.processbarrier.internal.support"
                        + ".Settings): ignoring processbarrier.someSettingOfANewerVersion"), how + ": " + r);
                assertTrue(!how.equals("drain") || r.out().contains("DEBUG io.processbarrier ProcessBarrier: using "
                        + "service-good"), how + ": " + r);
                assertTrue(r.out().contains("INFO app the application's own first record"), how + ": " + r);
            }
        } finally {
            Files.deleteIfExists(config);
        }
    }

    @Test
    void slf4jPlatformLoggingShowsTheWarningAndTheDebugLine() throws Exception {
        for (String how : List.of("exit", "return", "drain")) {
            ChildProcess.Result r = child(System.getProperty("pb.test.slf4j"), how,
                    "-Dorg.slf4j.simpleLogger.log.io.processbarrier=debug");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.err().contains("WARN io.processbarrier - ProcessBarrier (io.processbarrier.internal.support"
                    + ".Settings): ignoring processbarrier.someSettingOfANewerVersion"), how + ": " + r);
            assertTrue(!how.equals("drain") || r.err().contains("DEBUG io.processbarrier - ProcessBarrier: using "
                    + "service-good"), how + ": " + r);
            assertTrue(r.err().contains("INFO app - the application's own first record"), how + ": " + r);
        }
    }

    private static ChildProcess.Result child(String backendJars, String how, String backendSetting)
            throws Exception {
        assertTrue(backendJars != null && !backendJars.contains("${"), "the pom passes the jars: " + backendJars);
        String cp = ChildProcess.classPath() + File.pathSeparator + backendJars;
        List<String> jvm = new ArrayList<>(List.of(backendSetting, "-Dprocessbarrier.someSettingOfANewerVersion=1"));
        List<String> cmd = ChildProcess.javaCommand(List.of(), jvm, cp, ShortProgramChild.class, how, "applog");
        ChildProcess.Result r = ChildProcess.run(cmd, Duration.ofSeconds(60), ChildProcess.Stderr.SEPARATE);
        if (how.equals("drain")) {
            assertEquals("true", r.value("drained"), r.toString());
        }
        return r;
    }
}
