package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;
import io.processbarrier.spi.Availability;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The selection policy, in one place: every provider is probed once; the default is the available provider with
 * the highest priority that is not excluded, unless one is forced. Ties break by name, so the choice is
 * deterministic. Barriers are created at most once per provider and shared.
 */
public final class Selector {
    public static final String PROVIDER_PROPERTY = "processbarrier.provider";
    public static final String EXCLUDE_PROPERTY = "processbarrier.exclude";

    private static final System.Logger LOG = System.getLogger("io.processbarrier");
    private static volatile Selector instance;

    private final List<Entry> entries;
    private final String forced;
    private final Set<String> excluded;
    private final Map<String, ProcessBarrier> created = new HashMap<>();
    private Object defaultChoice; // a ProcessBarrier, or the ProcessBarrierException to throw again

    /** A provider and what probing it found; {@code provider} is null when it failed to load at all. */
    static final class Entry {
        final String name;
        final ProcessBarrierProvider provider;
        int priority;
        Availability availability;

        Entry(String name, ProcessBarrierProvider provider, int priority, Availability availability) {
            this.name = name;
            this.provider = provider;
            this.priority = priority;
            this.availability = availability;
        }
    }

    Selector(List<ProcessBarrierProvider> providers, List<Throwable> loadFailures, Function<String, String> props) {
        this.forced = blankToNull(props.apply(PROVIDER_PROPERTY));
        this.excluded = parseList(props.apply(EXCLUDE_PROPERTY));
        List<Entry> list = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (ProcessBarrierProvider p : providers) {
            Entry e = probe(p);
            if (!names.add(e.name)) {
                LOG.log(System.Logger.Level.WARNING, "ProcessBarrier: ignoring a second provider named "
                        + e.name + " (" + p.getClass().getName() + ")");
                continue;
            }
            list.add(e);
        }
        int i = 0;
        for (Throwable t : loadFailures) {
            list.add(new Entry("<unloadable-" + (++i) + ">", null, Integer.MIN_VALUE,
                    Availability.unavailable(t)));
        }
        list.sort(Comparator.comparingInt((Entry e) -> e.priority).reversed().thenComparing(e -> e.name));
        this.entries = list;
        for (String x : excluded) {
            if (find(x) == null) {
                LOG.log(System.Logger.Level.WARNING, "ProcessBarrier: " + EXCLUDE_PROPERTY + " names " + x
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
                    s = fromServiceLoader(System::getProperty);
                    instance = s;
                }
            }
        }
        return s;
    }

    static Selector fromServiceLoader(Function<String, String> props) {
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
        return new Selector(found, failures, props);
    }

    private static Entry probe(ProcessBarrierProvider p) {
        String name = p.getClass().getName();
        try {
            name = p.name();
            Availability a = p.probe();
            if (a == null) {
                a = Availability.unavailable(p.getClass().getName() + ".probe() returned null");
            }
            return new Entry(name, p, a.isAvailable() ? p.priority() : safePriority(p), a);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return new Entry(name, p, safePriority(p), Availability.unavailable(t));
        }
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

    /** The default barrier: chosen, created and logged once; a forced provider that fails throws each time. */
    public synchronized ProcessBarrier defaultBarrier() {
        if (defaultChoice == null) {
            defaultChoice = choose();
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
                return new ProcessBarrierException(PROVIDER_PROPERTY + "=" + forced + ": no provider has that name. "
                        + "Providers found: " + describeAll() + ". Add the jar of the provider you want, or "
                        + "choose one of the names above.");
            }
            if (excluded.contains(forced)) {
                return new ProcessBarrierException(PROVIDER_PROPERTY + "=" + forced + " is also listed in "
                        + EXCLUDE_PROPERTY + "=" + String.join(",", excluded) + ": remove it from one of them.");
            }
            ProcessBarrier b = createOrRecord(e);
            if (b == null) {
                return new ProcessBarrierException(PROVIDER_PROPERTY + "=" + forced + " is unavailable here: "
                        + ProcessBarrierException.describe(e.availability.cause()) + ". Providers found: "
                        + describeAll() + ". Remove the property to let ProcessBarrier choose.",
                        e.availability.cause());
            }
            log(e, "forced by " + PROVIDER_PROPERTY);
            return b;
        }
        for (Entry e : entries) {
            if (excluded.contains(e.name) || !e.availability.isAvailable()) {
                continue;
            }
            ProcessBarrier b = createOrRecord(e);
            if (b != null) {
                log(e, e.name.equals(FenceBarrier.NAME) ? "no asymmetric provider is available"
                        : "highest priority available");
                return b;
            }
        }
        // fence is always available and never excluded from the last resort: being correct beats obeying a list
        Entry fence = find(FenceBarrier.NAME);
        log(fence, "every other provider is unavailable or excluded");
        return createOrRecord(fence);
    }

