package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench}: heavy() latency (median, p99) of every available provider while 1, 2, 4, 16 and 64 other threads
 * spin on light(), the reader's cost (light() against nothing and against fullFence), a table or JSON, and, with
 * {@code --chart=FILE} only, a self-contained SVG chart of latency against threads. The file is judged before anything
 * is measured: a directory that does not exist is refused (the doctor creates none) and so is one it cannot write in
 * (tried with a temporary file), with exit status 2. Exit status 0, or 1 if the chart could still not be written at
 * the end. The JMH suite (benchmarks/) measures the same more rigorously; this is the quick look on any machine.
 */
final class BenchCommand implements Command {
    static final String DEFAULT_THREADS = "1,2,4,16,64";

    @Override
    public String summary() {
        return "heavy() latency per provider against running threads, light() against fullFence; a chart on request";
    }

    @Override
    public String[] options() {
        return new String[] {
            "--json            print the results as JSON on stdout",
            "--chart=FILE      also write an SVG chart to FILE, in a directory that exists (default: no chart)",
            "--threads=LIST    reader thread counts to measure at (default " + DEFAULT_THREADS + ")",
            "--calls=N         heavy() calls timed per point, at most (default 2000, up to " + Latency.MAX_CALLS + ")",
            "--millis=N        time budget per point in milliseconds (default 300)",
        };
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) {
        boolean json = args.flag("--json");
        int calls = (int) args.positiveLong("--calls", 2000, Latency.MAX_CALLS);
        long budget = args.positiveLong("--millis", 300) * 1_000_000L;
        int[] threads = parseThreads(args.value("--threads", DEFAULT_THREADS));
        Path chart = chart(args.value("--chart", null)); // before measuring: a bad path must not cost the run

        List<ProviderStatus> available = ProcessBarrier.providers().stream().filter(ProviderStatus::available).toList();
        Progress progress = new Progress(err, !json);
        int steps = available.size() * threads.length + 1;
        int step = 0;

        List<Object> providers = new ArrayList<>();
        List<SvgChart.Series> series = new ArrayList<>();
        for (ProviderStatus s : available) {
            Map<String, Object> p = Json.object();
            p.put("name", s.name());
            p.put("selected", s.selected());
            List<Object> points = new ArrayList<>();
            double[] med = new double[threads.length];
            double[] p99 = new double[threads.length];
            for (int i = 0; i < threads.length; i++) {
                progress.update("heavy(): " + s.name() + ", " + threads[i] + (threads[i] == 1 ? " thread" : " threads"),
                        (double) step++ / steps);
                Map<String, Object> pt = Json.object();
                pt.put("threads", threads[i]);
                try {
                    Latency m = Latency.measureWithReaders(ProcessBarrier.of(s.name()), threads[i], calls, budget);
                    pt.put("calls", m.calls);
                    pt.put("medianNanos", m.medianNanos);
                    pt.put("p99Nanos", m.p99Nanos);
                    pt.put("error", null);
                    med[i] = m.medianNanos;
                    p99[i] = m.p99Nanos;
                } catch (ProcessBarrierException e) {
                    pt.put("error", ProcessBarrierException.describe(e));
                    med[i] = Double.NaN;
                    p99[i] = Double.NaN;
                }
                points.add(pt);
            }
            p.put("points", points);
            providers.add(p);
            series.add(new SvgChart.Series(s.name(), threads, med, p99));
        }

        ProcessBarrier asym = available.stream().map(s -> ProcessBarrier.of(s.name())).filter(ProcessBarrier::isAsymmetric)
                .findFirst().orElse(null);
        final int base = step;
        LightCost lc = LightCost.measure(asym != null ? asym : ProcessBarrier.of("fence"), 6, 20_000_000,
                f -> progress.update("light() against fullFence", (base + f) / steps));
        progress.done();
        Map<String, Object> light = Json.object();
        light.put("provider", asym != null ? asym.name() : "fence");
        light.put("emptyNanos", round(lc.emptyNanos));
        light.put("lightNanos", round(lc.lightNanos));
        light.put("fullFenceNanos", round(lc.fullFenceNanos));
        light.put("volatileLightNanos", round(lc.volatileLightNanos));

        Map<String, Object> env = Environment.collect();
        String subtitle = env.get("kernel") + ", " + env.get("arch") + ", " + env.get("cpus") + " CPUs, "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + "; "
                + "median (solid) and p99 (dashed) of up to " + calls + " calls per point";
        String chartError = null;
        if (chart != null) {
            String svg = SvgChart.render("ProcessBarrier heavy() latency against running threads", subtitle, series);
            try {
                Files.writeString(chart, svg, StandardCharsets.UTF_8); // the directory was there when we began
            } catch (IOException e) {
                chartError = "cannot write the chart to " + chart + ": " + reason(e);
            }
        }

        Map<String, Object> report = Json.object();
        report.put("version", DoctorCommand.version());
        report.put("kernel", env.get("kernel"));
        report.put("arch", env.get("arch"));
        report.put("cpus", env.get("cpus"));
        report.put("jdk", env.get("jdk"));
        report.put("threadCounts", Arrays.stream(threads).boxed().toList());
        report.put("providers", providers);
        report.put("light", light);
        report.put("chart", chart == null || chartError != null ? null : chart.toString());
        report.put("chartError", chartError);
        if (json) {
            out.print(Json.write(report));
        } else {
            out.print(render(report, threads));
        }
        if (chartError != null) {
            err.println("processbarrier bench: " + chartError);
            return 1;
        }
        return 0;
    }

