package io.processbarrier.bench;

import java.util.Locale;
import java.util.Map;

/**
 * A self-contained SVG bar chart (no scripts, no external resources), horizontal bars on a logarithmic axis, for
 * the Rcu table of {@link Report}: costs from a nanosecond to tens of microseconds side by side.
 */
final class RcuChart {
    private static final int W = 820;
    private static final int LEFT = 250;
    private static final int RIGHT = 110;
    private static final int TOP = 70;
    private static final int BAR = 26;
    private static final int GAP = 10;

    private RcuChart() {
    }

    static String render(String title, String subtitle, Map<String, Double> bars) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (double v : bars.values()) {
            if (v > 0 && Double.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        int decLo = hi == 0 ? 0 : (int) Math.floor(Math.log10(lo));
        int decHi = hi == 0 ? 1 : (int) Math.ceil(Math.log10(hi));
        if (decHi == decLo) {
            decHi++;
        }
        int h = TOP + bars.size() * (BAR + GAP) + 50;
        double plotW = W - LEFT - RIGHT;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">%n", W, h, W, h));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, h));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"28\" font-size=\"17\" font-weight=\"bold\">%s</text>%n",
                20, esc(title)));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"50\" fill=\"#555\">%s</text>%n", 20, esc(subtitle)));
        int bottom = TOP + bars.size() * (BAR + GAP);
        for (int d = decLo; d <= decHi; d++) {
            double x = LEFT + plotW * (d - decLo) / (decHi - decLo);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                    x, TOP - 5, x, bottom));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s"
                    + "</text>%n", x, bottom + 18, label(Math.pow(10, d))));
        }
        int i = 0;
        for (Map.Entry<String, Double> e : bars.entrySet()) {
            int y = TOP + i++ * (BAR + GAP);
            double v = e.getValue();
            double w = v > 0 ? plotW * (Math.log10(v) - decLo) / (decHi - decLo) : 0;
            String color = e.getKey().startsWith("Rcu") || e.getKey().startsWith("synchronize")
                    || e.getKey().startsWith("retire") ? "#1f77b4" : "#999";
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LEFT - 8,
                    y + BAR / 2 + 5, esc(e.getKey())));
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
                    LEFT, y, Math.max(1, w), BAR, color));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s</text>%n", LEFT + Math.max(1, w) + 6,
                    y + BAR / 2 + 5, label(v)));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String label(double ns) {
        if (ns >= 1_000_000) {
            return String.format(Locale.ROOT, "%.3g ms", ns / 1e6);
        }
        if (ns >= 1_000) {
            return String.format(Locale.ROOT, "%.3g µs", ns / 1e3);
        }
        return String.format(Locale.ROOT, "%.3g ns", ns);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
