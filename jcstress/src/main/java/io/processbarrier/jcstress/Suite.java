package io.processbarrier.jcstress;

import io.processbarrier.ProviderStatus;
import io.processbarrier.ProcessBarrier;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.infra.StateCase;
import org.openjdk.jcstress.infra.Status;
import org.openjdk.jcstress.infra.TestInfo;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;
import org.openjdk.jcstress.infra.runners.TestList;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The judge of the litmus suite, used by {@code jcstress/run.sh}; jcstress itself only counts outcomes.
 * <ul>
 *   <li>{@code plan [--require=a,b]}: prints the jcstress {@code -t} regexp of the tests to run here (tests of
 *       unavailable providers are left out, with the reason on stderr). Exit 1 if a provider found on the class path
 *       has no test, or a required provider is unavailable.</li>
 *   <li>{@code report [--allow-inconclusive] [--planned=REGEXP] LABEL=RESULTS.bin.gz ...}: one table per JVM mode,
 *       then the verdict; a planned provider test or control without a result fails the run.
 *       Exit 1 if a provider test saw its forbidden outcome or did not run cleanly (FAILED); else 3 if a control that
 *       must show power saw nothing in some mode (INCONCLUSIVE: the zeros of that mode prove nothing), unless
 *       {@code --allow-inconclusive}; else 0.</li>
 * </ul>
 */
public final class Suite {
    enum Kind {
        /** A real provider: its FORBIDDEN outcome must never be seen. */
        PROVIDER,
        /** Must show its interesting outcome in every mode, or the run had no power. */
        CONTROL,
        /**
         * Must show its interesting outcome in the compiled modes; reported under the interpreter, which puts so much
         * time between the reader's store and load that a fence on the writer's side alone is rarely caught
         * (tens per million trials: too few to fail a bounded run on).
         */
        COMPILED_CONTROL,
        /** Must show its interesting outcome under C2 (where the JIT moves code); reported elsewhere. */
        C2_CONTROL,
        /** Reported, never judged. */
        DIAGNOSTIC
    }

    record Spec(String simpleName, Kind kind, String provider, String meaning) {
        String name() {
            return PACKAGE + simpleName;
        }
    }

    static final String PACKAGE = "io.processbarrier.jcstress.";

    /** Every test of the suite; {@link #plan} checks that this table and jcstress's generated list agree. */
    static final List<Spec> SPECS = List.of(
            new Spec("SB_membarrier", Kind.PROVIDER, "membarrier", "store buffering"),
            new Spec("SB_mprotect", Kind.PROVIDER, "mprotect", "store buffering"),
            new Spec("SB_signal", Kind.PROVIDER, "signal", "store buffering"),
            new Spec("SB_fence", Kind.PROVIDER, "fence", "store buffering"),
            new Spec("Loop_membarrier", Kind.PROVIDER, "membarrier", "light() in a hot reader loop"),
            new Spec("SB_control_NoBarrier", Kind.CONTROL, null, "no barrier"),
            new Spec("SB_control_FenceOneSide", Kind.COMPILED_CONTROL, null, "full fence in the writer only"),
            new Spec("Loop_control_NoLight", Kind.C2_CONTROL, "membarrier", "reader loop without light()"),
            new Spec("SB_diag_NoLight", Kind.DIAGNOSTIC, "membarrier", "membarrier, reader without light()"),
            new Spec("SB_diag_SlowFenceOneSide", Kind.DIAGNOSTIC, null, "writer fence + 10 us wait, no barrier"),
            // ReadMostlyLock (io.processbarrier.sync): mutual exclusion of a reader and a writer, per real provider
            new Spec("RML_membarrier", Kind.PROVIDER, "membarrier", "ReadMostlyLock exclusion"),
            new Spec("RML_mprotect", Kind.PROVIDER, "mprotect", "ReadMostlyLock exclusion"),
            new Spec("RML_signal", Kind.PROVIDER, "signal", "ReadMostlyLock exclusion"),
            new Spec("RML_control_NoDrain", Kind.CONTROL, "membarrier", "ReadMostlyLock, writer drains no reader"),
            new Spec("RML_rare_membarrier", Kind.PROVIDER, "membarrier",
                    "ReadMostlyLock exclusion, reader without a record, writer of a burst"),
            new Spec("RML_control_RareUncounted", Kind.CONTROL, "membarrier",
                    "ReadMostlyLock, writers skip the stripes"),
            new Spec("RML_burst_membarrier", Kind.PROVIDER, "membarrier",
                    "ReadMostlyLock exclusion in a burst, fenced reader against the claim's CAS"),
            new Spec("RML_control_BurstNoDrain", Kind.CONTROL, "membarrier",
                    "ReadMostlyLock in a burst, writer drains no reader"),
            // Rcu (processbarrier-sync): a reader that saw the old object never sees it reclaimed inside its section
            new Spec("RCU_membarrier", Kind.PROVIDER, "membarrier", "Rcu read section vs synchronize"),
            new Spec("RCU_mprotect", Kind.PROVIDER, "mprotect", "Rcu read section vs synchronize"),
            new Spec("RCU_signal", Kind.PROVIDER, "signal", "Rcu read section vs synchronize"),
            new Spec("RCU_LaterSection", Kind.PROVIDER, "membarrier", "Rcu, the scan reads a later section's epoch"),
            new Spec("RCU_Local", Kind.PROVIDER, "membarrier", "Rcu.Local section vs synchronize"),
            new Spec("RCU_control_MissedReader", Kind.CONTROL, null, "grace period that misses the reader"));