    /** Creates (once) the barrier of an available entry; a failure turns the entry unavailable and returns null. */
    private ProcessBarrier createOrRecord(Entry e) {
        ProcessBarrier b = created.get(e.name);
        if (b != null) {
            return b;
        }
        if (!e.availability.isAvailable()) {
            return null;
        }
        try {
            b = e.provider.create();
            if (b == null) {
                throw new ProcessBarrierException(e.provider.getClass().getName() + ".create() returned null");
            }
        } catch (VirtualMachineError err) {
            throw err;
        } catch (Throwable t) {
            e.availability = Availability.unavailable(new ProcessBarrierException(
                    "probed as available, but creating it failed", t));
            return null;
        }
        created.put(e.name, b);
        return b;
    }

    /** The barrier of the named provider, created once. */
    public synchronized ProcessBarrier barrier(String name) {
        Entry e = find(name);
        if (e == null) {
            throw new ProcessBarrierException("No ProcessBarrier provider named '" + name + "'. Providers found: "
                    + describeAll() + ".");
        }
        ProcessBarrier b = createOrRecord(e);
        if (b == null) {
            throw new ProcessBarrierException("ProcessBarrier provider '" + name + "' is unavailable here: "
                    + ProcessBarrierException.describe(e.availability.cause()), e.availability.cause());
        }
        return b;
    }

    /** Every provider, in selection order. Computes the default choice first so that {@code selected} is exact. */
    public synchronized List<ProviderStatus> statuses() {
        Object choice;
        try {
            choice = defaultBarrier();
        } catch (ProcessBarrierException e) {
            choice = null;
        }
        List<ProviderStatus> out = new ArrayList<>();
        for (Entry e : entries) {
            Availability a = e.availability;
            boolean selected = choice != null && created.get(e.name) == choice;
            out.add(new ProviderStatus(e.name, e.priority, a.isAvailable(),
                    a.isAvailable() ? a.detail() : ProcessBarrierException.describe(a.cause()), a.cause(), selected));
        }
        return List.copyOf(out);
    }

    private void log(Entry chosen, String why) {
        StringBuilder sb = new StringBuilder("ProcessBarrier: using ").append(chosen.name).append(" (")
                .append(chosen.availability.detail()).append("; ").append(why).append(")");
        for (Entry e : entries) {
            if (e == chosen) {
                continue;
            }
            sb.append("; ").append(e.name).append(": ");
            if (excluded.contains(e.name)) {
                sb.append("excluded by ").append(EXCLUDE_PROPERTY);
            } else if (!e.availability.isAvailable()) {
                sb.append("unavailable: ").append(ProcessBarrierException.describe(e.availability.cause()));
            } else {
                sb.append("available, not chosen (priority ").append(e.priority).append(")");
            }
        }
        LOG.log(System.Logger.Level.INFO, sb.toString());
    }

    private Entry find(String name) {
        for (Entry e : entries) {
            if (e.name.equals(name)) {
                return e;
            }
        }
        return null;
    }

    private String names() {
        return entries.stream().map(e -> e.name).collect(Collectors.joining(", "));
    }

    private String describeAll() {
        return entries.stream().map(e -> e.name + (e.availability.isAvailable() ? " (available)"
                        : " (unavailable: " + ProcessBarrierException.describe(e.availability.cause()) + ")"))
                .collect(Collectors.joining(", "));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static Set<String> parseList(String s) {
        if (s == null || s.isBlank()) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).forEach(out::add);
        return out;
    }
}
