package io.processbarrier.cli;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code --flag} and {@code --key=value} / {@code --key value} options. Only the options a command declares
 * (the first word of each entry of {@link Command#options()}, e.g. {@code "--seconds=N  ..."}) are accepted.
 */
final class Args {
    private final Map<String, String> values;

    private Args(Map<String, String> values) {
        this.values = values;
    }

    static Args parse(String[] argv, String[] declared) {
        Set<String> known = new TreeSet<>();
        Set<String> takesValue = new TreeSet<>();
        for (String d : declared) {
            String word = d.split("\\s+")[0];
            int eq = word.indexOf('=');
            if (eq >= 0) {
                takesValue.add(word.substring(0, eq));
                known.add(word.substring(0, eq));
            } else {
                known.add(word);
            }
        }
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            String key = a;
            String value = null;
            int eq = a.indexOf('=');
            if (eq >= 0) {
                key = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown option '" + a + "' (accepted: "
                        + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
            }
            if (takesValue.contains(key) && value == null) {
                if (i + 1 >= argv.length) {
                    throw new IllegalArgumentException("option " + key + " needs a value");
                }
                value = argv[++i];
            } else if (!takesValue.contains(key) && value != null) {
                throw new IllegalArgumentException("option " + key + " takes no value");
            }
            values.put(key, value == null ? "true" : value);
        }
        return new Args(values);
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    String value(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    /** A positive number, or a clear error naming the option and the value. */
    double positive(String name, double dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            double d = Double.parseDouble(v);
            if (d > 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("option " + name + "=" + v + ": expected a positive number");
    }

    /**
     * 0 (which turns the thing off) or a positive number, or a clear error naming the option and the value: "0" and
     * "0.0" mean the same, and a negative number is refused with the same words as any other bad value.
     */
    double zeroOrPositive(String name, double dflt, String zeroMeans) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            double d = Double.parseDouble(v);
            if (d >= 0 && Double.isFinite(d)) {
                return d == 0 ? 0 : d; // -0.0 is 0
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("option " + name + "=" + v + ": expected 0 (" + zeroMeans
                + ") or a positive number");
    }

    /** A whole number from 1 to {@code max}; above it, a clear error that says the limit (never cut silently). */
    long positiveLong(String name, long dflt, long max) {
        long n = positiveLong(name, dflt);
        if (n > max) {
            throw new IllegalArgumentException("option " + name + "=" + values.get(name) + ": at most " + max);
        }
        return n;
    }

    long positiveLong(String name, long dflt) {
        double d = positive(name, dflt);
        if (d != Math.rint(d) || d > Long.MAX_VALUE) {
            throw new IllegalArgumentException("option " + name + "=" + values.get(name) + ": expected a whole number");
        }
        return (long) d;
    }
}