    private Suite() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: Suite plan [--require=a,b] | Suite report [--allow-inconclusive] [--planned=REGEXP] LABEL=FILE...");
            System.exit(2);
        }
        List<String> rest = List.of(args).subList(1, args.length);
        switch (args[0]) {
            case "plan":
                System.exit(plan(rest));
                break;
            case "report":
                System.exit(report(rest));
                break;
            default:
                System.err.println("unknown subcommand " + args[0]);
                System.exit(2);
        }
    }

    // ---------------------------------------------------------------------------------------------------- plan

    static int plan(List<String> args) {
        Set<String> required = new LinkedHashSet<>();
        for (String a : args) {
            if (a.startsWith("--require=")) {
                for (String p : a.substring("--require=".length()).split(",")) {
                    if (!p.isBlank()) {
                        required.add(p.trim());
                    }
                }
            } else {
                System.err.println("plan: unknown argument " + a);
                return 2;
            }
        }
        int status = 0;
        Set<String> generated = TestList.tests().stream().filter(n -> n.startsWith(PACKAGE))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> specified = SPECS.stream().map(Spec::name).collect(Collectors.toCollection(TreeSet::new));
        if (!generated.equals(specified)) {
            System.err.println("plan: the suite's table and the generated test list differ: generated " + generated
                    + ", table " + specified);
            return 1;
        }
        Map<String, ProviderStatus> providers = new LinkedHashMap<>();
        for (ProviderStatus s : ProcessBarrier.providers()) {
            providers.put(s.name(), s);
        }
        for (ProviderStatus s : providers.values()) {
            boolean tested = SPECS.stream().anyMatch(t -> t.kind == Kind.PROVIDER && s.name().equals(t.provider));
            if (!tested) {
                System.err.println("plan: UNTESTED provider '" + s.name() + "' is on the class path but has no litmus "
                        + "test: add SB_" + s.name() + " to the suite");
                status = 1;
            }
        }
        List<String> run = new ArrayList<>();
        Set<String> skipped = new TreeSet<>();
        for (Spec t : SPECS) {
            ProviderStatus s = t.provider == null ? null : providers.get(t.provider);
            if (t.provider != null && (s == null || !s.available())) {
                skipped.add(t.provider + ": " + (s == null ? "not on the class path" : s.causeMessage()));
                continue;
            }
            run.add(t.simpleName);
        }
        for (String s : skipped) {
            System.err.println("plan: SKIPPED tests of unavailable provider " + s);
        }
        for (String r : required) {
            ProviderStatus s = providers.get(r);
            if (s == null || !s.available()) {
                System.err.println("plan: provider '" + r + "' is required (--require) but "
                        + (s == null ? "not on the class path" : "unavailable: " + s.causeMessage()));
                status = 1;
            }
        }
        System.out.println("^" + PACKAGE.replace(".", "\\.") + "(" + String.join("|", run) + ")$");
        return status;
    }

    // -------------------------------------------------------------------------------------------------- report

    /** The results of one test in one mode: all forks and configurations summed. */
    static final class Tally {
        final Spec spec;
        final Map<String, Long> counts = new TreeMap<>();
        Status status = Status.NORMAL;
        final List<String> messages = new ArrayList<>();
        int runs;

        Tally(Spec spec) {
            this.spec = spec;
        }

        long total() {
            return counts.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Occurrences of the outcomes graded {@code expect}. */
        long count(Expect expect) {
            TestInfo info = TestList.getInfo(spec.name());
            long n = 0;
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                Expect ex = info.unmatched().expect();
                for (StateCase c : info.cases()) {
                    if (c.matches(e.getKey())) {
                        ex = c.expect();
                        break;
                    }
                }
                if (ex == expect) {
                    n += e.getValue();
                }
            }
            return n;
        }

        String outcomes() {
            return counts.entrySet().stream().map(e -> "(" + e.getKey() + ")=" + e.getValue())
                    .collect(Collectors.joining(" "));
        }
    }

    static int report(List<String> args) throws Exception {
        boolean allowInconclusive = false;
        java.util.regex.Pattern planned = null;
        Map<String, String> modes = new LinkedHashMap<>();
        for (String a : args) {
            if (a.equals("--allow-inconclusive")) {
                allowInconclusive = true;
            } else if (a.startsWith("--planned=")) {
                planned = java.util.regex.Pattern.compile(a.substring("--planned=".length()));
            } else if (a.contains("=")) {
                modes.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else {
                System.err.println("report: unknown argument " + a);
                return 2;
            }
        }
        List<String> failures = new ArrayList<>();
        List<String> noPower = new ArrayList<>();
        Map<String, List<String>> perProvider = new TreeMap<>();
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> m : modes.entrySet()) {
            String mode = m.getKey();
            Map<String, Tally> tallies = read(m.getValue());
            out.append(String.format(Locale.ROOT, "%nmode %s%n", mode));
            out.append(String.format(Locale.ROOT, "  %-26s %-16s %14s %12s  %s%n", "test", "kind", "trials",
                    "(0,0)/bad", "verdict"));
            for (Spec spec : SPECS) {
                Tally t = tallies.get(spec.name());
                if (t == null) {
                    if (planned != null && planned.matcher(spec.name()).find() && spec.kind != Kind.DIAGNOSTIC) {
                        out.append(String.format(Locale.ROOT, "  %-26s %-16s %14s %12s  %s%n", spec.simpleName,
                                spec.kind.name().toLowerCase(Locale.ROOT), "-", "-", "FAILED: planned, but no result"));
                        failures.add(mode + " " + spec.simpleName + ": planned, but jcstress reported no result");
                    }
                    continue; // not planned (an unavailable provider: the plan said so)
                }
                long trials = t.total();
                String verdict;
                long key;
                boolean ran = t.status == Status.NORMAL && trials > 0;
                switch (spec.kind) {
                    case PROVIDER:
                        key = t.count(Expect.FORBIDDEN);
                        if (!ran) {
                            verdict = "FAILED: did not run cleanly (" + t.status + ") " + String.join(" | ", t.messages);
                            failures.add(mode + " " + spec.simpleName + ": " + t.status);
                        } else if (key > 0) {
                            verdict = "FAILED: forbidden outcome seen " + key + " times";
                            failures.add(mode + " " + spec.simpleName + ": forbidden outcome seen " + key + " times");
                        } else {
                            verdict = "ok";
                        }
                        perProvider.computeIfAbsent(spec.provider, k -> new ArrayList<>())
                                .add(mode + " " + spec.meaning + " " + key + "/" + trials);
                        break;
                    case CONTROL:
                    case COMPILED_CONTROL:
                    case C2_CONTROL:
                        key = t.count(Expect.ACCEPTABLE_INTERESTING);
                        boolean judged = spec.kind == Kind.CONTROL
                                || (spec.kind == Kind.COMPILED_CONTROL && !mode.equals("int"))
                                || mode.equals("c2");
                        if (!ran) {
                            verdict = "FAILED: control did not run cleanly (" + t.status + ") "
                                    + String.join(" | ", t.messages);
                            failures.add(mode + " " + spec.simpleName + ": " + t.status);
                        } else if (key > 0) {
                            verdict = "power shown";
                        } else if (judged) {
                            verdict = "NO POWER: this control never showed its outcome";
                            noPower.add(mode + " " + spec.simpleName + " (" + spec.meaning + ")");
                        } else if (spec.kind == Kind.C2_CONTROL) {
                            verdict = "nothing seen (expected: no JIT reordering in this mode)";
                        } else {
                            verdict = "nothing seen (not judged in the interpreter: weak here)";
                        }
                        break;
                    default:
                        key = t.count(Expect.ACCEPTABLE_INTERESTING);
                        verdict = !ran ? "did not run cleanly (" + t.status + ")"
                                : "diagnostic: " + (key > 0 ? "caught" : "not caught");
                }
                out.append(String.format(Locale.ROOT, "  %-26s %-16s %,14d %,12d  %s%n", spec.simpleName,
                        spec.kind.name().toLowerCase(Locale.ROOT), trials, key, verdict));
                out.append("      outcomes: ").append(t.outcomes()).append('\n');
            }
        }
        out.append("\nper provider (forbidden/trials):\n");
        perProvider.forEach((p, l) -> out.append("  ").append(p).append(": ").append(String.join("; ", l)).append('\n'));
        System.out.print(out);
        System.out.println();
        if (!failures.isEmpty()) {
            System.out.println("VERDICT: FAILED");
            failures.forEach(f -> System.out.println("  " + f));
            if (!noPower.isEmpty()) {
                System.out.println("  (also without power: " + String.join(", ", noPower) + ")");
            }
            return 1;
        }
        if (!noPower.isEmpty()) {
            System.out.println("VERDICT: INCONCLUSIVE: a control showed nothing, so this run could not have caught the"
                    + " failure it stands for; the zeros of the providers in that mode prove nothing on this machine:");
            noPower.forEach(f -> System.out.println("  " + f));
            if (allowInconclusive) {
                System.out.println("  (--allow-inconclusive: exit status 0 anyway)");
                return 0;
            }
            return 3;
        }
        System.out.println("VERDICT: PASSED: no provider showed its forbidden outcome, and every control showed its"
                + " outcome in the same runs");
        return 0;
    }

    static Map<String, Tally> read(String file) throws Exception {
        Map<String, Tally> tallies = new LinkedHashMap<>();
        Map<String, Spec> byName = new LinkedHashMap<>();
        SPECS.forEach(s -> byName.put(s.name(), s));
        List<TestResult> results = new ArrayList<>();
        DiskReadCollector reader = new DiskReadCollector(file, results::add);
        try {
            reader.dump();
        } finally {
            reader.close();
        }
        for (TestResult r : results) {
            Spec spec = byName.get(r.getName());
            if (spec == null) {
                continue;
            }
            Tally t = tallies.computeIfAbsent(spec.name(), k -> new Tally(spec));
            t.runs++;
            t.status = t.status.combine(r.status());
            for (String k : r.getStateKeys()) {
                t.counts.merge(k, r.getCount(k), Long::sum);
            }
            if (r.status() != Status.NORMAL) {
                r.getMessages().stream().limit(5).forEach(t.messages::add);
            }
        }
        return tallies;
    }
}
