package io.processbarrier.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained SVG line chart (no scripts, no external resources): heavy() latency against the number of
 * running threads, one line per provider, the y axis logarithmic. Opens in any browser or image viewer.
 */
final class SvgChart {
    /** One provider's line: x values (thread counts), medians and p99s in nanoseconds (NaN where it failed). */
    record Series(String name, int[] x, double[] median, double[] p99) {
    }

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    private static final int W = 820;
    private static final int H = 520;
    private static final int LEFT = 90;
    private static final int RIGHT = 190;
    private static final int TOP = 72;
    private static final int BOTTOM = 70;

    private SvgChart() {
    }

    static String render(String title, String subtitle, List<Series> series) {
        List<Integer> xs = new ArrayList<>();
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!xs.contains(s.x()[i])) {
                    xs.add(s.x()[i]);
                }
                for (double v : new double[] {s.median()[i], s.p99()[i]}) {
                    if (v > 0 && Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
        }
        xs.sort(Integer::compare);
        if (hi == 0) {
            lo = 1;
            hi = 10;
        }
        int decLo = (int) Math.floor(Math.log10(lo));
        int decHi = (int) Math.ceil(Math.log10(hi));
        if (decHi == decLo) {
            decHi++;
        }
        double plotW = W - LEFT - RIGHT;
        double plotH = H - TOP - BOTTOM;
        // x: log2 of the thread count, so 1, 2, 4, 16, 64 are spread evenly by doubling
        double xMin = log2(xs.isEmpty() ? 1 : xs.get(0));
        double xMax = log2(xs.isEmpty() ? 2 : xs.get(xs.size() - 1));
        if (xMax == xMin) {
            xMax = xMin + 1;
        }
        final double fxMin = xMin;
        final double fxMax = xMax;
        final int fDecLo = decLo;
        final int fDecHi = decHi;
        java.util.function.DoubleUnaryOperator px = v -> LEFT + (log2(v) - fxMin) / (fxMax - fxMin) * plotW;
        java.util.function.DoubleUnaryOperator py = v -> TOP + plotH - (Math.log10(v) - fDecLo) / (fDecHi - fDecLo) * plotH;

        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"13\">\n",
                W, H, W, H));
        sb.append("<title>").append(esc(title)).append("</title>\n");
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"26\" font-size=\"17\" font-weight=\"bold\">%s</text>\n",
                LEFT, esc(title)));
        String[] sub = subtitle.split("; ", 2); // two lines at most: the machine, then what is drawn
        for (int i = 0; i < sub.length; i++) {
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#555\">%s</text>\n",
                    LEFT, 42 + 14 * i, esc(sub[i])));
        }
        // grid and y labels: every decade, with 2x and 5x minor lines
        for (int d = decLo; d <= decHi; d++) {
            double y = py.applyAsDouble(Math.pow(10, d));
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>\n",
                    LEFT, y, LEFT + plotW, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    LEFT - 8, y + 4, decade(d)));
            if (d < decHi) {
                for (int m : new int[] {2, 5}) {
                    double ym = py.applyAsDouble(m * Math.pow(10, d));
                    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            + "stroke=\"#eee\"/>\n", LEFT, ym, LEFT + plotW, ym));
                }
            }
        }
        for (int x : xs) {
            double X = px.applyAsDouble(x);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n",
                    X, TOP, X, TOP + plotH));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n",
                    X, TOP + plotH + 20, x));
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                + "stroke=\"#333\"/>\n", LEFT, TOP, plotW, plotH));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">running threads "
                + "(readers spinning on light(), besides the caller)</text>\n", LEFT + plotW / 2, H - 22));
        sb.append(String.format(Locale.ROOT, "<text transform=\"translate(22 %.1f) rotate(-90)\" text-anchor=\"middle\">"
                + "heavy() latency (log scale)</text>\n", TOP + plotH / 2));
        // lines: median solid with dots, p99 dashed
        int legendY = TOP + 10;
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            String color = COLORS[k % COLORS.length];
            for (int pass = 0; pass < 2; pass++) {
                double[] v = pass == 0 ? s.median() : s.p99();
                StringBuilder pts = new StringBuilder();
                for (int i = 0; i < s.x().length; i++) {
                    if (v[i] > 0 && Double.isFinite(v[i])) {
                        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(s.x()[i]),
                                py.applyAsDouble(v[i])));
                    }
                }
                sb.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                        + "stroke-width=\"%s\"%s/>\n", pts.toString().trim(), color, pass == 0 ? "2.5" : "1.2",
                        pass == 0 ? "" : " stroke-dasharray=\"5,4\""));
                if (pass == 0) {
                    for (int i = 0; i < s.x().length; i++) {
                        if (v[i] > 0 && Double.isFinite(v[i])) {
                            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">"
                                    + "<title>%s, %d threads: median %s, p99 %s</title></circle>\n",
                                    px.applyAsDouble(s.x()[i]), py.applyAsDouble(v[i]), color, esc(s.name()), s.x()[i],
                                    esc(Latency.format((long) v[i])), esc(Latency.format((long) s.p99()[i]))));
                        }
                    }
                }
            }
            double lx = LEFT + plotW + 18;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-width=\"2.5\"/>\n", lx, legendY, lx + 24, legendY, color));
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"%s\"/>\n", lx + 12, legendY,
                    color));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s</text>\n", lx + 32, legendY + 4,
                    esc(s.name())));
            legendY += 24;
        }
        double lx = LEFT + plotW + 18;
        legendY += 8;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\" "
                + "stroke-width=\"2.5\"/>\n", lx, legendY, lx + 24, legendY));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">median</text>\n", lx + 32, legendY + 4));
        legendY += 22;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\" "
                + "stroke-width=\"1.2\" stroke-dasharray=\"5,4\"/>\n", lx, legendY, lx + 24, legendY));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">p99</text>\n", lx + 32, legendY + 4));
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** 10^d nanoseconds as an axis label: 1 ns, 10 ns, ..., 1 µs, ..., 1 s. */
    static String decade(int d) {
        String[] units = {"ns", "µs", "ms", "s"};
        int u = Math.min(3, Math.max(0, d / 3));
        long v = (long) Math.pow(10, d - 3 * u);
        return v + " " + units[u];
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
