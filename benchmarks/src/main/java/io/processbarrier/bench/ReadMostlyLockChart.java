package io.processbarrier.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The chart of the {@code rml} section: a self-contained SVG (no scripts, no external resources, the approach of the
 * cli's {@code SvgChart}) of grouped bars, reader throughput per thread count, one bar per lock, y axis logarithmic.
 */
final class ReadMostlyLockChart {
    /** The locks of {@code ReadMostlyLockBench}, in chart order. */
    static final List<String> LOCKS = List.of("rml", "rrwl", "stamped", "optimistic", "synchronized");
    private static final Map<String, String> LABELS = Map.of("rml", "ReadMostlyLock", "rrwl",
            "ReentrantReadWriteLock", "stamped", "StampedLock.readLock", "optimistic", "StampedLock optimistic",
            "synchronized", "synchronized");
    private static final String[] COLORS = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"};
    private static final int W = 820;
    private static final int H = 480;
    private static final int LEFT = 80;
    private static final int RIGHT = 210;
    private static final int TOP = 60;
    private static final int BOTTOM = 60;

    private ReadMostlyLockChart() {
    }

    /** threads -> lock -> the {@code read} row. */
    static Map<Integer, Map<String, Report.Row>> byThreads(List<Report.Row> rows) {
        Map<Integer, Map<String, Report.Row>> m = new TreeMap<>();
        for (Report.Row r : rows) {
            if (r.shortName().equals("ReadMostlyLockBench.read")) {
                m.computeIfAbsent(r.threads(), k -> new TreeMap<>()).put(r.param("lock"), r);
            }
        }
        return m;
    }

    static String render(List<Report.Row> rows) {
        Map<Integer, Map<String, Report.Row>> data = byThreads(rows);
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (Map<String, Report.Row> m : data.values()) {
            for (Report.Row r : m.values()) {
                if (r.score() > 0) {
                    lo = Math.min(lo, r.score());
                    hi = Math.max(hi, r.score());
                }
            }
        }
        if (hi == 0) {
            lo = 1;
            hi = 10;
        }
        int decLo = (int) Math.floor(Math.log10(lo));
        int decHi = Math.max(decLo + 1, (int) Math.ceil(Math.log10(hi)));
        double plotW = W - LEFT - RIGHT;
        double plotH = H - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">"
                + "A HashMap behind a lock, 0.1%% writes: throughput of all threads</text>%n", LEFT));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"42\" fill=\"#555\">ops/µs, log scale, higher is "
                + "better (JMH, ReadMostlyLockBench.read)</text>%n", LEFT));
        for (int d = decLo; d <= decHi; d++) {
            double y = TOP + plotH - (d - decLo) / (double) (decHi - decLo) * plotH;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT, y, LEFT + plotW, y, LEFT - 6,
                    y + 4, format(Math.pow(10, d))));
        }
        int groups = Math.max(1, data.size());
        double groupW = plotW / groups;
        double barW = groupW * 0.8 / LOCKS.size();
        int g = 0;
        for (Map.Entry<Integer, Map<String, Report.Row>> e : data.entrySet()) {
            double x0 = LEFT + g * groupW + groupW * 0.1;
            for (int i = 0; i < LOCKS.size(); i++) {
                Report.Row r = e.getValue().get(LOCKS.get(i));
                if (r == null || !(r.score() > 0)) {
                    continue;
                }
                double v = Math.log10(r.score());
                double h = Math.max(1, (v - decLo) / (decHi - decLo) * plotH);
                double x = x0 + i * barW;
                sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        + "fill=\"%s\"><title>%s, %d threads: %s ops/µs</title></rect>%n", x, TOP + plotH - h,
                        barW - 2, h, COLORS[i], LABELS.get(LOCKS.get(i)), e.getKey(), format(r.score())));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                        + "font-size=\"9\">%s</text>%n", x + (barW - 2) / 2, TOP + plotH - h - 3, format(r.score())));
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d thread%s"
                    + "</text>%n", LEFT + g * groupW + groupW / 2, TOP + plotH + 20, e.getKey(),
                    e.getKey() == 1 ? "" : "s"));
            g++;
        }
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>%n",
                LEFT, TOP + plotH, LEFT + plotW, TOP + plotH));
        for (int i = 0; i < LOCKS.size(); i++) {
            double y = TOP + 10 + i * 22;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\">%s</text>%n", LEFT + plotW + 16, y, COLORS[i], LEFT + plotW + 36,
                    y + 12, LABELS.get(LOCKS.get(i))));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String format(double v) {
        return v >= 10 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2g", v);
    }
}
