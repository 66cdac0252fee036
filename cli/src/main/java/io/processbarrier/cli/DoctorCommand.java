package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The doctor: the environment, every provider with its priority, availability and cause, which one
 * {@link ProcessBarrier#get()} selects, and a short heavy() latency measurement of every available provider.
 * Exit status 0 when a barrier could be selected, 1 when not (e.g. a forced provider is unavailable).
 */
final class DoctorCommand implements Command {
    /** Spinning reader threads during the latency measurement: one, so that caller + reader fill 2 CPUs. */
    static final int READERS = 1;

    @Override
    public String summary() {
        return "what works here and how fast (the default command)";
    }

    @Override
    public String[] options() {
        return new String[] {
            "--json            print the report as JSON on stdout",
            "--calls=N         heavy() calls timed per provider (default 2000, up to " + Latency.MAX_CALLS
                    + ")",
            "--no-latency      skip the latency measurement",
        };
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) {
        boolean json = args.flag("--json");
        int calls = (int) args.positiveLong("--calls", 2000, Latency.MAX_CALLS); // refused above, never cut
        Map<String, Object> report = Json.object();
        report.put("version", version());
        report.put("environment", Environment.collect());

        String selected = null;
        String selectionError = null;
        try {
            selected = ProcessBarrier.get().name();
        } catch (ProcessBarrierException e) {
            selectionError = e.getMessage();
        }
        List<ProviderStatus> statuses = ProcessBarrier.providers();
        List<Object> providers = new ArrayList<>();
        for (ProviderStatus s : statuses) {
            Map<String, Object> p = Json.object();
            p.put("name", s.name());
            p.put("priority", s.priority());
            p.put("available", s.available());
            p.put("selected", s.selected());
            p.put("detail", s.available() ? s.detail() : null);
            p.put("cause", s.available() ? null : s.causeMessage());
            providers.add(p);
        }
        report.put("selected", selected);
        report.put("selectionError", selectionError);
        report.put("providers", providers);

        List<Object> latency = new ArrayList<>();
        if (!args.flag("--no-latency")) {
            Progress progress = new Progress(err, !json);
            List<ProviderStatus> available = statuses.stream().filter(ProviderStatus::available).toList();
            int i = 0;
            for (ProviderStatus s : available) {
                progress.update("heavy() latency: " + s.name(), (double) i++ / available.size());
                Map<String, Object> l = Json.object();
                l.put("provider", s.name());
                try {
                    Latency m = Latency.measureWithReaders(ProcessBarrier.of(s.name()), READERS, calls, 1_000_000_000L);
                    l.put("calls", m.calls);
                    l.put("readerThreads", READERS);
                    l.put("medianNanos", m.medianNanos);
                    l.put("p99Nanos", m.p99Nanos);
                    l.put("error", null);
                } catch (ProcessBarrierException e) {
                    l.put("error", ProcessBarrierException.describe(e));
                }
                latency.add(l);
            }
            progress.done();
        }
        report.put("latency", latency);

        if (json) {
            out.print(Json.write(report));
        } else {
            out.print(render(report, statuses));
        }
        return selectionError == null ? 0 : 1;
    }

    @SuppressWarnings("unchecked")
    private static String render(Map<String, Object> report, List<ProviderStatus> statuses) {
        StringBuilder sb = new StringBuilder();
        sb.append("ProcessBarrier doctor ").append(report.get("version")).append("\n\nEnvironment\n");
        sb.append(Environment.render((Map<String, Object>) report.get("environment")));
        sb.append("\nProviders (in selection order)\n");
        Table t = new Table("provider", "priority", "available", "selected", "detail / why not");
        for (ProviderStatus s : statuses) {
            t.row(s.name(), s.priority() == Integer.MIN_VALUE ? "-" : s.priority(), s.available() ? "yes" : "no",
                    s.selected() ? "*" : "", s.available() ? s.detail() : s.causeMessage());
        }
        sb.append(t.render("  "));
        if (report.get("selectionError") != null) {
            sb.append("\nNo barrier selected: ").append(report.get("selectionError")).append('\n');
        } else {
            sb.append("\nProcessBarrier.get() -> ").append(report.get("selected")).append('\n');
        }
        List<Object> latency = (List<Object>) report.get("latency");
        if (!latency.isEmpty()) {
            sb.append("\nheavy() latency (one caller, ").append(READERS).append(" reader thread spinning on light())\n");
            Table l = new Table("provider", "calls", "median", "p99");
            for (Object o : latency) {
                Map<String, Object> m = (Map<String, Object>) o;
                if (m.get("error") != null) {
                    l.row(m.get("provider"), "-", "failed: " + m.get("error"), "");
                } else {
                    l.row(m.get("provider"), m.get("calls"), Latency.format((Long) m.get("medianNanos")),
                            Latency.format((Long) m.get("p99Nanos")));
                }
            }
            sb.append(l.render("  "));
        }
        return sb.toString();
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }
}
