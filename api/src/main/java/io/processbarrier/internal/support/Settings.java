package io.processbarrier.internal.support;

import io.processbarrier.internal.ConfigurationException;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The configuration of ProcessBarrier: every {@code processbarrier.*} system property, read once, in one place
 * ({@link #system()}, when selection starts), and judged by one rule. A boolean is {@code true} or {@code false} (any
 * case, trimmed); a number is a decimal integer in its range; a choice is one of its words (any case). Anything else
 * is a {@link io.processbarrier.ProcessBarrierException} that names the property and the value, which the first
 * {@code get()} or {@code of()} throws: a setting is never silently taken as on, off or default. A blank value is
 * the default.
 *
 * <p>For the api and the project's providers (qualified export); tests make their own with {@link #of(Function)}.
 */
public final class Settings {
    private static volatile Settings system;

    private final Function<String, String> source;

    private Settings(Function<String, String> source) {
        this.source = source;
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
            if (k.startsWith("processbarrier.") || k.equals("os.name") || k.equals("os.arch")
                    || k.equals("java.io.tmpdir")) {
                m.put(k, p.getProperty(k));
            }
        }
        return m;
    }

    /** Settings read from {@code source} (tests, or a map). */
    public static Settings of(Function<String, String> source) {
        return new Settings(source);
    }

    /** Settings from a map (tests). */
    public static Settings of(Map<String, String> values) {
        return new Settings(new MapSource(new TreeMap<>(values)));
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

    /** The raw value, trimmed; null when unset or blank. */
    public String string(String name) {
        String v = source.apply(name);
        return v == null || v.isBlank() ? null : v.trim();
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