    /**
     * The chart's file, judged before the measurement starts, or null when no chart was asked for. Refused, with what
     * to do: a path that is a directory, a directory that does not exist (the doctor creates none: a typo would
     * otherwise leave directories behind), and a directory or file this process cannot write (tried with a temporary
     * file, which also catches a read-only mount, where root's permission bits say yes).
     */
    static Path chart(String option) {
        if (option == null) {
            return null;
        }
        String what = "option --chart=" + option + ": ";
        Path chart;
        try {
            chart = Path.of(option).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(what + "not a file name (" + e.getReason() + ")");
        }
        if (chart.getFileName() == null || Files.isDirectory(chart)) {
            throw new IllegalArgumentException(what + chart + " is a directory: give a file name, e.g. --chart="
                    + chart.resolve("processbarrier-bench.svg"));
        }
        Path dir = chart.getParent();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(what + "the directory " + dir + " does not exist: create it first, or "
                    + "give a file in an existing directory");
        }
        try {
            Files.delete(Files.createTempFile(dir, ".processbarrier-bench-", ".tmp"));
        } catch (IOException e) {
            throw new IllegalArgumentException(what + "cannot write in " + dir + " (" + reason(e) + "): give a file "
                    + "in a directory you can write");
        }
        if (Files.exists(chart) && !Files.isWritable(chart)) {
            throw new IllegalArgumentException(what + "cannot overwrite " + chart + ": give another file");
        }
        return chart;
    }

    /** What went wrong with a file, in words ("Read-only file system", "permission denied"). */
    private static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.toString();
    }

    static int[] parseThreads(String list) {
        String[] parts = list.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                out[i] = -1;
            }
            if (out[i] < 1 || out[i] > 4096) {
                throw new IllegalArgumentException("option --threads=" + list + ": expected a comma-separated list of "
                        + "thread counts from 1 to 4096, e.g. " + DEFAULT_THREADS);
            }
        }
        return Arrays.stream(out).distinct().sorted().toArray();
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    @SuppressWarnings("unchecked")
    private static String render(Map<String, Object> report, int[] threads) {
        StringBuilder sb = new StringBuilder();
        sb.append("ProcessBarrier bench ").append(report.get("version")).append(" (").append(report.get("kernel"))
                .append(", ").append(report.get("cpus")).append(" CPUs, ").append(report.get("jdk")).append(")\n\n");
        sb.append("heavy() latency, median / p99, against running threads (readers spinning on light(), besides the"
                + " caller)\n");
        String[] header = new String[threads.length + 1];
        header[0] = "provider";
        for (int i = 0; i < threads.length; i++) {
            header[i + 1] = threads[i] + (threads[i] == 1 ? " thread" : " threads");
        }
        Table t = new Table(header);
        for (Object o : (List<Object>) report.get("providers")) {
            Map<String, Object> p = (Map<String, Object>) o;
            Object[] row = new Object[threads.length + 1];
            row[0] = p.get("name") + (Boolean.TRUE.equals(p.get("selected")) ? " *" : "");
            List<Object> points = (List<Object>) p.get("points");
            for (int i = 0; i < points.size(); i++) {
                Map<String, Object> pt = (Map<String, Object>) points.get(i);
                row[i + 1] = pt.get("error") != null ? "failed"
                        : Latency.format((Long) pt.get("medianNanos")) + " / " + Latency.format((Long) pt.get("p99Nanos"));
            }
            t.row(row);
        }
        sb.append(t.render("  "));
        sb.append("  (* = the provider ProcessBarrier.get() selects)\n");
        for (Object o : (List<Object>) report.get("providers")) {
            Map<String, Object> p = (Map<String, Object>) o;
            for (Object po : (List<Object>) p.get("points")) {
                Map<String, Object> pt = (Map<String, Object>) po;
                if (pt.get("error") != null) {
                    sb.append("  ").append(p.get("name")).append(" at ").append(pt.get("threads")).append(" threads: ")
                            .append(pt.get("error")).append('\n');
                }
            }
        }
        Map<String, Object> light = (Map<String, Object>) report.get("light");
        double l = (Double) light.get("lightNanos");
        double f = (Double) light.get("fullFenceNanos");
        sb.append("\nThe reader's cost (store; barrier; load, per iteration)\n");
        Table lt = new Table("", "ns/op");
        lt.row("nothing", String.format(Locale.ROOT, "%.2f", (Double) light.get("emptyNanos")));
        lt.row("light() (" + light.get("provider") + ")", String.format(Locale.ROOT, "%.2f", l));
        lt.row("VarHandle.fullFence()", String.format(Locale.ROOT, "%.2f  (%.1fx light())", f, f / l));
        double v = (Double) light.get("volatileLightNanos");
        lt.row("volatile fields + light() (wrong)", String.format(Locale.ROOT, "%.2f  (%.1fx light())", v, v / l));
        sb.append(lt.render("  "));
        if (report.get("chart") != null) {
            sb.append("\nChart: ").append(report.get("chart")).append('\n');
        }
        return sb.toString();
    }
}
