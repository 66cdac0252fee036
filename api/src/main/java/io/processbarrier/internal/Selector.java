package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;
import io.processbarrier.internal.support.AsymmetricBarriers;
import io.processbarrier.internal.support.LogHandoff;
import io.processbarrier.internal.support.Settings;
import io.processbarrier.spi.Availability;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The selection policy, in one place. The default is the available provider with the highest priority that is not
 * excluded, unless one is forced; ties break by name, so the choice is deterministic. Providers are probed lazily, in
 * priority order, until one is available: membarrier, when it works, is the only one probed (mprotect's probe runs
 * a trial shootdown, signal's lists the threads). {@link #statuses()} probes every provider. Barriers are created at
 * most once per provider and shared. Provider names are matched without regard to case.
 *
 * <p>The decision is logged through {@code System.Logger} ({@code io.processbarrier}): at DEBUG normally, at
 * WARNING when a provider was passed over because of a misconfiguration (a natives jar missing, native access
 * denied, an extraction directory refused), and once per copy at WARNING for the {@code processbarrier.*} names this
 * copy does not know ({@link Settings#unknownNamesWarning()}). A WARNING is written on the caller (never lost); the
 * DEBUG line goes through {@link LogHandoff}, off the caller's thread: initializing logging costs tens of
 * milliseconds, which a correctly configured {@code get()} must not pay.
 */
public final class Selector {
    public static final String PROVIDER_PROPERTY = "processbarrier.provider";
    public static final String EXCLUDE_PROPERTY = "processbarrier.exclude";
    /** {@code false} gives every {@code heavy()} call a system barrier of its own. */
    public static final String COALESCE_PROPERTY = "processbarrier.coalesce";
    /** {@code true}: {@code get()} throws rather than return {@code fence}. */
    public static final String REQUIRE_ASYMMETRIC_PROPERTY = "processbarrier.requireAsymmetric";
    /** Not a constant: relocation must not rewrite the logger's name (see {@link Settings#GROUP_ID}). */
    static final String LOGGER = Settings.GROUP_ID;

    /** The project's providers and the artifact of each, for messages that say what to add. */
    private static final String[][] PROJECT_PROVIDERS = {
        {"membarrier", "processbarrier-spi-membarrier", "membarrier.MembarrierProvider"},
        {"mprotect", "processbarrier-spi-mprotect", "mprotect.MprotectProvider"},
        {"signal", "processbarrier-spi-signal", "signal.SignalProvider"},
    };

    private static volatile Selector instance;

    /**
     * What NativeLoader loaded, for the log: set by it, read here, so that selection without natives never loads
     * the loader class (startup).
     */
    private static volatile String nativeLibrary;

    static void nativeLibraryLoaded(String description) {
        nativeLibrary = description;
    }

    private final List<Entry> entries;
    private final Settings settings;
    private final boolean coalesce;
    private final boolean requireAsymmetric;
    /** The first setting that breaks the rule of {@link Settings#judge()}, or null. */
    private final ProcessBarrierException badSettings;
    private final String forced;
    private final Set<String> excluded;
    private final Map<String, ProcessBarrier> created = new HashMap<>();
    private Object defaultChoice; // a ProcessBarrier, or the ProcessBarrierException to throw again
    /** The scan for providers other than the project's, running in the background; null when there is none. */
    private final ProviderScan scan;
    /** The WARNING of the late check, if it wrote one (tests). */
    volatile String lateWarning;
    /** Whether the scan's thread was started (by the first get()). */
    private boolean scanStarted;
    /** Whether what the scan found is in {@link #entries}. */
    private boolean scanMerged;
    /** The class names of the providers given to the constructor, which the scan finds again. */
    private final Set<String> builtInClasses = new HashSet<>();
    /** The WARNING about setting names this copy does not know, or null (tests). */
    final String settingsWarning;

    /** A provider and what probing it found; {@code provider} is null when it failed to load at all. */
    static final class Entry {
        final String name;
        final ProcessBarrierProvider provider;
        int priority;
        Availability availability; // null until probed
        /** A setting that broke the rule while probing: an error for get() and of(), never a quiet fallback. */
        ConfigurationException badSetting;

        Entry(String name, ProcessBarrierProvider provider, int priority, Availability availability) {
            this.name = name;
            this.provider = provider;
            this.priority = priority;
            this.availability = availability;
        }

        boolean probed() {
            return availability != null;
        }

        boolean available() {
            return availability != null && availability.isAvailable();
        }
    }

    Selector(List<ProcessBarrierProvider> providers, List<Throwable> loadFailures, Settings settings) {
        this(providers, loadFailures, settings, null);
    }

    /**
     * @param scan the class-path-wide scan for other providers, not yet started, or null when {@code providers} is
     *             already every provider there is
     */
    Selector(List<ProcessBarrierProvider> providers, List<Throwable> loadFailures, Settings settings,
             ProviderScan scan) {
        this.settings = settings;
        this.scan = scan;
        for (ProcessBarrierProvider p : providers) {
            builtInClasses.add(p.getClass().getName()); // before the scan starts: its late check reads them
        }
        this.forced = settings.providerName(PROVIDER_PROPERTY);
        this.excluded = settings.providerNames(EXCLUDE_PROPERTY);
        ProcessBarrierException bad = null;
        boolean c = true;
        boolean r = false;
        try {
            settings.judge(); // every processbarrier.* setting, whether or not the part that reads it runs here
            c = settings.bool(COALESCE_PROPERTY);
            r = settings.bool(REQUIRE_ASYMMETRIC_PROPERTY);
        } catch (ProcessBarrierException e) {
            bad = e; // thrown by get(), of() and choice(); providers() still reports what it finds
        }
        this.badSettings = bad;
        String unknown = settings.unknownNamesWarning();
        this.settingsWarning = unknown;
        if (unknown != null) {
            log(System.Logger.Level.WARNING, unknown); // once per copy: one Selector per copy
        }
        this.coalesce = c;
        this.requireAsymmetric = r;
        List<Entry> list = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ProcessBarrierProvider p : providers) {
            Entry e = declare(p);
            if (!names.add(e.name)) {
                log(System.Logger.Level.WARNING, "ProcessBarrier: ignoring a second provider named " + e.name + " ("
                        + p.getClass().getName() + ")");
                continue;
            }
            list.add(e);
        }
        int i = 0;
        for (Throwable t : loadFailures) {
            list.add(new Entry("<unloadable-" + (++i) + ">", null, Integer.MIN_VALUE, Availability.unavailable(t)));
        }
        this.entries = list;
        Entry fence = find(FenceBarrier.NAME);
        if (fence != null) {
            probe(fence); // free, and never a question: reports and logs say "available", as providers() does
        }
        sort();
        for (String x : excluded) {
            if (find(x) == null) {
                log(System.Logger.Level.WARNING, "ProcessBarrier: " + EXCLUDE_PROPERTY + " names " + x
                        + ", which is not a provider found here (" + names() + ")");
            }
        }
    }

    /** The process-wide selector, built on first use from ServiceLoader and the system properties. */
    public static Selector instance() {
        Selector s = instance;
        if (s == null) {
            synchronized (Selector.class) {
                s = instance;
                if (s == null) {
                    s = fromClassPath(Settings.system());
                    instance = s;
                }
            }
        }
        return s;
    }

    /**
     * The project's providers found by name, beside this copy's api (relocated with it when shaded), and every other
     * provider by a {@link ServiceLoader} scan in the background ({@link ProviderScan}). Which is safe because
     * selection waits for the scan whenever its answer could depend on it: a forced or excluded name that is not one of
     * the project's, a selection that would otherwise end in {@code fence} or fail, {@link #statuses()},
     * {@link #choice()} before {@code get()}, and a name that is not found; the one thing decided without it is that
     * an available provider of the project is used although a provider of another party, not yet found, declares a
     * higher priority: the scan then logs a WARNING that names it and how to force it. On the module path (a named
     * module) every provider comes from the module graph's service bindings, by {@code ServiceLoader}, on the caller:
     * their classes are not exported for reflection.
     */
    static Selector fromClassPath(Settings settings) {
        ClassLoader cl = ProcessBarrier.class.getClassLoader();
        if (ProcessBarrier.class.getModule().isNamed() || namesAnotherParty(settings)) {
            return fromServiceLoader(settings);
        }
        List<ProcessBarrierProvider> found = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        found.add(FenceBarrier.PROVIDER);
        String pkg = ProcessBarrier.class.getPackageName(); // relocated with this class when shaded
        for (String[] p : PROJECT_PROVIDERS) {
            Class<?> c;
            try {
                c = Class.forName(pkg + "." + p[2], false, cl);
            } catch (ClassNotFoundException | LinkageError absent) {
                continue; // not on the class path (or broken): the scan reports a broken one as the scan always did
            }
            try {
                found.add((ProcessBarrierProvider) c.getConstructor().newInstance());
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                // left to the scan, which reports it as a broken service entry, as selection always did
            }
        }
        return new Selector(found, failures, settings, new ProviderScan(cl));
    }

    /** Whether a forced or excluded provider is not one of the project's (then selection needs every provider). */
    private static boolean namesAnotherParty(Settings settings) {
        Set<String> named = settings.providerNames(EXCLUDE_PROPERTY);
        String forced = settings.providerName(PROVIDER_PROPERTY);
        if (forced != null) {
            named.add(forced);
        }
        for (String n : named) {
            boolean ours = n.equals(FenceBarrier.NAME);
            for (String[] p : PROJECT_PROVIDERS) {
                ours |= p[0].equals(n);
            }
            if (!ours) {
                return true;
            }
        }
        return false;
    }

    /** Runs on the scan's thread once it is done: merges, and warns if a provider found late outranks the choice. */
    private static final class LateCheck implements Runnable {
        private final Selector selector;

        LateCheck(Selector selector) {
            this.selector = selector;
        }

        @Override
        public void run() {
            selector.afterScan();
        }
    }

    /**
     * The scan thread's merge and late check. Its WARNINGs are built under this selector's lock and written after
     * releasing it: writing one may initialize the logging backend, and a backend whose initialization calls
     * {@code ProcessBarrier.get()} (or anything that takes this lock) on another thread and waits for it would
     * otherwise deadlock with this thread.
     */
    private void afterScan() {
        List<String> warnings = new ArrayList<>();
        synchronized (this) {
            mergeScan(warnings);
            lateCheck(warnings);
        }
        java.util.function.Consumer<String> sink = scanWarningSink;
        for (String w : warnings) {
            if (sink != null) {
                sink.accept(w);
            } else {
                log(System.Logger.Level.WARNING, w); // outside the lock, see above
            }
        }
    }

    /** Tests: where the scan thread's WARNINGs go instead of the log (to see which locks the writer holds). */
    volatile java.util.function.Consumer<String> scanWarningSink;

    /** Under this lock: adds the WARNING naming a provider found late that outranks the choice, if any. */
    private void lateCheck(List<String> warnings) {
        if (!(defaultChoice instanceof ProcessBarrier) || forced != null) {
            return;
        }
        String chosen = ((ProcessBarrier) defaultChoice).name();
        Entry c = find(chosen);
        StringBuilder late = new StringBuilder();
        for (Entry e : entries) {
            if (e.provider != null && !builtInClasses.contains(e.provider.getClass().getName())
                    && !excluded.contains(e.name) && c != null && e.priority > c.priority) {
                late.append(late.length() == 0 ? "" : ", ").append(e.name).append(" (")
                        .append(e.provider.getClass().getName()).append(", priority ").append(e.priority).append(")");
            }
        }
        if (late.length() > 0) {
            lateWarning = "ProcessBarrier: found after get() had chosen " + chosen + " (priority " + c.priority
                    + "), with a higher priority: " + late + ". The project's own providers are chosen without "
                    + "waiting for the class-path scan; set -D" + PROVIDER_PROPERTY + "=<name> to use another.";
            warnings.add(lateWarning);
        }
    }

    /** Waits for the scan (if any; running it here if nobody has) and adds what it found. */
    private void awaitScan() {
        if (scan != null && !scanMerged) {
            scan.await(); // under this lock, which the scan's thread takes only after the scan is done
            List<String> warnings = new ArrayList<>();
            mergeScan(warnings);
            for (String w : warnings) {
                log(System.Logger.Level.WARNING, w); // a caller of a selection method, under this lock, as logChoice
            }
        }
    }

    /** Starts the background scan once, if there is one and nobody has run it. */
    private void startScan() {
        if (scan != null && !scanStarted && !scanMerged) {
            scanStarted = true;
            scan.start(new LateCheck(this));
        }
    }

    /**
     * Under this lock: adds what a finished scan found, once (providers not found by name, and entries that failed to
     * load); the WARNINGs it has go into {@code warnings}, for the caller to write (after releasing the lock, where
     * it can).
     */
    private void mergeScan(List<String> warnings) {
        if (scan == null || scanMerged || !scan.isDone()) {
            return;
        }
        scanMerged = true;
        Set<String> names = new HashSet<>();
        for (Entry e : entries) {
            names.add(e.name);
        }
        for (ProcessBarrierProvider p : scan.found()) {
            if (builtInClasses.contains(p.getClass().getName())) {
                continue; // found by name already
            }
            Entry e = declare(p);
            if (!names.add(e.name)) {
                warnings.add("ProcessBarrier: ignoring a second provider named " + e.name + " ("
                        + p.getClass().getName() + ")");
                continue;
            }
            entries.add(e);
        }
        int i = 0;
        for (Entry e : entries) {
            if (e.provider == null) {
                i++;
            }
        }
        for (Throwable t : scan.failures()) {
            entries.add(new Entry("<unloadable-" + (++i) + ">", null, Integer.MIN_VALUE, Availability.unavailable(t)));
        }
        sort();
    }

    static Selector fromServiceLoader(Settings settings) {
        List<ProcessBarrierProvider> found = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        found.add(FenceBarrier.PROVIDER);
        ClassLoader cl = ProcessBarrier.class.getClassLoader();
        Iterator<ProcessBarrierProvider> it = ServiceLoader.load(ProcessBarrierProvider.class, cl).iterator();
        // hasNext()/next() throw ServiceConfigurationError for a broken entry and move past it; the bound keeps a
        // loader that fails forever from spinning forever.
        for (int guard = 0; guard < 1000; guard++) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                failures.add(e);
            }
        }
        return new Selector(found, failures, settings);
    }

    /** An unprobed entry: its name and the priority it declares before probing (the best it can offer). */
    private static Entry declare(ProcessBarrierProvider p) {
        String name = p.getClass().getName();
        try {
            name = p.name().trim().toLowerCase(Locale.ROOT);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return new Entry(name, p, Integer.MIN_VALUE, Availability.unavailable(t));
        }
        return new Entry(name, p, safePriority(p), null);
    }

    /** Probes once; the priority may change with what the probe found. */
    private static void probe(Entry e) {
        if (e.probed()) {
            return;
        }
        ProcessBarrierProvider p = e.provider;
        try {
            Availability a = p.probe();
            if (a == null) {
                a = Availability.unavailable(p.getClass().getName() + ".probe() returned null");
            }
            e.priority = a.isAvailable() ? p.priority() : safePriority(p);
            e.availability = a;
        } catch (VirtualMachineError err) {
            throw err;
        } catch (Throwable t) {
            e.priority = safePriority(p);
            e.availability = Availability.unavailable(t);
        }
        e.badSetting = causeOf(e.availability.cause(), ConfigurationException.class);
    }

    /** The first of {@code t} and its causes that is a {@code type}, or null. */
    static <T extends Throwable> T causeOf(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static int safePriority(ProcessBarrierProvider p) {
        try {
            return p.priority();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return Integer.MIN_VALUE;
        }
    }

    /** Selection order: priority, highest first, then name. No lambda (startup). */
    private void sort() {
        entries.sort(BY_PRIORITY);
    }

    private static final Comparator<Entry> BY_PRIORITY = new Comparator<>() {
        @Override
        public int compare(Entry a, Entry b) {
            int c = Integer.compare(b.priority, a.priority);
            return c != 0 ? c : a.name.compareTo(b.name);
        }
    };

    /** The default barrier: chosen, created and logged once; a forced provider that fails throws each time. */
    public synchronized ProcessBarrier defaultBarrier() {
        if (badSettings != null) {
            throw copy(badSettings);
        }
        if (defaultChoice == null) {
            defaultChoice = choose();
            startScan(); // only now: on 2 CPUs a scan running beside choose() slowed it more than it saved
        }
        if (defaultChoice instanceof ProcessBarrierException) {
            ProcessBarrierException e = (ProcessBarrierException) defaultChoice;
            throw new ProcessBarrierException(e.getMessage(), e.getCause());
        }
        return (ProcessBarrier) defaultChoice;
    }

    private Object choose() {
        if (forced != null) {
            Entry e = find(forced);
            if (e == null) {
                awaitScan();
                e = find(forced);
            }
            if (e == null) {
                probeAll();
                String absent = absent(forced);
                return new ProcessBarrierException(absent != null
                        ? PROVIDER_PROPERTY + "=" + forced + ": " + absent + " Providers found: " + describeAll() + "."
                        : PROVIDER_PROPERTY + "=" + forced + ": no provider has that name. Providers found: "
                        + describeAll() + ". Add the jar of the provider you want, or choose one of the names above.");
            }
            if (requireAsymmetric && e.name.equals(FenceBarrier.NAME)) {
                return new ProcessBarrierException(PROVIDER_PROPERTY + "=" + FenceBarrier.NAME + " contradicts "
                        + REQUIRE_ASYMMETRIC_PROPERTY + "=true: remove one of them.");
            }
            if (excluded.contains(e.name)) {
                return new ProcessBarrierException(PROVIDER_PROPERTY + "=" + forced + " is also listed in "
                        + EXCLUDE_PROPERTY + "=" + String.join(",", excluded) + ": remove it from one of them.");
            }
            probe(e);
            if (e.badSetting != null) {
                return e.badSetting;
            }
            ProcessBarrier b = createOrRecord(e);
            if (b == null) {
                probeAll();
                return new ProcessBarrierException(PROVIDER_PROPERTY + "=" + forced + " is unavailable here: "
                        + ProcessBarrierException.describe(e.availability.cause()) + ". Providers found: "
                        + describeAll() + ". Remove the property to let ProcessBarrier choose.",
                        e.availability.cause());
            }
            logChoice(e, "forced by " + PROVIDER_PROPERTY);
            return b;
        }
        while (true) {
            Entry best = bestCandidate();
            if ((best == null || best.name.equals(FenceBarrier.NAME)) && scan != null && !scanMerged) {
                awaitScan(); // another party's provider may still beat fence (or satisfy requireAsymmetric)
                continue;
            }
            if (best == null) {
                break;
            }
            if (!best.probed()) {
                probe(best); // its priority may have changed: look again
                if (best.badSetting != null) {
                    return best.badSetting;
                }
                continue;
            }
            if (requireAsymmetric && best.name.equals(FenceBarrier.NAME)) {
                probeAll();
                return new ProcessBarrierException(noAsymmetric());
            }
            ProcessBarrier b = createOrRecord(best);
            if (b != null) {
                sort();
                logChoice(best, best.name.equals(FenceBarrier.NAME) ? "no asymmetric provider is available"
                        : "highest priority available");
                return b;
            }
        }
        if (requireAsymmetric) {
            probeAll();
            return new ProcessBarrierException(noAsymmetric());
        }
        // fence is always available and never excluded from the last resort: being correct beats obeying a list
        Entry fence = find(FenceBarrier.NAME);
        probe(fence);
        sort();
        logChoice(fence, "every other provider is unavailable or excluded");
        return createOrRecord(fence);
    }

    /**
     * Why a provider named {@code name} is not here and what to add: the artifact of one of the project's providers,
     * or the nearest name of a provider found or known; null when no name is near. One sentence.
     */
    private String absent(String name) {
        for (String[] p : PROJECT_PROVIDERS) {
            if (p[0].equals(name)) {
                return "the provider " + name + " is not on the class path or module path: add "
                        + Settings.GROUP_ID + ":" + p[1] + " (or " + Settings.GROUP_ID + ":processbarrier-all).";
            }
        }
        String nearest = null;
        int best = Integer.MAX_VALUE;
        List<String> candidates = new ArrayList<>();
        for (Entry e : entries) {
            if (e.provider != null) {
                candidates.add(e.name);
            }
        }
        for (String[] p : PROJECT_PROVIDERS) {
            candidates.add(p[0]);
        }
        for (String c : candidates) {
            int d = Settings.distance(name, c);
            if (d < best) {
                best = d;
                nearest = c;
            }
        }
        return nearest != null && best <= Math.max(2, name.length() / 3)
                ? "no provider has that name: did you mean " + nearest + "?"
                : null;
    }

    /** Whether any provider other than {@code fence} was found (loaded or not). */
    private boolean anyProviderModule() {
        for (Entry e : entries) {
            if (e.provider != FenceBarrier.PROVIDER) {
                return true;
            }
        }
        return false;
    }

    /** What to add for the real barrier: the starter, or a provider and the natives jar. */
    static String artifactsToAdd() {
        String g = Settings.GROUP_ID;
        return "add " + g + ":processbarrier-all, or a provider (" + g + ":processbarrier-spi-membarrier) and the "
                + "natives jar of this machine (" + g + ":processbarrier-natives-linux-x86_64 or -aarch64)";
    }

    /** The message of get() under {@value #REQUIRE_ASYMMETRIC_PROPERTY}=true when only fence is left. */
    private String noAsymmetric() {
        return REQUIRE_ASYMMETRIC_PROPERTY + "=true, but no asymmetric provider is available here. Providers found: "
                + describeAll() + (anyProviderModule() ? "." : ". No provider module is on the class path or module "
                + "path: " + artifactsToAdd() + ".");
    }

    /** The entry selection looks at next: not excluded, not known to be unavailable, highest priority. */
    private Entry bestCandidate() {
        Entry best = null;
        for (Entry e : entries) {
            if (excluded.contains(e.name) || (e.probed() && !e.available())) {
                continue;
            }
            if (best == null || BY_PRIORITY.compare(e, best) < 0) {
                best = e;
            }
        }
        return best;
    }

    /** The first setting found to break the rule, by judging or while probing, or null. */
    private ProcessBarrierException configError() {
        if (badSettings != null) {
            return badSettings;
        }
        for (Entry e : entries) {
            if (e.badSetting != null) {
                return e.badSetting;
            }
        }
        return null;
    }

    private static ProcessBarrierException copy(ProcessBarrierException e) {
        return new ProcessBarrierException(e.getMessage(), e.getCause() == null ? e : e.getCause());
    }

    private void probeAll() {
        for (Entry e : entries) {
            probe(e);
        }
        sort();
    }

    /**
     * Creates (once) the barrier of an available entry: the provider's one-off work, then the api's wrapper around
     * its system barrier. A failure turns the entry unavailable and returns null.
     */
    private ProcessBarrier createOrRecord(Entry e) {
        ProcessBarrier b = created.get(e.name);
        if (b != null) {
            return b;
        }
        if (!e.available()) {
            return null;
        }
        if (e.provider == FenceBarrier.PROVIDER) {
            b = FenceBarrier.INSTANCE;
        } else {
            try {
                e.provider.prepare();
            } catch (VirtualMachineError err) {
                throw err;
            } catch (Throwable t) {
                e.availability = Availability.unavailable(new ProcessBarrierException(
                        "probed as available, but preparing it failed", t));
                return null;
            }
            b = new AsymmetricProcessBarrier(e.provider, coalesce);
            AsymmetricBarriers.add(b); // before anyone is given it: a window barrier's heavy() then reaches its readers
        }
        created.put(e.name, b);
        return b;
    }

    /** The barrier of the named provider (any case), created once. */
    public synchronized ProcessBarrier barrier(String name) {
        if (badSettings != null) {
            throw copy(badSettings);
        }
        Entry e = find(normalize(name));
        if (e == null) {
            awaitScan();
            e = find(normalize(name));
        }
        if (e == null) {
            probeAll();
            throw new ProcessBarrierException("No ProcessBarrier provider named '" + name + "'. Providers found: "
                    + describeAll() + ".");
        }
        probe(e);
        if (e.badSetting != null) {
            throw copy(e.badSetting);
        }
        ProcessBarrier b = createOrRecord(e);
        if (b == null) {
            throw new ProcessBarrierException("ProcessBarrier provider '" + e.name + "' is unavailable here: "
                    + ProcessBarrierException.describe(e.availability.cause()), e.availability.cause());
        }
        return b;
    }

    /**
     * What the named provider's probe says, without selecting, preparing or logging anything (the probe may load the
     * native library). Unknown names get an unavailable answer that lists the providers found.
     */
    public synchronized Availability availability(String name) {
        ProcessBarrierException bad = configError();
        Entry e = find(normalize(name));
        if (e == null) {
            awaitScan();
            e = find(normalize(name));
        }
        if (e == null) {
            probeAll();
            return Availability.unavailable(new ProcessBarrierException("No ProcessBarrier provider named '" + name
                    + "'. Providers found: " + describeAll() + "."));
        }
        probe(e);
        if (bad == null) {
            bad = e.badSetting;
        }
        return bad != null ? Availability.unavailable(bad) : e.availability;
    }

    /**
     * The name of the provider {@link #defaultBarrier()} chose, or would choose, without choosing, preparing or
     * logging anything. A provider whose one-off preparation fails is found out only by choosing.
     *
     * @throws ProcessBarrierException as {@code get()} would (a forced provider unknown or unavailable, or a setting
     *                                 that breaks the rule)
     */
    public synchronized String choice() {
        if (defaultChoice instanceof ProcessBarrier) {
            return ((ProcessBarrier) defaultChoice).name();
        }
        if (defaultChoice instanceof ProcessBarrierException) {
            throw copy((ProcessBarrierException) defaultChoice);
        }
        awaitScan(); // what get() would choose once every provider is known
        ProcessBarrierException bad = configError();
        if (bad != null) {
            throw copy(bad);
        }
        if (forced != null) {
            Availability a = availability(forced);
            if (!a.isAvailable()) {
                throw new ProcessBarrierException(PROVIDER_PROPERTY + "=" + forced + " is unavailable here: "
                        + ProcessBarrierException.describe(a.cause()), a.cause());
            }
            return forced;
        }
        Entry best;
        while ((best = bestCandidate()) != null && !best.probed()) {
            probe(best);
        }
        String name = best == null ? FenceBarrier.NAME : best.name;
        if (requireAsymmetric && name.equals(FenceBarrier.NAME)) {
            probeAll();
            throw new ProcessBarrierException(noAsymmetric());
        }
        return name;
    }

    /**
     * Every provider, probed, in selection order. Computes the default choice first so that {@code selected} is
     * exact.
     */
    public synchronized List<ProviderStatus> statuses() {
        awaitScan();
        Object choice;
        try {
            choice = defaultBarrier();
        } catch (ProcessBarrierException e) {
            choice = null;
        }
        probeAll();
        List<ProviderStatus> out = new ArrayList<>();
        for (Entry e : entries) {
            Availability a = e.availability;
            boolean selected = choice != null && created.get(e.name) == choice;
            String detail = a.isAvailable() ? a.detail() : ProcessBarrierException.describe(a.cause());
            if (created.get(e.name) instanceof AsymmetricProcessBarrier) {
                String p = preparation(e.provider); // waits for a background registration: reports how it ended
                detail = p == null ? detail : detail + "; " + p;
            }
            out.add(new ProviderStatus(e.name, e.priority, a.isAvailable(), detail, a.cause(), selected));
        }
        return List.copyOf(out);
    }

    /** What a created provider's background preparation came to, after waiting for it; null when all is well. */
    private static String preparation(ProcessBarrierProvider p) {
        try {
            return p.preparation(true);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return null; // a broken answer about preparing says nothing about the barrier itself
        }
    }

    private void logChoice(Entry chosen, String why) {
        boolean[] misconfigured = new boolean[1];
        String message = describeChoice(chosen, why, misconfigured);
        System.Logger.Level level = misconfigured[0] ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
        lastChoiceLog = level + " " + message;
        log(level, message);
    }

    /** The level and text of the record the choice logged (tests: logging itself is asynchronous at DEBUG). */
    String lastChoiceLog;

    /**
     * The log record of a choice; {@code misconfigured[0]} is set when it is a WARNING: a provider passed over for a
     * misconfiguration (natives missing, native access denied), or no provider module at all (every heavy() then
     * pays a full fence on every thread, which one DEBUG line would hide).
     */
    String describeChoice(Entry chosen, String why, boolean[] misconfigured) {
        StringBuilder sb = new StringBuilder("ProcessBarrier: using ").append(chosen.name).append(" (")
                .append(chosen.availability.detail()).append("; ").append(why).append(")");
        if (chosen.name.equals(FenceBarrier.NAME) && !anyProviderModule()) {
            sb.append("; no provider module is on the class path or module path, so every heavy() and every read "
                    + "of sync's constructs pays a full fence: ").append(artifactsToAdd());
            misconfigured[0] = true;
        }
        for (Entry e : entries) {
            if (e == chosen) {
                continue;
            }
            sb.append("; ").append(e.name).append(": ");
            if (excluded.contains(e.name)) {
                sb.append("excluded by ").append(EXCLUDE_PROPERTY);
            } else if (!e.probed()) {
                sb.append("not probed (priority ").append(e.priority).append(")");
            } else if (!e.available()) {
                sb.append("unavailable: ").append(ProcessBarrierException.describe(e.availability.cause()));
                misconfigured[0] |= e.priority > chosen.priority
                        && causeOf(e.availability.cause(), NativeLoadException.class) != null;
            } else {
                sb.append("available, not chosen (priority ").append(e.priority).append(")");
            }
        }
        String natives = nativeLibrary;
        if (natives != null) {
            sb.append("; ").append(natives);
        }
        return sb.toString();
    }

    /**
     * Logs {@code message}: a WARNING at once, on the caller's thread, so that it is never lost (a misconfiguration
     * to fix; a short program must still show it, and at exit the logging backend's own shutdown hook races any other
     * thread's record: seen losing it under java.util.logging and log4j-jpl); anything else through
     * {@link LogHandoff}, off the caller's thread (initializing logging costs about 75 ms on a 2-vCPU VM), by a daemon
     * that holds off its first write so as not to race the application's own logging initialization. A WARNING of the
     * background selection is kept for a thread that waits for it, or for LogHandoff's queue when nobody does
     * ({@link BackgroundSelection}: its thread must neither race the application's logging initialization nor
     * initialize logging itself).
     */
    static void log(System.Logger.Level level, String message) {
        if (level.getSeverity() >= System.Logger.Level.WARNING.getSeverity()) {
            if (!BackgroundSelection.keepWarning(message)) {
                LogHandoff.write(level, message);
            }
        } else {
            LogHandoff.submit(level, message);
        }
    }

    private Entry find(String name) {
        if (name == null) {
            return null;
        }
        for (Entry e : entries) {
            if (e.name.equals(name)) {
                return e;
            }
        }
        return null;
    }

    private String names() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            sb.append(sb.length() == 0 ? "" : ", ").append(e.name);
        }
        return sb.toString();
    }

    private String describeAll() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            sb.append(sb.length() == 0 ? "" : ", ").append(e.name).append(e.available() ? " (available)"
                    : " (unavailable: " + ProcessBarrierException.describe(e.availability.cause()) + ")");
        }
        return sb.toString();
    }

    /** A provider name as compared: trimmed, lower case; null when blank. */
    private static String normalize(String s) {
        return s == null || s.isBlank() ? null : s.trim().toLowerCase(Locale.ROOT);
    }
}
