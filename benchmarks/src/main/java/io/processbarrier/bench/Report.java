package io.processbarrier.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Turns one run.sh output directory into the tables of the issue: Java/C ratios, light(), the read lock,
 * coalescing, single-caller overhead, time to first heavy() and scaling. Reads JMH's CSV results
 * ({@code -rf csv}) and the C baseline's lines; prints Markdown to stdout.
 *
 * <pre>java -cp benchmarks.jar io.processbarrier.bench.Report DIR</pre>
 */
public final class Report {
    /** Targets of the issue: Java within this fraction above raw C. */
    static final Map<String, Double> RATIO_TARGETS = Map.of("membarrier", 1.05, "mprotect", 1.05, "signal", 1.20);

    private Report() {
    }

    /** One row of a JMH CSV result. */
    record Row(String benchmark, String mode, int threads, double score, double error, String unit,
               Map<String, String> params) {
        String param(String name) {
            return params.get(name);
        }

        /** "HeavyBench.heavy" or "HeavyBench.heavy:p0.50": the class's simple name and the method. */
        String shortName() {
            String b = benchmark;
            int colon = b.indexOf(':');
            String head = colon < 0 ? b : b.substring(0, colon);
            String tail = colon < 0 ? "" : b.substring(colon);
            String[] parts = head.split("\\.");
            return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] + tail : b;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("--rml-svg")) {
            System.out.print(ReadMostlyLockChart.render(csvIfExists(Path.of(args[1]).resolve("rml.csv"))));
            return;
        }
        if (args.length != 1) {
            System.err.println("usage: Report DIR (a run.sh output directory)");
            System.exit(2);
        }
        System.out.print(render(Path.of(args[0])));
    }

    static String render(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        Path env = dir.resolve("environment.txt");
        if (Files.exists(env)) {
            sb.append("## Machine\n\n```\n").append(Files.readString(env).strip()).append("\n```\n\n");
        }
        ratios(dir, sb);
        light(dir, sb);
        readLock(dir, sb);
        coalescing(dir, sb);
        singleCaller(dir, sb);
        firstHeavy(dir, sb);
        scaling(dir, sb);
        litmus(dir, sb);
        readMostlyLock(dir, sb);
        writeContention(dir, sb);
        rcu(dir, sb);
        readSides(dir, sb);
        return sb.toString();
    }

    // ---- sections ---------------------------------------------------------------------------------------------

    static void ratios(Path dir, StringBuilder sb) throws IOException {
        List<Row> rows = csvIfExists(dir.resolve("heavy.csv"));
        List<Row> rawc = csvIfExists(dir.resolve("rawc.csv"));
        Map<String, Map<String, String>> c = baseline(dir.resolve("c-baseline.txt"));
        if (rows.isEmpty() || (c.isEmpty() && rawc.isEmpty())) {
            return;
        }
        sb.append("## heavy(): Java against raw C (one caller on CPU 0, one reader spinning on CPU 1; medians)\n\n");
        sb.append("| provider | Java median | raw C in the JVM | Java/C (JVM) | C program | Java/C (program) | target "
                + "| Java mean | threads (JVM = C program) |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String p : List.of("membarrier", "mprotect", "signal")) {
            Row median = find(rows, r -> r.shortName().equals("HeavyBench.heavy:p0.50") && p.equals(r.param("provider")));
            Row mean = find(rows, r -> r.shortName().equals("HeavyBench.heavy") && p.equals(r.param("provider")));
            Row raw = find(rawc, r -> r.shortName().equals("RawCBench.heavy:p0.50") && p.equals(r.param("provider")));
            Map<String, String> cb = c.get(p);
            if (median == null) {
                continue;
            }
            double target = RATIO_TARGETS.getOrDefault(p, Double.NaN);
            double cm = cb == null ? Double.NaN : Double.parseDouble(cb.get("median_ns"));
            double rm = raw == null ? Double.NaN : raw.score();
            double rJvm = median.score() / rm;
            double rProgram = median.score() / cm;
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | **%.3f** | %s | **%.3f** | ≤ %s: %s | %s | %s |%n",
                    p, ns(median.score()), ns(rm), rJvm, ns(cm), rProgram, target,
                    verdict(rJvm, target) + " (JVM), " + verdict(rProgram, target) + " (program)",
                    mean == null ? "-" : ns(mean.score()), cb == null ? "-" : cb.get("threads")));
        }
        sb.append("\nThe raw C in the JVM is the C program's barrier called through JNI in a JMH fork set up like the "
                + "library's (RawCBench): the same JVM threads, readers, pinning and timing.\n\n");
    }

    private static String verdict(double ratio, double target) {
        return Double.isNaN(ratio) ? "-" : ratio <= target ? "met" : "**missed**";
    }

    static void light(Path dir, StringBuilder sb) throws IOException {
        List<Row> rows = csvIfExists(dir.resolve("light.csv"));
        if (rows.isEmpty()) {
            return;
        }
        sb.append("## light() against an empty method and VarHandle.fullFence() (ns/op, average)\n\n");
        sb.append("| shape | empty method | light() | fullFence() | light − empty | fullFence / light |\n");
        sb.append("|---|---:|---:|---:|---:|---:|\n");
        for (String[] shape : new String[][] {{"sb", "store x; barrier; load y"}, {"bare", "the call alone"}}) {
            Row e = find(rows, r -> r.shortName().equals("LightBench." + shape[0] + "Empty"));
            Row l = find(rows, r -> r.shortName().equals("LightBench." + shape[0] + "Light"));
            Row f = find(rows, r -> r.shortName().equals("LightBench." + shape[0] + "FullFence"));
            if (e == null || l == null || f == null) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "| %s | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %+.3f | %.1fx |%n",
                    shape[1], e.score(), e.error(), l.score(), l.error(), f.score(), f.error(), l.score() - e.score(),
                    f.score() / l.score()));
        }
        Row ol = find(rows, r -> r.shortName().equals("LightBench.readerOpaqueLight"));
        Row of = find(rows, r -> r.shortName().equals("LightBench.readerOpaqueFullFence"));
        Row vl = find(rows, r -> r.shortName().equals("LightBench.readerVolatileLight"));
        if (ol != null && of != null && vl != null) {
            sb.append("\nThe README's reader (announce; light(); check), by the access modes of its fields:\n\n"
                    + "| reader | ns/op | against opaque + light() |\n|---|---:|---:|\n");
            sb.append(String.format(Locale.ROOT, "| opaque + light() (the README) | %.3f ± %.3f | 1.0x |%n",
                    ol.score(), ol.error()));
            sb.append(String.format(Locale.ROOT, "| opaque + fullFence() | %.3f ± %.3f | %.1fx |%n", of.score(),
                    of.error(), of.score() / ol.score()));
            sb.append(String.format(Locale.ROOT, "| volatile + light() (never do this) | %.3f ± %.3f | %.1fx |%n",
                    vl.score(), vl.error(), vl.score() / ol.score()));
            Row dl = find(rows, r -> r.shortName().equals("LightBench.readerOpaqueDeferredLight"));
            if (dl != null) {
                sb.append(String.format(Locale.ROOT, "| opaque + light() of the barrier a first get() returned before "
                        + "its selection was over | %.3f ± %.3f | %.2fx (%+.3f ns) |%n", dl.score(), dl.error(),
                        dl.score() / ol.score(), dl.score() - ol.score()));
            }
        }
        sb.append("\nTargets: light − empty within 0.5 ns on x86_64; fullFence many times light.\n\n");
    }

    static void readLock(Path dir, StringBuilder sb) throws IOException {
        List<Row> rows = csvIfExists(dir.resolve("readlock.csv"));
        if (rows.isEmpty()) {
            return;
        }
        sb.append("## Asymmetric read lock: reader throughput (writer every ")
                .append(rows.get(0).param("writerPeriodMicros")).append(" µs)\n\n");
        sb.append("| reader threads | light() lock (membarrier) | fullFence lock (fence) | ratio |\n|---:|---:|---:|---:|\n");
        Map<Integer, Row[]> byThreads = new TreeMap<>();
        for (Row r : rows) {
            if (!r.shortName().equals("ReadLockBench.read")) {
                continue;
            }
            Row[] pair = byThreads.computeIfAbsent(r.threads(), k -> new Row[2]);
            pair["fence".equals(r.param("barrier")) ? 1 : 0] = r;
        }
        for (Map.Entry<Integer, Row[]> e : byThreads.entrySet()) {
            Row a = e.getValue()[0];
            Row f = e.getValue()[1];
            if (a == null || f == null) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "| %d | %.1f ± %.1f %s | %.1f ± %.1f %s | **%.2fx** |%n", e.getKey(),
                    a.score(), a.error(), a.unit(), f.score(), f.error(), f.unit(), a.score() / f.score()));
        }
        sb.append("\nTarget: at least 3x at 2 threads. Every read checks the pair the writer updates together: a torn"
                + " read fails the run.\n\n");
    }

    static void coalescing(Path dir, StringBuilder sb) throws IOException {
        List<Row> rows = csvIfExists(dir.resolve("coalesce.csv"));
        if (rows.isEmpty()) {
            return;
        }
        sb.append("## Coalescing: threads calling heavy() in a loop\n\n");
        sb.append("| provider | threads | spinning readers | coalesced calls/s | uncoalesced calls/s | ratio "
                + "| barriers per call (coalesced) | (uncoalesced) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        Map<String, Map<String, Row>> byProvider = new LinkedHashMap<>();
        for (Row r : rows) {
            String readers = r.param("readers");
            String key = r.param("provider") + " " + r.threads() + " " + (readers == null ? "0" : readers);
            byProvider.computeIfAbsent(key, k -> new LinkedHashMap<>())
                    .put(r.param("coalesce") + " " + r.shortName(), r);
        }
        for (Map.Entry<String, Map<String, Row>> e : byProvider.entrySet()) {
            Map<String, Row> m = e.getValue();
            Row on = m.get("true CoalesceBench.heavy");
            Row off = m.get("false CoalesceBench.heavy");
            if (on == null || off == null) {
                continue;
            }
            String[] k = e.getKey().split(" ");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f ± %.0f | %.0f ± %.0f | **%.2fx** | **%s** | %s |%n",
                    k[0], k[1], k[2], on.score(), on.error(), off.score(), off.error(), on.score() / off.score(),
                    perCall(m, "true"), perCall(m, "false")));
        }
        sb.append("\nTargets (8 threads, 2 CPUs): at least 4x the uncoalesced calls/s, at most 0.3 barriers per call.\n\n");
    }

    private static String perCall(Map<String, Row> m, String coalesce) {
        Row calls = m.get(coalesce + " CoalesceBench.heavy:calls");
        Row barriers = m.get(coalesce + " CoalesceBench.heavy:barriers");
        if (calls == null || barriers == null || calls.score() == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.3f", barriers.score() / calls.score());
    }

    static void singleCaller(Path dir, StringBuilder sb) throws IOException {
        List<Row> rows = csvIfExists(dir.resolve("single.csv"));
        if (rows.isEmpty()) {
            return;
        }
        sb.append("## A single caller: coalescing on against off (median / mean heavy() latency)\n\n");
        sb.append("| provider | on: median | off: median | on/off | on: mean | off: mean | on/off |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        for (String p : providers(rows)) {
            Row onMed = find(rows, r -> r.shortName().equals("HeavyBench.heavy:p0.50") && p.equals(r.param("provider"))
                    && "true".equals(r.param("coalesce")));
            Row offMed = find(rows, r -> r.shortName().equals("HeavyBench.heavy:p0.50") && p.equals(r.param("provider"))
                    && "false".equals(r.param("coalesce")));
            Row on = find(rows, r -> r.shortName().equals("HeavyBench.heavy") && p.equals(r.param("provider"))
                    && "true".equals(r.param("coalesce")));
            Row off = find(rows, r -> r.shortName().equals("HeavyBench.heavy") && p.equals(r.param("provider"))
                    && "false".equals(r.param("coalesce")));
            if (onMed == null || offMed == null || on == null || off == null) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | **%.3f** | %s | %s | %.3f |%n", p, ns(onMed.score()),
                    ns(offMed.score()), onMed.score() / offMed.score(), ns(on.score()), ns(off.score()),
                    on.score() / off.score()));
        }
        sb.append("\nTarget: within 5% (on/off ≤ 1.05).\n\n");
        List<Row> over = csvIfExists(dir.resolve("overhead.csv"));
        Row on = find(over, r -> r.shortName().equals("OverheadBench.heavyWithEmptyBarrier") && "true".equals(r.param("coalesce")));
        Row off = find(over, r -> r.shortName().equals("OverheadBench.heavyWithEmptyBarrier") && "false".equals(r.param("coalesce")));
        if (on != null && off != null) {
            sb.append(String.format(Locale.ROOT, "heavy() around an empty barrier(): %.1f ± %.1f ns coalescing, %.1f ± %.1f ns "
                    + "not: the protocol adds %.1f ns per uncontended call.%n%n", on.score(), on.error(), off.score(),
                    off.error(), on.score() - off.score()));
        }
    }

    static void litmus(Path dir, StringBuilder sb) throws IOException {
        Path f = dir.resolve("litmus.txt");
        if (!Files.exists(f)) {
            return;
        }
        sb.append("## Store buffering with shared barriers (writer + reader + 3 threads calling heavy())\n\n```\n");
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            sb.append(line).append('\n');
        }
        sb.append("```\n\n");
    }

    static void firstHeavy(Path dir, StringBuilder sb) throws IOException {
        Path f = dir.resolve("first-heavy.txt");
        if (!Files.exists(f)) {
            return;
        }
        Map<String, List<Map<String, String>>> byCase = new LinkedHashMap<>();
        Map<String, Map<String, List<Map<String, String>>>> beforeAfter = new LinkedHashMap<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            Map<String, String> kv = keyValues(line);
            if (kv.get("provider") == null || kv.get("firstHeavyNanos") == null) {
                continue;
            }
            if (kv.get("code") != null) { // run.sh first: case, jdk, code=after|before
                beforeAfter.computeIfAbsent(kv.get("case") + " | " + kv.get("jdk"), k -> new LinkedHashMap<>())
                        .computeIfAbsent(kv.get("code"), k -> new ArrayList<>()).add(kv);
                continue;
            }
            String c = kv.getOrDefault("case", "forced " + kv.get("provider") + ", fresh native.dir");
            byCase.computeIfAbsent(c, k -> new ArrayList<>()).add(kv);
        }
        if (!beforeAfter.isEmpty()) {
            startupBeforeAfter(beforeAfter, sb);
        }
        if (byCase.isEmpty()) {
            return;
        }
        sb.append("## Startup: the first get() and the first heavy() in a fresh JVM (medians of runs)\n\n");
        sb.append("| case | selected | runs | first get() | first heavy() | get() + heavy() | second heavy() "
                + "| whole JVM, start to exit |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, List<Map<String, String>>> e : byCase.entrySet()) {
            List<Map<String, String>> runs = e.getValue();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s |%n", e.getKey(),
                    runs.get(0).get("provider"), runs.size(), ns(medianOf(runs, "getNanos")),
                    ns(medianOf(runs, "firstHeavyNanos")), ns(medianOf(runs, "getNanos", "firstHeavyNanos")),
                    ns(medianOf(runs, "secondHeavyNanos")),
                    runs.get(0).get("wallNanos") == null ? "-" : ns(medianOf(runs, "wallNanos"))));
        }
        sb.append('\n');
    }

    /**
     * Issue 29's table: per case and JDK, the medians of the first get() (wall clock, and the caller's CPU time),
     * the first heavy() after it, and get() + heavy(), for this code and the code before (run.sh first --before),
     * interleaved in one run; the ratio is after / before of the medians.
     */
    static void startupBeforeAfter(Map<String, Map<String, List<Map<String, String>>>> rows, StringBuilder sb) {
        sb.append("## Startup before/after: the first get() in a fresh JVM, 16 parked threads (medians of runs)\n\n");
        sb.append("| case | JDK | selected (after) | runs | first get() before | after | after/before "
                + "| caller CPU in get() before | after | first heavy() after | get() + heavy() before | after "
                + "| selection over after (after) | its first heavy() (after) |\n"
                + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, List<Map<String, String>>>> e : rows.entrySet()) {
            List<Map<String, String>> after = e.getValue().getOrDefault("after", List.of());
            List<Map<String, String>> before = e.getValue().getOrDefault("before", List.of());
            if (after.isEmpty()) {
                continue;
            }
            double a = medianOf(after, "getNanos");
            double b = before.isEmpty() ? Double.NaN : medianOf(before, "getNanos");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    e.getKey(), after.get(0).get("provider"), after.size(), before.isEmpty() ? "-" : ns(b), ns(a),
                    before.isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f", a / b),
                    before.isEmpty() || before.get(0).get("getCpuNanos") == null ? "-"
                            : ns(medianOf(before, "getCpuNanos")),
                    after.get(0).get("getCpuNanos") == null ? "-" : ns(medianOf(after, "getCpuNanos")),
                    ns(medianOf(after, "firstHeavyNanos")),
                    before.isEmpty() ? "-" : ns(medianOf(before, "getNanos", "firstHeavyNanos")),
                    ns(medianOf(after, "getNanos", "firstHeavyNanos")),
                    after.get(0).get("selectedNanos") == null ? "-" : ns(medianOf(after, "selectedNanos")),
                    after.get(0).get("selectedHeavyNanos") == null ? "-" : ns(medianOf(after, "selectedHeavyNanos"))));
        }
        sb.append('\n');
    }

    /** The median over runs of the sum of {@code keys} (a missing key counts 0). */
    static double medianOf(List<Map<String, String>> runs, String... keys) {
        List<Long> values = new ArrayList<>();
        for (Map<String, String> kv : runs) {
            long sum = 0;
            for (String k : keys) {
                sum += Long.parseLong(kv.getOrDefault(k, "0"));
            }
            values.add(sum);
        }
        return median(values);
    }

    static void scaling(Path dir, StringBuilder sb) throws IOException {
        List<Row> rows = csvIfExists(dir.resolve("scaling.csv"));
        if (rows.isEmpty()) {
            return;
        }
        Map<String, Map<Integer, Row>> med = new TreeMap<>();
        Map<String, Map<Integer, Row>> p99 = new TreeMap<>();
        for (Row r : rows) {
            String p = r.param("provider");
            int readers = Integer.parseInt(r.param("readers"));
            if (r.shortName().equals("HeavyBench.heavy:p0.50")) {
                med.computeIfAbsent(p, k -> new TreeMap<>()).put(readers, r);
            } else if (r.shortName().equals("HeavyBench.heavy:p0.99")) {
                p99.computeIfAbsent(p, k -> new TreeMap<>()).put(readers, r);
            }
        }
        List<Integer> counts = med.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
        sb.append("## Scaling: heavy() median (p99) against running threads (readers spinning on light())\n\n| provider |");
        counts.forEach(c -> sb.append(' ').append(c).append(" |"));
        sb.append("\n|---|");
        counts.forEach(c -> sb.append("---:|"));
        sb.append('\n');
        for (String p : med.keySet()) {
            sb.append("| ").append(p).append(" |");
            for (int c : counts) {
                Row m = med.get(p).get(c);
                Row q = p99.getOrDefault(p, Map.of()).get(c);
                sb.append(' ').append(m == null ? "-" : ns(m.score()) + (q == null ? "" : " (" + ns(q.score()) + ")"))
                        .append(" |");
            }
            sb.append('\n');
        }
        sb.append('\n');
    }

    // ---- ReadMostlyLock (section rml) ----------------------------------------------------------------------------

    static void readMostlyLock(Path dir, StringBuilder sb) throws IOException {
        List<Row> rows = csvIfExists(dir.resolve("rml.csv"));
        if (rows.isEmpty()) {
            return;
        }
        Map<Integer, Map<String, Row>> byThreads = ReadMostlyLockChart.byThreads(rows);
        sb.append("## ReadMostlyLock: a HashMap, 0.1% writes, throughput of all threads (ops/µs)\n\n| threads |");
        ReadMostlyLockChart.LOCKS.forEach(l -> sb.append(' ').append(l).append(" |"));
        sb.append("\n|---:|").append("---:|".repeat(ReadMostlyLockChart.LOCKS.size())).append('\n');
        byThreads.forEach((t, m) -> {
            sb.append("| ").append(t).append(" |");
            for (String l : ReadMostlyLockChart.LOCKS) {
                Row r = m.get(l);
                sb.append(r == null ? " - |" : String.format(Locale.ROOT, " %.1f ± %.1f |", r.score(), r.error()));
            }
            sb.append('\n');
        });
        sb.append("\n| target | measured | verdict |\n|---|---:|---|\n");
        rmlRatio(sb, byThreads, 2, "rrwl", 10.0, "2 threads: rml ≥ 10x ReentrantReadWriteLock");
        rmlRatio(sb, byThreads, 2, "stamped", 3.0, "2 threads: rml ≥ 3x StampedLock.readLock()");
        rmlRatio(sb, byThreads, 1, "optimistic", 0.5, "1 thread: rml within 2x of StampedLock optimistic");
        rmlRatio(sb, byThreads, 2, "optimistic", 0.5, "2 threads: rml within 2x of StampedLock optimistic");
        rmlRatio(sb, byThreads, 8, "rrwl", Double.NaN, "8 threads: rml / ReentrantReadWriteLock (no target)");
        List<Row> writes = csvIfExists(dir.resolve("rml-write.csv"));
        // the cold ones are single events after a sleep, sampled (run.sh): their median, as the mean is the tail's
        Row cold = medianOrMean(writes, "ReadMostlyLockBench.writeCold");
        Row burst = find(writes, r -> r.shortName().equals("ReadMostlyLockBench.writeInBurst"));
        Row heavy = find(writes, r -> r.shortName().equals("ReadMostlyLockBench.heavy"));
        Row heavyCold = medianOrMean(writes, "ReadMostlyLockBench.heavyCold");
        Row coldInBurst = medianOrMean(writes, "ReadMostlyLockBench.writeColdInBurst");
        boolean turns = coldWrite(dir, sb);
        if (cold != null && heavyCold != null) {
            double ratio = cold.score() / heavyCold.score();
            boolean medians = cold.shortName().endsWith(":p0.50") && heavyCold.shortName().endsWith(":p0.50");
            if (turns) { // judged above: JMH's runs seconds apart can fall in different phases of the other vCPU
                sb.append(String.format(Locale.ROOT, "| the same in separate JMH runs (%s; no target: one run may "
                        + "fall in a slow phase and the other not) | %s / %s = %.2fx | - |%n",
                        medians ? "medians" : "means", ns(cold.score()), ns(heavyCold.score()), ratio));
            } else {
                sb.append(String.format(Locale.ROOT, "| write lock+unlock at a burst's start ≤ 2x heavy() (both "
                        + "after the same sleep; %s) | %s / %s = **%.2fx** | %s |%n", medians ? "medians" : "means",
                        ns(cold.score()), ns(heavyCold.score()), ratio, ratio <= 2.0 ? "met" : "MISSED"));
            }
            Row coldMean = find(writes, r -> r.shortName().equals("ReadMostlyLockBench.writeCold"));
            Row heavyColdMean = find(writes, r -> r.shortName().equals("ReadMostlyLockBench.heavyCold"));
            if (medians && coldMean != null && heavyColdMean != null) {
                sb.append(String.format(Locale.ROOT, "| the same, means (the tail of cold events; no target) | %s / "
                        + "%s = %.2fx | - |%n", ns(coldMean.score()), ns(heavyColdMean.score()),
                        coldMean.score() / heavyColdMean.score()));
            }
        }
        if (cold != null && heavy != null) {
            sb.append(String.format(Locale.ROOT, "| write lock+unlock at a burst's start / heavy() called back to "
                    + "back (no target) | %s / %s = %.2fx | - |%n", ns(cold.score()), ns(heavy.score()),
                    cold.score() / heavy.score()));
        }
        if (coldInBurst != null && cold != null) {
            sb.append(String.format(Locale.ROOT, "| the same set-up, inside a burst: the cold write without its heavy() "
                    + "(no target) | %s / %s = %.2fx | - |%n", ns(coldInBurst.score()), ns(cold.score()),
                    coldInBurst.score() / cold.score()));
        }
        if (burst != null && heavy != null) {
            sb.append(String.format(Locale.ROOT, "| write lock+unlock inside a burst (no target) | %s / %s = "
                    + "%.3fx | - |%n", ns(burst.score()), ns(heavy.score()), burst.score() / heavy.score()));
        }
        sb.append("\nChart: read-mostly-lock.svg in the results directory.\n\n");
    }

    /** Issue 28's targets: ReadMostlyLock's contended writes at least this fraction of the default RRWL's... */
    static final double CONTENTION_VS_RRWL = 0.5;
    /** ...and no thread (writer or reader beside) stalled longer than this while writers contend. */
    static final double CONTENTION_MAX_STALL_MS = 100;

    /**
     * Contended writers, from {@link WriteContention}'s {@code write-contention.txt} (its summary lines: medians over
     * rounds, the locks taking turns in each round): per setting, the write throughput of each lock, and the
     * targets: with writers alone, rml at least {@link #CONTENTION_VS_RRWL} of rrwl's (issue 28's first deliverable:
     * writers); in every setting at least fair's, and every stall of rml's threads (the longest over the rounds) at
     * most {@link #CONTENTION_MAX_STALL_MS}. With readers beside, the ratio of writes is shown with the ratio of
     * reads, not judged: how the two share the lock is each lock's policy (rml admits waiting readers between
     * writers, rrwl lets a running writer barge past them), and rml's reads are part of what it does.
     */
    static void writeContention(Path dir, StringBuilder sb) throws IOException {
        Path f = dir.resolve("write-contention.txt");
        if (!Files.exists(f)) {
            return;
        }
        // setting ("platform, 2 readers, 4 writers") -> lock -> key/values of its summary line
        Map<String, Map<String, Map<String, String>>> settings = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            if (line.startsWith("skipped")) {
                skipped.add(line);
                continue;
            }
            if (!line.startsWith("summary ")) {
                continue;
            }
            Map<String, String> kv = keyValues(line);
            if (Double.isNaN(decimal(kv.get("medianWritesPerMs"))) || kv.get("lock") == null) {
                continue; // not a complete summary line
            }
            String setting = kv.get("threads") + " | " + kv.get("readers") + " | " + kv.get("writers");
            settings.computeIfAbsent(setting, k -> new LinkedHashMap<>()).put(kv.get("lock"), kv);
        }
        if (settings.isEmpty() && skipped.isEmpty()) {
            return;
        }
        sb.append("## ReadMostlyLock: contended writers (writes/ms, all writers; median over rounds)\n\n");
        sb.append("| threads | readers | writers | rml | rrwl | fair | stamped | rml / rrwl ≥ 0.5 (writers alone) "
                + "| reads, rml / rrwl | rml ≥ fair | rml's longest stall, writer / reader ≤ 100 ms |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---|---|---|---|\n");
        int missed = 0;
        for (Map.Entry<String, Map<String, Map<String, String>>> e : settings.entrySet()) {
            Map<String, Map<String, String>> locks = e.getValue();
            double rml = rate(locks.get("rml"));
            double rrwl = rate(locks.get("rrwl"));
            double fair = rate(locks.get("fair"));
            double stamped = rate(locks.get("stamped"));
            sb.append("| ").append(e.getKey()).append(" |");
            for (double v : new double[] {rml, rrwl, fair, stamped}) {
                sb.append(Double.isNaN(v) ? " - |" : String.format(Locale.ROOT, " %.0f |", v));
            }
            String vsRrwl = "-";
            boolean alone = "0".equals(e.getValue().values().iterator().next().get("readers"));
            if (!Double.isNaN(rml) && rrwl > 0) {
                boolean ok = rml / rrwl >= CONTENTION_VS_RRWL;
                missed += ok || !alone ? 0 : 1;
                vsRrwl = String.format(Locale.ROOT, "**%.2fx** %s", rml / rrwl, !alone ? "(readers beside)"
                        : ok ? "met" : "MISSED");
            }
            String reads = "-";
            double rmlReads = decimal(locks.get("rml") == null ? null : locks.get("rml").get("medianReadsPerMs"));
            double rrwlReads = decimal(locks.get("rrwl") == null ? null : locks.get("rrwl").get("medianReadsPerMs"));
            if (!alone && rmlReads > 0 && rrwlReads > 0) {
                reads = String.format(Locale.ROOT, "%.2fx", rmlReads / rrwlReads);
            }
            String vsFair = "-";
            if (!Double.isNaN(rml) && !Double.isNaN(fair)) {
                boolean ok = rml >= fair;
                missed += ok ? 0 : 1;
                vsFair = String.format(Locale.ROOT, "%.2fx %s", fair > 0 ? rml / fair : Double.POSITIVE_INFINITY,
                        ok ? "met" : "MISSED");
            }
            String stall = "-";
            Map<String, String> r = locks.get("rml");
            if (r != null) {
                double w = decimal(r.get("maxWriterStallMs"));
                double rd = decimal(r.get("maxReaderStallMs"));
                boolean ok = w <= CONTENTION_MAX_STALL_MS && !(rd > CONTENTION_MAX_STALL_MS); // NaN misses
                missed += ok ? 0 : 1;
                stall = String.format(Locale.ROOT, "%.1f / %s ms %s", w, "0".equals(r.get("readers")) ? "-"
                        : String.format(Locale.ROOT, "%.1f", rd), ok ? "met" : "MISSED");
            }
            sb.append(' ').append(vsRrwl).append(" | ").append(reads).append(" | ").append(vsFair).append(" | ")
                    .append(stall).append(" |\n");
        }
        for (String s : skipped) {
            sb.append("\n").append(s).append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%nTargets missed: %d. A stall is the longest time a thread made no "
                + "progress (sampled every ms), scheduling included.%n%n", missed));
    }

    /** A summary line's median writes per ms, or NaN if the lock did not run. */
    private static double rate(Map<String, String> kv) {
        return kv == null ? Double.NaN : decimal(kv.get("medianWritesPerMs"));
    }

    /** A number of a key=value line, or NaN (missing, or not a number). */
    private static double decimal(String value) {
        if (value == null) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * The 2x target of the cold write, from {@link ColdWrite}'s {@code cold-write.txt}: the median over seconds of
     * that second's writeCold / heavyCold (medians of events taking turns), with the medians over seconds beside.
     *
     * @return whether the file held a second to judge by
     */
    static boolean coldWrite(Path dir, StringBuilder sb) throws IOException {
        Path f = dir.resolve("cold-write.txt");
        if (!Files.exists(f)) {
            return false;
        }
        List<Double> ratios = new ArrayList<>();
        List<Double> writes = new ArrayList<>();
        List<Double> heavies = new ArrayList<>();
        List<Double> inBurst = new ArrayList<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            Map<String, String> kv = keyValues(line);
            double w = positive(kv.get("writeColdNanos"));
            double h = positive(kv.get("heavyColdNanos"));
            if (Double.isNaN(w) || Double.isNaN(h)) {
                continue; // not a result line, or a second with no sample of one of them (samples=0)
            }
            ratios.add(w / h);
            writes.add(w);
            heavies.add(h);
            double b = positive(kv.get("writeColdInBurstNanos"));
            if (!Double.isNaN(b)) {
                inBurst.add(b);
            }
        }
        if (ratios.isEmpty()) {
            return false;
        }
        double ratio = middle(ratios);
        List<Double> sorted = new ArrayList<>(ratios);
        Collections.sort(sorted);
        sb.append(String.format(Locale.ROOT, "| write lock+unlock at a burst's start ≤ 2x heavy() (both after the same "
                + "sleep, taking turns; medians over %d seconds: %s and %s) | median of the per-second ratios **%.2fx** "
                + "(range %.2f-%.2fx) | %s |%n", ratios.size(), ns(middle(writes)), ns(middle(heavies)), ratio,
                sorted.get(0), sorted.get(sorted.size() - 1), ratio <= 2.0 ? "met" : "MISSED"));
        if (!inBurst.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "| taking the same turns, inside a burst: the cold write without its "
                    + "heavy() (no target) | %s | - |%n", ns(middle(inBurst))));
        }
        return true;
    }

    /** A positive number of {@code cold-write.txt}, or NaN (missing, not a number, or not above 0). */
    private static double positive(String value) {
        if (value == null) {
            return Double.NaN;
        }
        try {
            double v = Double.parseDouble(value);
            return v > 0 ? v : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static double middle(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static void rmlRatio(StringBuilder sb, Map<Integer, Map<String, Row>> byThreads, int threads, String other,
                                 double target, String label) {
        Map<String, Row> m = byThreads.getOrDefault(threads, Map.of());
        Row rml = m.get("rml");
        Row o = m.get(other);
        if (rml == null || o == null) {
            return;
        }
        double ratio = rml.score() / o.score();
        String verdict = Double.isNaN(target) ? "-" : ratio >= target ? "met" : "MISSED";
        sb.append(String.format(Locale.ROOT, "| %s | %.1f / %.1f = **%.2fx** | %s |%n", label, rml.score(), o.score(),
                ratio, verdict));
    }

    // ---- parsing ----------------------------------------------------------------------------------------------

    /** Targets of the Rcu issue (processbarrier-sync). */
    static final double RCU_READ_NS = 5;
    static final double RCU_VS_RWL = 10;
    static final double RCU_VS_OPORDER = 5;
    static final double RCU_SYNC_VS_HEAVY = 1.5;
    static final double RCU_RETIRE_NS = 200;

    static void rcu(Path dir, StringBuilder sb) throws IOException {
        List<Row> rows = csvIfExists(dir.resolve("rcu.csv"));
        if (rows.isEmpty()) {
            return;
        }
        Map<String, Map<String, String>> sections = new TreeMap<>();
        Path f = dir.resolve("rcu-sections.txt");
        if (Files.exists(f)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                Map<String, String> kv = keyValues(line);
                if (kv.containsKey("provider")) {
                    sections.put(kv.get("provider"), kv); // the last trial of a provider: its busy readers
                }
            }
        }
        sb.append("## Rcu (processbarrier-sync)\n\n### Read side (ns per section, per thread; average)\n\n");
        sb.append("| threads | Rcu read+close | read alone | ReentrantReadWriteLock read lock | OpOrder-style counter "
                + "| RRWL / Rcu | OpOrder / Rcu | targets |\n|---:|---:|---:|---:|---:|---:|---:|---|\n");
        Map<String, Double> chart = new LinkedHashMap<>();
        for (int t : new int[] {1, 2}) {
            Row rcu = find(rows, r -> r.shortName().equals("RcuBench.rcuRead") && r.threads() == t);
            if (rcu == null) {
                continue;
            }
            Row base = find(rows, r -> r.shortName().equals("RcuBench.baseline") && r.threads() == t);
            Row rwl = find(rows, r -> r.shortName().equals("RcuBench.rwlRead") && r.threads() == t);
            Row op = find(rows, r -> r.shortName().equals("RcuBench.opOrderRead") && r.threads() == t);
            double vsRwl = rwl == null ? Double.NaN : rwl.score() / rcu.score();
            double vsOp = op == null ? Double.NaN : op.score() / rcu.score();
            String targets = t == 1 ? "read ≤ " + RCU_READ_NS + " ns: " + verdict(rcu.score(), RCU_READ_NS)
                    : "≥ " + RCU_VS_RWL + "x RRWL: " + (Double.isNaN(vsRwl) ? "-" : vsRwl >= RCU_VS_RWL ? "met" : "**missed**")
                    + "; ≥ " + RCU_VS_OPORDER + "x OpOrder: "
                    + (Double.isNaN(vsOp) ? "-" : vsOp >= RCU_VS_OPORDER ? "met" : "**missed**");
            sb.append(String.format(Locale.ROOT, "| %d | %.2f ± %.2f | %s | %s | %s | %s | %s | %s |%n", t, rcu.score(),
                    rcu.error(), base == null ? "-" : String.format(Locale.ROOT, "%.2f", base.score()),
                    rwl == null ? "-" : String.format(Locale.ROOT, "%.2f", rwl.score()),
                    op == null ? "-" : String.format(Locale.ROOT, "%.2f", op.score()),
                    Double.isNaN(vsRwl) ? "-" : String.format(Locale.ROOT, "**%.1fx**", vsRwl),
                    Double.isNaN(vsOp) ? "-" : String.format(Locale.ROOT, "**%.1fx**", vsOp), targets));
            chart.put("Rcu read, " + t + " thread" + (t == 1 ? "" : "s"), rcu.score());
            if (op != null) {
                chart.put("OpOrder-style, " + t + " threads", op.score());
            }
            if (rwl != null) {
                chart.put("RRWL read lock, " + t + " threads", rwl.score());
            }
        }
        sb.append("\n### synchronize() against heavy() (same provider)\n\n");
        sb.append("| provider | synchronize, no reader | heavy() | ratio (≤ " + RCU_SYNC_VS_HEAVY + ") "
                + "| synchronize, 2 busy readers: median / max | heavy(), 2 busy readers: median | longest section "
                + "| median / (3 heavy + longest) (≤ 1) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String p : List.of("membarrier", "mprotect", "signal")) {
            Row sync = find(rows, r -> r.shortName().equals("RcuBench.synchronizeIdle") && p.equals(r.param("provider")));
            Row heavy = find(rows, r -> r.shortName().equals("RcuBench.heavyIdle") && p.equals(r.param("provider")));
            Row busy = find(rows, r -> r.shortName().equals("RcuBench.synchronizeBusy:p0.50") && p.equals(r.param("provider")));
            Row busyMax = find(rows, r -> r.shortName().equals("RcuBench.synchronizeBusy:p1.00") && p.equals(r.param("provider")));
            Row hBusy = find(rows, r -> r.shortName().equals("RcuBench.heavyBusy:p0.50") && p.equals(r.param("provider")));
            if (sync == null && busy == null) {
                continue;
            }
            double idle = sync == null || heavy == null ? Double.NaN : sync.score() / heavy.score();
            Map<String, String> sec = sections.get(p);
            double longest = sec == null ? Double.NaN : Double.parseDouble(sec.get("longestSectionNanos"));
            double bound = hBusy == null ? Double.NaN : 3 * hBusy.score() + longest;
            double busyRatio = busy == null ? Double.NaN : busy.score() / bound;
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | **%.2f** %s | %s / %s | %s | %s | **%.2f** %s |%n", p,
                    sync == null ? "-" : ns(sync.score()), heavy == null ? "-" : ns(heavy.score()), idle,
                    verdict(idle, RCU_SYNC_VS_HEAVY), busy == null ? "-" : ns(busy.score()),
                    busyMax == null ? "-" : ns(busyMax.score()), hBusy == null ? "-" : ns(hBusy.score()),
                    ns(longest), busyRatio, verdict(busyRatio, 1)));
            if (p.equals("membarrier") && sync != null && heavy != null) {
                chart.put("synchronize(), membarrier", sync.score());
                chart.put("heavy(), membarrier", heavy.score());
            }
        }
        sb.append("\nThe longest section is the busy readers' longest read+close in wall time, over the whole trial: "
                + "a reader descheduled inside its section (2 readers and the caller share 2 CPUs) makes it long, and "
                + "synchronize() must wait for it.\n\n");
        Row retire = find(rows, r -> r.shortName().equals("RcuBench.retireMillion"));
        if (retire != null) {
            sb.append(String.format(Locale.ROOT, "### retire()%n%n| per object, a million retires and their barrier() "
                    + "| target |%n|---:|---|%n| %.1f ± %.1f ns | ≤ %.0f ns: %s |%n%n", retire.score(), retire.error(),
                    RCU_RETIRE_NS, verdict(retire.score(), RCU_RETIRE_NS)));
            chart.put("retire(), per object", retire.score());
        }
        if (!chart.isEmpty()) {
            Files.writeString(dir.resolve("rcu.svg"), RcuChart.render("Rcu: cost per operation (ns, log scale)",
                    "processbarrier-sync, JMH; 2 vCPU AMD EPYC, " + System.getProperty("java.version"), chart));
            sb.append("Chart: rcu.svg in the results directory.\n\n");
        }
    }

    /**
     * Issue 27: a thread per request ({@code thread-per-request.txt}: {@link ThreadPerRequest}'s summary lines, target
     * each library read <= 1.1x the same program with ReentrantReadWriteLock), the churn soak ({@code churn.txt}) and
     * the Local handles against liburcu ({@code local.csv} from {@link LocalBench}, {@code urcu.txt} from
     * urcusection.c: target the cost added to a load <= 1.0x liburcu memb's, QSBR's for reference).
     */
    static void readSides(Path dir, StringBuilder sb) throws IOException {
        Path tpr = dir.resolve("thread-per-request.txt");
        if (Files.exists(tpr)) {
            sb.append("## Read side: a thread per request (one read per new thread; median of rounds, ns per thread; the"
                    + " ratio is the median over rounds of each round's ratio)\n\n"
                    + "| threads | read | ns per thread | / ReentrantReadWriteLock | GC ms per round | heap after GC | target |\n"
                    + "|---|---|---|---|---|---|---|\n");
            for (String line : Files.readAllLines(tpr, StandardCharsets.UTF_8)) {
                if (!line.startsWith("summary ")) {
                    continue;
                }
                Map<String, String> kv = keyValues(line);
                String v = kv.get("variant");
                // the paired ratio (median over rounds of each round's ratio) where the run has it: see ThreadPerRequest
                double ratio = Double.parseDouble(kv.getOrDefault("pairedRatioToRrwl", kv.get("ratioToRrwl")));
                boolean library = v.equals("rcuSection") || v.equals("rcuReference") || v.equals("readMostlyLock");
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2fx | %s | %s KB | %s |%n", kv.get("kind"), v,
                        kv.get("medianNsPerThread"), ratio, kv.get("medianGcMillis"), kv.get("heapAfterGcKB"),
                        library ? (ratio <= 1.1 ? "<= 1.1x: met" : "<= 1.1x: MISSED") : "-"));
            }
            sb.append('\n');
        }
        Path churn = dir.resolve("churn.txt");
        if (Files.exists(churn)) {
            sb.append("### Churn soak: the library's objects left after the threads (class histogram after a full GC)\n\n"
                    + "```\n");
            for (String line : Files.readAllLines(churn, StandardCharsets.UTF_8)) {
                if (line.startsWith("churn ") || line.startsWith("histogram ")) {
                    sb.append(line).append('\n');
                }
            }
            sb.append("```\n\n");
        }
        List<Row> local = csvIfExists(dir.resolve("local.csv"));
        Path urcu = dir.resolve("urcu.txt");
        if (local.isEmpty() || !Files.exists(urcu)) {
            return;
        }
        List<Double> memb = new ArrayList<>();
        List<Double> qsbr = new ArrayList<>();
        for (String line : Files.readAllLines(urcu, StandardCharsets.UTF_8)) {
            Map<String, String> kv = keyValues(line);
            if (kv.containsKey("added_ns")) {
                ("memb".equals(kv.get("flavour")) ? memb : qsbr).add(Double.parseDouble(kv.get("added_ns")));
            }
        }
        Row load = find(local, r -> r.shortName().equals("LocalBench.load"));
        if (load == null || memb.isEmpty()) {
            return;
        }
        double c = middle(memb);
        sb.append(String.format(Locale.ROOT, "## Read side: a thread's own handle against liburcu (cost added to one "
                + "load, ns; the load alone %.2f ns; liburcu memb, inlined: %.2f ns, median of %d; QSBR %.2f ns)%n%n"
                + "| section | ns/op | added to the load | / liburcu memb | target |%n|---|---|---|---|---|%n",
                load.score(), c, memb.size(), qsbr.isEmpty() ? Double.NaN : middle(qsbr)));
        // the loop shape is the C program's (sections in a loop inside one call): the like-for-like one, judged; one
        // section per JMH call has no C counterpart (JMH's call and result around each) and is shown beside it
        Row loadLoop = find(local, r -> r.shortName().equals("LocalBench.loadLoop"));
        for (String m : List.of("rcuLocalLoop", "rmlLocalReadLockLoop", "rcuLocal", "rmlLocalReadLock", "rcuRead",
                "rmlReadLock")) {
            Row r = find(local, x -> x.shortName().equals("LocalBench." + m));
            Row base = m.endsWith("Loop") ? loadLoop : load;
            if (r == null || base == null) {
                continue;
            }
            double added = r.score() - base.score();
            String target = m.endsWith("Loop") ? (added / c <= 1.0 ? "<= 1.0x: met" : "<= 1.0x: MISSED")
                    : m.endsWith("Local") || m.endsWith("LocalReadLock") ? "(one section per JMH call)" : "-";
            sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2fx | %s |%n", m, r.score(), added, added / c,
                    target));
        }
        sb.append('\n');
    }

    static List<Row> csvIfExists(Path f) throws IOException {
        return Files.exists(f) ? parseCsv(Files.readAllLines(f, StandardCharsets.UTF_8)) : List.of();
    }

    /** JMH's CSV: a header, then one row per result (sample mode adds rows such as {@code heavy:p0.50}). */
    static List<Row> parseCsv(List<String> lines) {
        List<Row> rows = new ArrayList<>();
        if (lines.isEmpty()) {
            return rows;
        }
        List<String> header = splitCsv(lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> f = splitCsv(line);
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 7; i < header.size() && i < f.size(); i++) {
                params.put(header.get(i).replaceFirst("^Param: ", ""), f.get(i));
            }
            rows.add(new Row(f.get(0), f.get(1), Integer.parseInt(f.get(2)), number(f.get(4)), number(f.get(5)),
                    f.get(6), params));
        }
        return rows;
    }

    private static double number(String s) {
        if (s.isEmpty() || s.equals("NaN")) {
            return Double.NaN;
        }
        return Double.parseDouble(s.replace(',', '.'));
    }

    static List<String> splitCsv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /** The C baseline's lines ({@code op=... median_ns=...}), by operation; the last line of an op wins. */
    static Map<String, Map<String, String>> baseline(Path f) throws IOException {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        if (!Files.exists(f)) {
            return out;
        }
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            Map<String, String> kv = keyValues(line);
            if (kv.containsKey("op") && kv.containsKey("median_ns")) {
                out.put(kv.get("op"), kv);
            }
        }
        return out;
    }

    static Map<String, String> keyValues(String line) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String w : line.trim().split("\\s+")) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                kv.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return kv;
    }

    /** The sampled median of {@code name} if the run sampled it (its ":p0.50" row), else its mean. */
    static Row medianOrMean(List<Row> rows, String name) {
        Row median = find(rows, r -> r.shortName().equals(name + ":p0.50"));
        return median != null ? median : find(rows, r -> r.shortName().equals(name));
    }

    private static Row find(List<Row> rows, Predicate<Row> p) {
        return rows.stream().filter(p).findFirst().orElse(null);
    }

    private static List<String> providers(List<Row> rows) {
        return rows.stream().map(r -> r.param("provider")).filter(x -> x != null).distinct().toList();
    }

    static long median(List<Long> values) {
        long[] v = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(v);
        return v[(v.length - 1) / 2];
    }

    /** 1234.5 -> "1.23 µs". */
    static String ns(double nanos) {
        if (Double.isNaN(nanos)) {
            return "-";
        }
        if (nanos < 1_000) {
            return String.format(Locale.ROOT, "%.0f ns", nanos);
        }
        if (nanos < 1_000_000) {
            return String.format(Locale.ROOT, "%.2f µs", nanos / 1e3);
        }
        if (nanos < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }
}
