package io.processbarrier.internal.support;

import io.processbarrier.internal.ConfigurationException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The configuration of ProcessBarrier: every {@code processbarrier.*} system property, read once, in one place
 * ({@link #system()}, when selection starts), and judged by one rule. (Only whether any such name exists is asked
 * before that, by the first {@code get()}: {@code BackgroundSelection.anySetting}, which reads no value.) A boolean
 * is {@code true} or {@code false} (any case, trimmed); a number is a decimal integer in its range; a choice is one
 * of its words (any case). Anything else is a {@link io.processbarrier.ProcessBarrierException} that names the
 * property and the value, which the first {@code get()} or {@code of()} throws: a setting is never silently taken as
 * on, off or default. A blank value is the default.
 *
 * <p>{@link #KNOWN} is the one table of every setting of every part of the library (api, providers, sync): its kind,
 * range or words, and default. {@link #judge()}, run by the first {@code get()} or {@code of()}, holds every
 * {@code processbarrier.*} property against it, whether or not the part that reads it ever runs here: a bad value
 * for a provider that is never probed fails on the developer's machine, not in production.
 *
 * <p>A name this table does not know is not an error: every copy of the library in a JVM (the application's own, an
 * older one shaded into a framework) reads the same properties, and a setting added by a newer version must not break
 * an older copy. {@link #unknownNamesWarning()} says which names this copy ignores, with the closest known name when
 * one is close (a typo), and selection logs it once per copy as a WARNING. {@value #STRICT} {@code =true} (opt-in)
 * makes an unknown name fail as a bad value does.
 * The parts read their values through the table ({@link #bool(String)}, {@link #number(String)},
 * {@link #choice(String)}), so a default or a range is written once.
 *
 * <p>For the api and the project's providers (qualified export); tests make their own with {@link #of(Function)}.
 */
public final class Settings {
    /** The prefix of every setting. */
    public static final String PREFIX = "processbarrier.";

    /** {@code true}: a {@code processbarrier.*} name this copy does not know fails {@link #judge()} (opt-in). */
    public static final String STRICT = "processbarrier.strictSettings";

    /**
     * {@code io.processbarrier}: the group id of the artifacts messages tell users to add, and the logger's name.
     * Joined at run time: maven-shade-plugin rewrites a string constant that names the relocated package, and a
     * shaded copy must still name the real artifacts and log where the README says.
     */
    public static final String GROUP_ID = String.join(".", "io", "processbarrier");

    /** What a setting's value must be. */
    public enum Kind {
        /** {@code true} or {@code false}, any case. */
        BOOL,
        /** A decimal integer in [min, max]. */
        NUMBER,
        /** One of its words, any case. */
        CHOICE,
        /** A real-time signal: a number, {@code SIGRTMIN[+n]} or {@code SIGRTMAX[-n]} ({@code SIG} optional). */
        SIGNAL,
        /** Free text (a provider name, a list of them, a path): judged by the part that reads it. */
        TEXT
    }

    /** One entry of {@link #KNOWN}. */
    public static final class Setting {
        private final String name;
        private final Kind kind;
        private final long min;
        private final long max;
        private final String dflt;
        private final String[] words;
        private final String hint;

        private Setting(String name, Kind kind, long min, long max, String dflt, String hint, String... words) {
            this.name = name;
            this.kind = kind;
            this.min = min;
            this.max = max;
            this.dflt = dflt;
            this.hint = hint;
            this.words = words;
        }

        public String name() {
            return name;
        }

        public Kind kind() {
            return kind;
        }

        /** The default, as text; null when the default is worked out by the part that reads it. */
        public String defaultValue() {
            return dflt;
        }

        /** What to write instead of a bad value. */
        public String hint() {
            return hint;
        }

        /** Why {@code value} (not blank) breaks the rule, as the exception's whole message; null when it is valid. */
        String judge(String value) {
            String v = value.trim();
            switch (kind) {
                case BOOL:
                    return v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false") ? null : bad(value, hint);
                case NUMBER:
                    try {
                        long n = Long.parseLong(v);
                        return n >= min && n <= max ? null : bad(value, hint);
                    } catch (NumberFormatException e) {
                        return bad(value, hint);
                    }
                case CHOICE:
                    for (String w : words) {
                        if (w.equalsIgnoreCase(v)) {
                            return null;
                        }
                    }
                    return bad(value, hint);
                case SIGNAL:
                    return judgeSignal(value);
                default:
                    return null;
            }
        }

        private String bad(String value, String what) {
            return name + "=" + value + " is not valid: " + what;
        }

        /**
         * The form, and what holds under every Linux C library: 1-31 are the standard signals, and no architecture
         * the natives are built for has a signal above 64. The exact real-time range (SIGRTMIN is 34 under glibc,
         * 35 under musl) needs the C library, so the signal provider checks it when probed.
         */
        private String judgeSignal(String value) {
            String u = value.trim().toUpperCase(Locale.ROOT);
            if (u.startsWith("SIG")) {
                u = u.substring(3);
            }
            String offset = u.startsWith("RTMIN+") || u.startsWith("RTMAX-") ? u.substring(6)
                    : u.equals("RTMIN") || u.equals("RTMAX") ? "0" : null;
            if (offset != null) {
                return !digits(offset) ? name + "=" + value + " is not a signal number or SIGRTMIN+n / SIGRTMAX-n. "
                        + hint : Long.parseLong(offset) > 32 ? name + "=" + value + " is outside the real-time "
                        + "signals. " + hint : null;
            }
            if (!digits(u)) {
                return name + "=" + value + " is not a signal number or SIGRTMIN+n / SIGRTMAX-n. " + hint;
            }
            long n = Long.parseLong(u);
            if (n < 32) {
                return name + "=" + value + " is a standard signal: those do not queue, and the JVM uses several of "
                        + "them. " + hint;
            }
            return n > 64 ? name + "=" + value + " is above SIGRTMAX (64). " + hint : null;
        }

        private static boolean digits(String s) {
            if (s.isEmpty() || s.length() > 9) {
                return false;
            }
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                    return false;
                }
            }
            return true;
        }
    }

    private static Setting boolSetting(String name, boolean dflt) {
        return new Setting(name, Kind.BOOL, 0, 0, String.valueOf(dflt), "use true or false");
    }

    private static Setting numberSetting(String name, long dflt, long min, long max, String hint) {
        return new Setting(name, Kind.NUMBER, min, max, String.valueOf(dflt), hint);
    }

    private static Setting textSetting(String name) {
        return new Setting(name, Kind.TEXT, 0, 0, null, null);
    }

    /** A day: long enough for anyone, short enough that a deadline in nanoseconds cannot overflow. */
    private static final long DAY_MILLIS = 86_400_000L;

    /**
     * Every setting of the library, in the README's order. A part that adds a setting adds it here (and to the
     * README's table); judging refuses any other {@code processbarrier.*} name.
     */
    public static final Map<String, Setting> KNOWN;

    static {
        Setting[] all = {
            textSetting("processbarrier.provider"),
            textSetting("processbarrier.exclude"),
            boolSetting("processbarrier.requireAsymmetric", false),
            textSetting("processbarrier.native.path"),
            textSetting("processbarrier.native.dir"),
            new Setting("processbarrier.membarrier.command", Kind.CHOICE, 0, 0, null,
                    "use PRIVATE_EXPEDITED, GLOBAL_EXPEDITED or GLOBAL",
                    "PRIVATE_EXPEDITED", "GLOBAL_EXPEDITED", "GLOBAL"),
            boolSetting("processbarrier.mprotect.allowInvlpgb", false),
            new Setting("processbarrier.signal.number", Kind.SIGNAL, 0, 0, "SIGRTMAX-3",
                    "Use a real-time signal from SIGRTMIN to SIGRTMAX (34 to 64 under glibc), as a number or as "
                    + "SIGRTMIN+n / SIGRTMAX-n (the default is SIGRTMAX-3)"),
            numberSetting("processbarrier.signal.timeoutMillis", 5000, 1, DAY_MILLIS,
                    "use a whole number of milliseconds from 1 to " + DAY_MILLIS + " (the default is 5000)"),
            new Setting("processbarrier.signal.skipBlockingThreads", Kind.CHOICE, 0, 0, "auto",
                    "use auto, true or false", "auto", "true", "false"),
            boolSetting("processbarrier.coalesce", true),
            boolSetting(STRICT, false),
            numberSetting("processbarrier.sync.stallWarningMillis", 10_000, 0, DAY_MILLIS,
                    "use a whole number of milliseconds from 0 (no warnings) to " + DAY_MILLIS
                    + " (the default is 10000)"),
        };
        Map<String, Setting> m = new LinkedHashMap<>();
        for (Setting s : all) {
            m.put(s.name, s);
        }
        KNOWN = Collections.unmodifiableMap(m);
    }

    private static volatile Settings system;

    private final Function<String, String> source;
    /** Every name the source holds, when it can say (a map); null for a function. */
    private final Set<String> names;

    private Settings(Function<String, String> source, Set<String> names) {
        this.source = source;
        this.names = names;
    }

    /** The system properties named {@code processbarrier.*}, as they were at the first call. */
    public static Settings system() {
        Settings s = system;
        if (s == null) {
            synchronized (Settings.class) {
                s = system;
                if (s == null) {
                    s = of(snapshot(System.getProperties()));
                    system = s;
                }
            }
        }
        return s;
    }

    private static Map<String, String> snapshot(Properties p) {
        Map<String, String> m = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith(PREFIX) || k.equals("os.name") || k.equals("os.arch")
                    || k.equals("java.io.tmpdir")) {
                m.put(k, p.getProperty(k));
            }
        }
        return m;
    }

    /** Settings read from {@code source} (tests, or a map). */
    public static Settings of(Function<String, String> source) {
        return new Settings(source, null);
    }

    /** Settings from a map (tests). */
    public static Settings of(Map<String, String> values) {
        TreeMap<String, String> copy = new TreeMap<>(values);
        return new Settings(new MapSource(copy), Collections.unmodifiableSet(copy.keySet()));
    }

    /** {@code Map::get} without a lambda: this runs during a framework's startup. */
    private static final class MapSource implements Function<String, String> {
        private final Map<String, String> map;

        MapSource(Map<String, String> map) {
            this.map = map;
        }

        @Override
        public String apply(String key) {
            return map.get(key);
        }
    }

    /**
     * Holds every {@code processbarrier.*} setting against {@link #KNOWN}: each known one that is set must have a
     * valid value; a name the table does not know fails only under {@value #STRICT}{@code =true} (else see
     * {@link #unknownNamesWarning()}). Called by the first {@code get()} or {@code of()}, before anything is probed.
     *
     * @throws RuntimeException (a {@code ProcessBarrierException}) for the first bad setting, in name order: the
     *                          name and value, and what to write instead, on one line
     */
    public void judge() {
        for (Setting s : KNOWN.values()) {
            String v = source.apply(s.name);
            if (v != null && !v.isBlank()) {
                String why = s.judge(v);
                if (why != null) {
                    throw error(why);
                }
            }
        }
        if (names != null && bool(STRICT)) {
            for (String n : names) {
                if (isUnknown(n)) {
                    throw error(n + " is not a setting" + suggestion(n) + " (" + STRICT + "=true refuses names this "
                            + "version does not know)");
                }
            }
        }
    }

    private static boolean isUnknown(String name) {
        return name.startsWith(PREFIX) && !KNOWN.containsKey(name);
    }

    /**
     * The one WARNING for the {@code processbarrier.*} names this copy does not know and ignores, each with the
     * closest known name when it is close; null when every name is known (or the source cannot list its names).
     * One line; selection logs it once per copy.
     */
    public String unknownNamesWarning() {
        if (names == null) {
            return null;
        }
        StringBuilder sb = null;
        for (String n : names) {
            if (isUnknown(n)) {
                sb = sb == null ? new StringBuilder("ProcessBarrier (" + Settings.class.getName() + "): ignoring ")
                        : sb.append("; ");
                sb.append(n).append(", not a setting of this version").append(suggestion(n));
            }
        }
        return sb == null ? null : sb.append(" (a newer copy of ProcessBarrier in this JVM may know it; -D")
                .append(STRICT).append("=true makes it an error)").toString();
    }

    /** {@code ": did you mean <known>?"} when a known name is close to {@code name}, else the empty string. */
    static String suggestion(String name) {
        String c = closest(name);
        return isClose(name, c) ? ": did you mean " + c + "?" : "";
    }

    /**
     * Whether {@code known} is a plausible meaning of {@code typed}: a few edits for the length of the part after the
     * prefix (at most a third of it, at least 2), or {@code typed} cut short ({@code signal.timeout} for
     * {@code signal.timeoutMillis}). {@code processbarrier.debug} is not close to {@code processbarrier.exclude}.
     */
    static boolean isClose(String typed, String known) {
        String t = typed.toLowerCase(Locale.ROOT);
        String k = known.toLowerCase(Locale.ROOT);
        int length = t.startsWith(PREFIX) ? t.length() - PREFIX.length() : t.length();
        if (length >= 3 && k.startsWith(t)) {
            return true;
        }
        return distance(t, k) <= Math.max(2, length / 3);
    }

    /**
     * The known name nearest to {@code name}: the smallest edit distance (any case), then the longest common prefix
     * ({@code processbarrier.signal.timeout} is nearer {@code ...timeoutMillis} than {@code ...number}), then the
     * table's order. It may be far: {@link #suggestion} offers it only when close.
     */
    public static String closest(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        int bestPrefix = -1;
        String n = name.toLowerCase(Locale.ROOT);
        for (String k : KNOWN.keySet()) {
            String lk = k.toLowerCase(Locale.ROOT);
            int d = distance(n, lk);
            int prefix = 0;
            while (prefix < n.length() && prefix < lk.length() && n.charAt(prefix) == lk.charAt(prefix)) {
                prefix++;
            }
            if (d < bestDistance || (d == bestDistance && prefix > bestPrefix)) {
                best = k;
                bestDistance = d;
                bestPrefix = prefix;
            }
        }
        return best;
    }

    /** Levenshtein distance: insertions, deletions and substitutions. */
    public static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Setting known(String name) {
        Setting s = KNOWN.get(name);
        if (s == null) {
            throw new IllegalArgumentException(name + " is not in Settings.KNOWN: add it there");
        }
        return s;
    }

    /** A boolean setting of {@link #KNOWN}, with the table's default. */
    public boolean bool(String name) {
        return bool(name, Boolean.parseBoolean(known(name).dflt));
    }

    /** A number setting of {@link #KNOWN}, with the table's default and range. */
    public long number(String name) {
        Setting s = known(name);
        String v = string(name);
        if (v == null) {
            return Long.parseLong(s.dflt);
        }
        String why = s.judge(v);
        if (why != null) {
            throw error(why);
        }
        return Long.parseLong(v);
    }

    /**
     * A choice setting of {@link #KNOWN}, returned as the table writes it; the table's default (possibly null) when
     * unset.
     */
    public String choice(String name) {
        Setting s = known(name);
        String v = string(name);
        if (v == null) {
            return s.dflt;
        }
        for (String w : s.words) {
            if (w.equalsIgnoreCase(v)) {
                return w;
            }
        }
        throw error(s.judge(source.apply(name)));
    }

    /**
     * A signal setting of {@link #KNOWN}, as written (trimmed), or the table's default when unset. Not judged here:
     * the range depends on the C library, which the signal provider asks; {@link #judge()} checks the form.
     */
    public String signal(String name) {
        Setting s = known(name);
        String v = string(name);
        return v == null ? s.dflt : v;
    }

    /** The raw value, trimmed; null when unset or blank. */
    public String string(String name) {
        String v = source.apply(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** A provider setting {@code name}'s value: trimmed, in lower case (names match without case); null if unset. */
    public String providerName(String name) {
        String v = string(name);
        return v == null ? null : v.toLowerCase(Locale.ROOT);
    }

    /** The providers a comma-separated setting names, each as {@link #providerName}, in order; empty if unset. */
    public Set<String> providerNames(String name) {
        Set<String> out = new java.util.LinkedHashSet<>();
        String v = string(name);
        if (v != null) {
            for (String x : v.split(",")) {
                String n = x.trim();
                if (!n.isEmpty()) {
                    out.add(n.toLowerCase(Locale.ROOT));
                }
            }
        }
        return out;
    }

    /** {@code true} or {@code false}, in any case; {@code dflt} when unset. */
    public boolean bool(String name, boolean dflt) {
        String v = string(name);
        if (v == null) {
            return dflt;
        }
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw invalid(name, source.apply(name), "use true or false");
    }

    /** A decimal integer in [{@code min}, {@code max}]; {@code dflt} when unset. */
    public long number(String name, long dflt, long min, long max) {
        String v = string(name);
        if (v == null) {
            return dflt;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw invalid(name, source.apply(name), "use a whole number from " + min + " to " + max);
        }
        if (n < min || n > max) {
            throw invalid(name, source.apply(name), "use a whole number from " + min + " to " + max);
        }
        return n;
    }

    /** One of {@code words} (any case), returned as written in {@code words}; {@code dflt} when unset. */
    public String choice(String name, String dflt, String... words) {
        String v = string(name);
        if (v == null) {
            return dflt;
        }
        for (String w : words) {
            if (w.equalsIgnoreCase(v)) {
                return w;
            }
        }
        throw invalid(name, source.apply(name), "use one of " + String.join(", ", words).toLowerCase(Locale.ROOT));
    }

    /** A setting that breaks the rule, explained by {@code message} (which names the property and the value). */
    public static RuntimeException error(String message) {
        return new ConfigurationException(message);
    }

    /** The exception for a value that breaks the rule; {@code hint} says what to write instead. */
    public static RuntimeException invalid(String name, String value, String hint) {
        return new ConfigurationException(name + "=" + value + " is not valid: " + hint);
    }
}
