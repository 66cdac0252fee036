package io.processbarrier.cli;

import java.util.Collection;
import java.util.Locale;

/**
 * The known name closest to a mistyped one, if it is close: an edit distance (insertions, deletions, substitutions,
 * case ignored) of at most 1 for names up to 4 characters, 2 for longer ones. A name farther than that is not
 * suggested at all: "did you mean fence?" for "debug" would mislead more than it helps.
 */
final class DidYouMean {
    private DidYouMean() {
    }

    /** The closest of {@code known} to {@code typed} within the limit (the first of equals), or null. */
    static String closest(String typed, Collection<String> known) {
        String a = typed.toLowerCase(Locale.ROOT);
        int limit = a.length() <= 4 ? 1 : 2;
        String best = null;
        int bestDistance = limit + 1;
        for (String k : known) {
            int d = distance(a, k.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance, two rows. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
