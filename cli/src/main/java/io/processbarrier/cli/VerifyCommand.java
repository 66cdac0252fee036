package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;
import io.processbarrier.sync.Rcu;
import io.processbarrier.sync.internal.RcuTorture;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code verify}: the store-buffering litmus test ({@link StoreBuffering}) of every available provider on this very
 * host, each interleaved batch by batch with the no-barrier control so that both see the same conditions. Verdict per
 * provider: {@code verified} (no forbidden outcome in enough trials: at the control's rate, a barrier that did nothing
 * would have shown at least {@link #MIN_EXPECTED} of them), {@code FAILED} (forbidden outcome seen, or the barrier
 * threw), {@code inconclusive} (the control showed nothing, e.g. on one CPU, or too few trials to verify: a zero in
 * them proves nothing), {@code unavailable}. Then a short {@link RcuTorture} of an {@link Rcu} on each available
 * provider ({@code --rcu-seconds}, 0.5 s by default; 0 skips it): readers must never see an object reclaimed. Exit status 1 if any provider
 * FAILED (either test); with {@code --strict}, 3 if none failed but some was inconclusive; else 0.
 */
final class VerifyCommand implements Command {
    static final String VERIFIED = "verified";
    static final String FAILED = "FAILED";
    static final String INCONCLUSIVE = "inconclusive";
    static final String UNAVAILABLE = "unavailable";

    /** Provider trials per batch: the unit of interleaving with the control and of checking the time budget. */
    static final int BATCH = 512;
    /**
     * Control trials per provider batch: a control trial costs a fraction of a microsecond, a provider trial the
     * microseconds of heavy(), so the control gets several times the trials for a small share of the time.
     */
    static final int CONTROL_PER_BATCH = 4 * BATCH;
    /** How much longer than its budget a provider runs while the control has shown nothing (time budgets only). */
    static final long EXTENSION = 4;
    static final long WARM_UP_TRIALS = 300_000;
    static final long WARM_UP_MAX_NANOS = 2_000_000_000L;
    /**
     * How many forbidden outcomes a barrier that does nothing must be expected to show in the provider's trials, at
     * the control's rate, before a zero counts as verified: a do-nothing barrier passes with probability e^-5, under
     * 1%. So {@code --trials=10} is inconclusive ("too few trials to verify") wherever the control's rate is below
     * 50%; with a time budget the run goes on (up to {@link #EXTENSION} times the budget) until the trials suffice.
     */
    static final double MIN_EXPECTED = 5;

    @Override
    public String summary() {
        return "prove each available provider with a store-buffering litmus test and a no-barrier control";
    }

    @Override
    public String[] options() {
        return new String[] {
            "--json            print the report as JSON on stdout",
            "--seconds=N       time per provider, control included (default 3)",
            "--trials=N        run N trials per provider (and N control trials) instead of a time budget",
            "--provider=NAME   verify only this provider",
            "--strict          exit 3 when a provider is only inconclusive (no control outcome, or too few trials)",
            "--rcu-seconds=N   Rcu torture per provider (default 0.5; 0 skips it)",
        };
    }

    /** The outcome for one provider. */
    record Row(String provider, boolean available, long trials, long forbidden, long controlTrials,
               long controlForbidden, String verdict, String error, double seconds) {
        Map<String, Object> json() {
            Map<String, Object> m = Json.object();
            m.put("provider", provider);
            m.put("available", available);
            m.put("trials", trials);
            m.put("forbidden", forbidden);
            m.put("controlTrials", controlTrials);
            m.put("controlForbidden", controlForbidden);
            m.put("verdict", verdict);
            m.put("error", error);
            m.put("seconds", Math.round(seconds * 100) / 100.0);
            m.put("note", note());
            return m;
        }

        /** How many forbidden outcomes the control's rate predicts in this many trials for a barrier doing nothing. */
        double expectedWithoutBarrier() {
            return VerifyCommand.expected(trials, controlTrials, controlForbidden);
        }

        /** Why an inconclusive verdict is one, in words; null for any other verdict. */
        String note() {
            if (!verdict.equals(INCONCLUSIVE)) {
                return null;
            }
            if (controlForbidden == 0) {
                return "the control never showed the outcome in " + fmt(controlTrials) + " trials (one CPU, or a "
                        + "heavily loaded machine), so the zero proves nothing here. Run again with more CPUs or "
                        + "--seconds.";
            }
            long needed = (long) Math.ceil(MIN_EXPECTED * controlTrials / controlForbidden);
            return String.format(Locale.ROOT, "too few trials to verify: at the control's rate (%s in %s trials) a "
                    + "barrier that does nothing would show the outcome %.1f times in %s trials, and a zero counts "
                    + "only where it would show at least %.0f. Run at least %s trials (--trials), or --seconds.",
                    fmt(controlForbidden), fmt(controlTrials), expectedWithoutBarrier(), fmt(trials), MIN_EXPECTED,
                    fmt(needed));
        }
    }

    /** Forbidden outcomes in {@code trials} at the control's rate (0 when the control has run nothing). */
    static double expected(long trials, long controlTrials, long controlForbidden) {
        return controlTrials == 0 ? 0 : (double) trials * controlForbidden / controlTrials;
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) {
        boolean json = args.flag("--json");
        double seconds = args.positive("--seconds", 3);
        long trials = args.value("--trials", null) == null ? 0 : args.positiveLong("--trials", 1);
        String only = args.value("--provider", null);
        double rcuSeconds = args.zeroOrPositive("--rcu-seconds", 0.5, "skips the torture");

        List<ProviderStatus> statuses = ProcessBarrier.providers();
        if (only != null) {
            statuses = statuses.stream().filter(s -> s.name().equals(only)).collect(Collectors.toList());
            if (statuses.isEmpty()) {
                List<String> names = ProcessBarrier.providers().stream().map(ProviderStatus::name).toList();
                String close = DidYouMean.closest(only, names);
                throw new IllegalArgumentException("no provider named '" + only + "'"
                        + (close == null ? "" : " (did you mean " + close + "?)") + "; providers found: "
                        + String.join(", ", names));
            }
        }
        long toRun = statuses.stream().filter(ProviderStatus::available).count();
        Progress progress = new Progress(err, !json);
        List<Row> rows = new ArrayList<>();
        try (StoreBuffering harness = new StoreBuffering()) {
            if (toRun > 0) {
                progress.update("verify: warming up", 0);
                harness.warmUp(WARM_UP_TRIALS, WARM_UP_MAX_NANOS);
            }
            int done = 0;
            for (ProviderStatus s : statuses) {
                if (!s.available()) {
                    rows.add(new Row(s.name(), false, 0, 0, 0, 0, UNAVAILABLE, s.causeMessage(), 0));
                    continue;
                }
                int index = done++;
                rows.add(verify(harness, s.name(), () -> ProcessBarrier.of(s.name()), seconds, trials,
                        f -> progress.update("verify: " + s.name(), (index + f) / toRun)));
            }
        }
        List<Map<String, Object>> tortures = new ArrayList<>();
        for (Row r : rows) {
            if (r.available && rcuSeconds > 0) {
                progress.update("verify: rcu torture " + r.provider, 1);
                tortures.add(torture(r.provider, rcuSeconds));
            }
        }
        progress.done();

        Map<String, Object> report = Json.object();
        report.put("version", DoctorCommand.version());
        report.put("cpus", Runtime.getRuntime().availableProcessors());
        report.put("pattern", "reader: x = 1; light(); r1 = y | writer: y = 1; heavy(); r2 = x | forbidden: r1 == 0 && r2 == 0");
        report.put("budget", trials > 0 ? trials + " trials per provider" : seconds + " s per provider");
        List<Object> list = new ArrayList<>();
        rows.forEach(r -> list.add(r.json()));
        report.put("providers", list);
        report.put("rcuTorture", new ArrayList<Object>(tortures));
        boolean failed = rows.stream().anyMatch(r -> r.verdict.equals(FAILED))
                || tortures.stream().anyMatch(t -> t.get("verdict").equals(FAILED));
        boolean inconclusive = rows.stream().anyMatch(r -> r.verdict.equals(INCONCLUSIVE));
        report.put("verdict", failed ? FAILED : inconclusive ? INCONCLUSIVE : toRun == 0 ? UNAVAILABLE : VERIFIED);
        if (json) {
            out.print(Json.write(report));
        } else {
            out.print(render(rows, report));
        }
        if (failed) {
            return 1;
        }
        return inconclusive && args.flag("--strict") ? 3 : 0;
    }

    interface Fraction {
        void at(double fraction);
    }

    /**
     * Alternates batches of the control ({@link #CONTROL_PER_BATCH} trials) and of the provider ({@link #BATCH}
     * trials) until the time budget is spent, or, with {@code trials > 0}, until that many provider trials ran. With a
     * time budget, a control that has shown nothing yet gets up to {@link #EXTENSION} times the budget (the provider
     * keeps running alongside), and a forbidden outcome of the provider ends the run at once.
     */
    static Row verify(StoreBuffering harness, String name, Supplier<ProcessBarrier> create, double seconds, long trials,
                      Fraction progress) {
        long start = System.nanoTime();
        long budget = (long) (seconds * 1e9);
        StoreBuffering.Counts p = new StoreBuffering.Counts(0, 0);
        StoreBuffering.Counts c = new StoreBuffering.Counts(0, 0);
        ProcessBarrier barrier;
        try {
            barrier = create.get();
            while (true) {
                long elapsed = System.nanoTime() - start;
                // a control that has not shown enough yet gets up to EXTENSION times the budget (a loaded machine
                // deschedules the two threads and races less); the provider keeps running with it, so that its zero
                // comes to count (MIN_EXPECTED)
                boolean spent = trials > 0 ? p.trials() >= trials : elapsed >= (expected(p.trials(), c.trials(),
                        c.forbidden()) >= MIN_EXPECTED ? budget : EXTENSION * budget);
                if (spent) {
                    break;
                }
                int n = (int) (trials > 0 ? Math.min(BATCH, trials - p.trials()) : BATCH);
                c = c.plus(harness.run(StoreBuffering.NONE, CONTROL_PER_BATCH));
                p = p.plus(harness.run(barrier, n));
                progress.at(Math.min(1, trials > 0 ? (double) p.trials() / trials : (double) elapsed / budget));
                if (p.forbidden() > 0 && trials == 0) {
                    break; // the verdict cannot change: stop wasting the user's time
                }
            }
        } catch (RuntimeException e) { // heavy() or light() threw, or creating the barrier failed
            return new Row(name, true, p.trials(), p.forbidden(), c.trials(), c.forbidden(), FAILED,
                    ProcessBarrierException.describe(e), (System.nanoTime() - start) / 1e9);
        }
        String verdict = p.forbidden() > 0 ? FAILED
                : expected(p.trials(), c.trials(), c.forbidden()) >= MIN_EXPECTED ? VERIFIED : INCONCLUSIVE;
        return new Row(name, true, p.trials(), p.forbidden(), c.trials(), c.forbidden(), verdict, null,
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * {@link RcuTorture} on an {@link Rcu} of one provider: 2 platform readers, 2 virtual ones on JDK 21+, two
     * writers; {@code verified} with 0 errors and every unlinked object reclaimed, else {@code FAILED}.
     */
    static Map<String, Object> torture(String provider, double seconds) {
        Map<String, Object> m = Json.object();
        m.put("provider", provider);
        try (Rcu rcu = Rcu.create(ProcessBarrier.of(provider))) {
            RcuTorture.Result r = RcuTorture.run(rcu, Duration.ofNanos((long) (seconds * 1e9)), 2, 2,
                    RcuTorture.Mode.RCU);
            m.put("readers", r.platformReaders() + r.virtualReaders());
            m.put("reads", r.reads());
            m.put("swaps", r.swaps());
            m.put("errors", r.errors());
            m.put("verdict", r.passed() ? VERIFIED : FAILED);
            m.put("error", r.messages().isEmpty() ? null : String.join("; ", r.messages()));
        } catch (RuntimeException e) {
            m.put("verdict", FAILED);
            m.put("error", ProcessBarrierException.describe(e));
        }
        return m;
    }

    private static String render(List<Row> rows, Map<String, Object> report) {
        StringBuilder sb = new StringBuilder();
        sb.append("ProcessBarrier verify ").append(report.get("version")).append(": ").append(report.get("cpus"))
                .append(" CPUs, ").append(report.get("budget")).append("\n\n")
                .append("Store buffering, each trial on fresh fields:\n")
                .append("  reader: x = 1; light(); r1 = y     writer: y = 1; heavy(); r2 = x\n")
                .append("  r1 == 0 && r2 == 0 is forbidden. The control runs the same code with no barrier, in"
                        + " batches alternating\n  with the provider's: it shows how often this machine produces"
                        + " that outcome when nothing prevents it.\n\n");
        Table t = new Table("provider", "trials", "forbidden", "control trials", "control forbidden", "verdict");
        for (Row r : rows) {
            if (!r.available) {
                t.row(r.provider, "-", "-", "-", "-", UNAVAILABLE + ": " + r.error);
            } else {
                t.row(r.provider, fmt(r.trials), fmt(r.forbidden), fmt(r.controlTrials), fmt(r.controlForbidden),
                        r.error == null ? r.verdict : r.verdict + ": " + r.error);
            }
        }
        sb.append(t.render("  "));
        sb.append('\n');
        for (Row r : rows) {
            if (r.verdict.equals(FAILED) && r.error == null) {
                sb.append("FAILED: ").append(r.provider).append(" let both threads miss each other's store ")
                        .append(fmt(r.forbidden)).append(" times: its heavy() is not a process-wide barrier here. Do "
                        + "not use it: set -Dprocessbarrier.exclude=").append(r.provider).append('\n');
            } else if (r.verdict.equals(INCONCLUSIVE)) {
                sb.append("inconclusive: ").append(r.provider).append(": ").append(r.note()).append('\n');
            }
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tortures = (List<Map<String, Object>>) (List<?>) report.get("rcuTorture");
        if (!tortures.isEmpty()) {
            sb.append("\nRcu torture: readers follow a pointer in read sections and check that it was not reclaimed;"
                    + " writers swap it and\n  reclaim by retire(), synchronize() and startPoll()/poll():\n\n");
            Table rt = new Table("provider", "readers", "reads", "swaps", "errors", "verdict");
            for (Map<String, Object> tt : tortures) {
                rt.row(tt.get("provider"), tt.get("readers"), count(tt, "reads"), count(tt, "swaps"),
                        count(tt, "errors"),
                        tt.get("error") == null ? tt.get("verdict") : tt.get("verdict") + ": " + tt.get("error"));
            }
            sb.append(rt.render("  ")).append('\n');
        }
        sb.append("verdict: ").append(report.get("verdict")).append('\n');
        return sb.toString();
    }

    private static String count(Map<String, Object> m, String key) {
        return m.get(key) == null ? "-" : fmt((Long) m.get(key));
    }

    private static String fmt(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
