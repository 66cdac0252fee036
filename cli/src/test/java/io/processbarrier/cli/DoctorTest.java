package io.processbarrier.cli;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DoctorTest {
    private record Run(int exit, String out, String err) {
    }

    private static Run doctor(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void reportsEnvironmentProvidersSelectionAndLatency() {
        Run r = doctor("--calls=200");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("membarrier  QUERY mask 0x"), r.out());
        assertTrue(Pattern.compile("(?m)^  membarrier +400 +yes +\\* +MEMBARRIER_CMD_PRIVATE_EXPEDITED").matcher(r.out()).find(),
                r.out());
        assertTrue(Pattern.compile("(?m)^  fence +0 +yes +VarHandle.fullFence").matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("ProcessBarrier.get() -> membarrier"), r.out());
        Matcher m = Pattern.compile("(?m)^  membarrier +200 +([0-9.]+ [nµm]?s) +([0-9.]+ [nµm]?s)$").matcher(r.out());
        assertTrue(m.find(), "a latency row with 200 calls, median and p99:\n" + r.out());
    }

    @Test
    void jsonReportHasTheSameFacts() {
        Run r = doctor("--json", "--calls=100");
        assertEquals(0, r.exit(), r.err());
        String json = r.out();
        assertTrue(json.trim().startsWith("{") && json.trim().endsWith("}"), json);
        assertTrue(json.contains("\"selected\": \"membarrier\""), json);
        assertTrue(json.contains("\"membarrierQueryMask\": \"0x"), json);
        assertTrue(Pattern.compile("\"provider\": \"membarrier\",\\s+\"calls\": 100,\\s+\"readerThreads\": 1,\\s+"
                + "\"medianNanos\": [1-9][0-9]*,\\s+\"p99Nanos\": [1-9][0-9]*").matcher(json).find(), json);
        assertFalse(r.err().contains("%]"), "no progress bar in JSON mode: " + r.err());
    }

    @Test
    void badOptionsAndCommandsGiveOneClearError() {
        Run r = doctor("--bogus");
        assertEquals(2, r.exit());
        assertEquals("processbarrier doctor: unknown option '--bogus' (accepted: --calls, --json, --no-latency). "
                + "Run with --help for usage.\n", r.err());
        r = doctor("--calls=-3");
        assertEquals(2, r.exit());
        assertEquals("processbarrier doctor: option --calls=-3: expected a positive number\n", r.err());
        r = doctor("--calls=1000001"); // issue 30: was cut to 1,000,000 without a word
        assertEquals(2, r.exit());
        assertEquals("processbarrier doctor: option --calls=1000001: at most 1000000\n", r.err());
        r = doctor("frobnicate");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("processbarrier: unknown command 'frobnicate'. Commands: doctor"), r.err());
        r = doctor("--help");
        assertEquals(0, r.exit());
        // run from target/classes here: the usage says how to start what is running (ConsumerIT: the real jars)
        assertTrue(r.out().startsWith("usage: java -cp <class path>:classes io.processbarrier.cli.Main [command] "
                + "[options]"), r.out());
    }

    /**
     * Issue 30: the usage named processbarrier-doctor.jar while Maven resolves processbarrier-cli-VERSION.jar; it
     * names the file that runs (the build's processbarrier-doctor.jar stays right too), and the thin jar's way.
     */
    @Test
    void theUsageNamesTheJarThatRuns() {
        assertEquals("java -jar processbarrier-cli-0.1.0.jar",
                Main.invocation(java.nio.file.Path.of("/m2/processbarrier-cli-0.1.0.jar"), true));
        assertEquals("java -jar processbarrier-doctor.jar",
                Main.invocation(java.nio.file.Path.of("cli/target/processbarrier-doctor.jar"), true));
        assertEquals("java -cp <class path>:processbarrier-cli-0.1.0-thin.jar io.processbarrier.cli.Main",
                Main.invocation(java.nio.file.Path.of("/m2/processbarrier-cli-0.1.0-thin.jar"), false));
        assertEquals("java -cp <class path> io.processbarrier.cli.Main", Main.invocation(null, false));
    }

    /** Issue 18: a bad setting made the doctor die with a stack trace; it is one line and exit status 2. */
    @Test
    void aBadSettingIsOneLineAndExitStatus2() throws Exception {
        for (String[] c : new String[][] {
            {"-Dprocessbarrier.coalesce=no", "processbarrier doctor: processbarrier.coalesce=no is not valid: use true "
                    + "or false"},
            // an unknown name fails only under strictSettings (issue 30, item 8: else one WARNING per copy)
            {"-Dprocessbarrier.provder=fence -Dprocessbarrier.strictSettings=true", "processbarrier doctor: "
                    + "processbarrier.provder is not a setting: did you mean processbarrier.provider? "
                    + "(processbarrier.strictSettings=true refuses names this version does not know)"},
        }) {
            ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of(c[0].split(" ")),
                    ChildProcess.classPath(), Main.class, "--no-latency"));
            assertEquals(2, r.exit(), r.toString());
            assertEquals(c[1], r.err().strip(), r.toString());
            assertEquals("", r.out(), r.toString());
        }
    }

    @Test
    void forcingAnUnknownProviderFailsNamingTheAvailableOnes() throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(),
                List.of("-Dprocessbarrier.provider=nope"), ChildProcess.classPath(), Main.class, "--no-latency"));
        assertEquals(1, r.exit(), r.toString());
        Matcher m = Pattern.compile("No barrier selected: processbarrier.provider=nope: no provider has that name. "
                + "Providers found: (.*)\\. Add the jar of the provider you want").matcher(r.out());
        assertTrue(m.find(), r.toString());
        assertTrue(m.group(1).startsWith("membarrier (available), "), m.group(1));
        assertTrue(m.group(1).endsWith("fence (available)"), m.group(1));
    }

    @Test
    void withoutTheNativesJarFenceIsSelectedAndMembarrierSaysWhy() throws Exception {
        List<String> cp = ChildProcess.classPathEntries(e -> !e.contains("natives-linux"));
        assertTrue(cp.size() < ChildProcess.classPathEntries(e -> true).size(),
                "the natives jars were on the class path");
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(),
                List.of("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir")),
                String.join(java.io.File.pathSeparator, cp), Main.class, "--json", "--no-latency"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("\"selected\": \"fence\""), r.toString());
        Matcher m = Pattern.compile("\"name\": \"membarrier\",[^}]*\"available\": false,[^}]*\"cause\": \"([^\"]*)\"")
                .matcher(r.out());
        assertTrue(m.find(), r.toString());
        assertTrue(m.group(1).startsWith("The native library for linux-x86_64 is not on the class path or module path"
                + " of io.processbarrier.internal.NativeLoader: add the dependency "
                + "io.processbarrier:processbarrier-natives-linux-x86_64 ("), m.group(1));
        // a misconfiguration: logged once, as a WARNING, with the reason for every provider not chosen
        Matcher log = Pattern.compile("WARNING: ProcessBarrier: using fence \\(.*; no asymmetric provider is "
                + "available\\); membarrier: unavailable: The native library for linux-x86_64 is not on the class "
                + "path or module path").matcher(r.err());
        assertTrue(log.find(), r.err());
        assertEquals(1, r.err().split("ProcessBarrier: using ", -1).length - 1, r.err());
    }
}
