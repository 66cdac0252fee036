package io.processbarrier.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    private record Run(int exit, String out, String err) {
    }

    private static Run bench(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = new String[args.length + 1];
        argv[0] = "bench";
        System.arraycopy(args, 0, argv, 1, args.length);
        int exit = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void tableWithEveryProviderAtEachThreadCountLightCostsAndAChart(@TempDir Path dir) throws Exception {
        Path chart = dir.resolve("chart.svg");
        Run r = bench("--threads=1,4", "--calls=50", "--millis=20", "--chart=" + chart);
        assertEquals(0, r.exit(), r.err());
        assertTrue(Pattern.compile("(?m)^  provider +1 thread +4 threads$").matcher(r.out()).find(), r.out());
        for (String p : List.of("membarrier \\*", "fence")) {
            assertTrue(Pattern.compile("(?m)^  " + p + " +[0-9.]+ [nµm]?s / [0-9.]+ [nµm]?s +[0-9.]+ [nµm]?s / "
                    + "[0-9.]+ [nµm]?s$").matcher(r.out()).find(), p + ":\n" + r.out());
        }
        Matcher light = Pattern.compile("(?m)^  light\\(\\) \\((\\w+)\\) +([0-9.]+)$").matcher(r.out());
        assertTrue(light.find(), r.out());
        assertTrue(r.out().contains("Chart: " + chart), r.out());
        assertTrue(r.err().contains("] heavy(): membarrier, 1 thread"), "progress on stderr: " + r.err());

        String svg = Files.readString(chart);
        assertTrue(svg.startsWith("<?xml") && svg.trim().endsWith("</svg>"), svg);
        assertFalse(svg.contains("<script") || svg.contains("href="), "self-contained, no scripts or links");
        assertTrue(svg.contains(">membarrier</text>") && svg.contains(">fence</text>"), "a legend entry per provider");
        // per provider: one median line (2 points) and one p99 line
        assertEquals(2 * countProviders(r.out()), count(svg, "<polyline "), svg);
        assertTrue(svg.contains("heavy() latency (log scale)") && svg.contains("running threads"), "axis labels");
    }

    @Test
    void jsonHasPointsLightAndTheChartPath(@TempDir Path dir) {
        Path chart = dir.resolve("c.svg");
        Run r = bench("--json", "--threads=2", "--calls=30", "--millis=10", "--chart", chart.toString());
        assertEquals(0, r.exit(), r.err());
        String json = r.out();
        assertTrue(json.trim().startsWith("{") && json.trim().endsWith("}"), json);
        assertTrue(Pattern.compile("\"name\": \"membarrier\",\\s+\"selected\": true,\\s+\"points\": \\[\\s+\\{\\s+"
                + "\"threads\": 2,\\s+\"calls\": 30,\\s+\"medianNanos\": [1-9][0-9]*,\\s+\"p99Nanos\": [1-9][0-9]*")
                .matcher(json).find(), json);
        assertTrue(Pattern.compile("\"lightNanos\": [0-9.]+,\\s+\"fullFenceNanos\": [0-9.]+").matcher(json).find(), json);
        assertTrue(json.contains("\"chart\": \"" + chart + "\""), json);
        assertFalse(r.err().contains("%]"), "no progress in JSON mode: " + r.err());
        assertTrue(Files.exists(chart));
    }

    /** Issue 30: bench (and bench --json) wrote processbarrier-bench.svg into the working directory, unasked. */
    @Test
    void noChartUnlessAsked() throws Exception {
        Path old = Path.of("processbarrier-bench.svg").toAbsolutePath(); // the working directory: cli/
        Files.deleteIfExists(old);
        try (java.util.stream.Stream<Path> s = Files.list(old.getParent())) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".svg")).toList(), "no chart to begin with");
        }
        Run r = bench("--json", "--threads=1", "--calls=20", "--millis=5");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\"chart\": null,"), r.out());
        r = bench("--threads=1", "--calls=20", "--millis=5");
        assertEquals(0, r.exit(), r.err());
        assertFalse(r.out().contains("Chart:"), r.out());
        try (java.util.stream.Stream<Path> s = Files.list(old.getParent())) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".svg")).toList(), "no file written");
        }
    }

    /** Issue 30: --chart=/nonexistent/dir/x.svg created the directories; refused, before anything is measured. */
    @Test
    void aChartInADirectoryThatDoesNotExistIsRefusedBeforeMeasuring(@TempDir Path dir) {
        Path chart = dir.resolve("no/such/x.svg");
        Run r = bench("--threads=1", "--calls=20", "--millis=5", "--chart=" + chart);
        assertEquals(2, r.exit(), r.out() + r.err());
        assertEquals("processbarrier bench: option --chart=" + chart + ": the directory " + chart.getParent()
                + " does not exist: create it first, or give a file in an existing directory\n", r.err(),
                "one line, and nothing measured (no progress): " + r.err());
        assertEquals("", r.out());
        assertFalse(Files.exists(dir.resolve("no")), "no directory created");
        r = bench("--chart=" + dir);
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().startsWith("processbarrier bench: option --chart=" + dir + ": " + dir + " is a directory: "
                + "give a file name, e.g. --chart=" + dir.resolve("processbarrier-bench.svg")), r.err());
    }

    /**
     * Issue 30: in a directory it cannot write, bench failed after the whole measurement. Refused before it, with the
     * reason: a read-only mount that only the child sees when root (root writes through permission bits), a mode-0500
     * directory otherwise.
     */
    @Test
    void aChartWhereTheDoctorCannotWriteIsRefusedBeforeMeasuring(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("read-only"));
        Path chart = dir.resolve("x.svg");
        List<String> args = List.of("bench", "--threads=1", "--calls=20", "--millis=5", "--chart=" + chart);
        io.processbarrier.testsupport.ChildProcess.Result r;
        String reason;
        if (io.processbarrier.testsupport.ChildProcess.isRoot()) {
            r = io.processbarrier.testsupport.ChildProcess.run(io.processbarrier.testsupport.ChildProcess.javaCommand(
                    BadInputTest.privateMount("ro,mode=0755", dir), List.of(),
                    io.processbarrier.testsupport.ChildProcess.classPath(), Main.class, args.toArray(new String[0])));
            reason = "Read-only file system";
        } else {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
            r = io.processbarrier.testsupport.ChildProcess.run(io.processbarrier.testsupport.ChildProcess.javaCommand(
                    List.of(), List.of(), io.processbarrier.testsupport.ChildProcess.classPath(), Main.class,
                    args.toArray(new String[0])));
            reason = "permission denied";
        }
        assertEquals(2, r.exit(), r.toString());
        assertEquals("processbarrier bench: option --chart=" + chart + ": cannot write in " + dir + " (" + reason
                + "): give a file in a directory you can write", r.err().strip(), "nothing measured: " + r);
        assertEquals("", r.out(), r.toString());
    }

    /** Issue 30: --calls beyond the cap was cut silently. */
    @Test
    void callsBeyondTheCapAreRefused() {
        Run r = bench("--calls=" + (Latency.MAX_CALLS + 1));
        assertEquals(2, r.exit(), r.err());
        assertEquals("processbarrier bench: option --calls=1000001: at most 1000000\n",
                r.err());
    }

    /**
     * Issue 30: the fullFence row measured 0.57 ns, 0.7-1.8x light(), where JMH gives several times light(). A timing
     * on a shared machine: shown once in up to 5 measurements (noise inflates light() as often as the fence, and each
     * variant keeps its best round). The loop without its volatile flag never shows 3x here.
     */
    @Test
    void theFullFenceCostsSeveralTimesLight() {
        io.processbarrier.ProcessBarrier b = io.processbarrier.ProcessBarrier.of("membarrier");
        LightCost c = null;
        for (int i = 0; i < 5 && (c == null || c.fullFenceNanos < 3 * c.lightNanos); i++) {
            c = LightCost.measure(b, 4, 10_000_000, f -> { });
        }
        assertTrue(c.fullFenceNanos >= 3 * c.lightNanos, "fullFence " + c.fullFenceNanos + " ns, light() "
                + c.lightNanos + " ns, nothing " + c.emptyNanos + " ns");
    }

    @Test
    void badThreadListsAreRejected() {
        Run r = bench("--threads=1,x");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("option --threads=1,x: expected a comma-separated list"), r.err());
        r = bench("--threads=0");
        assertEquals(2, r.exit());
    }

    @Test
    void chartAxisLabelsAreDecades() {
        assertEquals("1 ns", SvgChart.decade(0));
        assertEquals("100 ns", SvgChart.decade(2));
        assertEquals("1 µs", SvgChart.decade(3));
        assertEquals("10 ms", SvgChart.decade(7));
        assertEquals("1 s", SvgChart.decade(9));
    }

    private static int countProviders(String out) {
        Matcher m = Pattern.compile("(?m)^  provider .*\\n((?:  \\S.*\\n)+?)  \\(\\*").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1).split("\n").length;
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
