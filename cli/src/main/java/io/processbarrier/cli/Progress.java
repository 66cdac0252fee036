package io.processbarrier.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, a few plain lines otherwise (CI logs), and
 * nothing at all in JSON mode, so stdout stays machine-readable either way.
 */
final class Progress {
    private final PrintStream err;
    private final boolean enabled;
    private final boolean terminal;
    private int lastPercent = -1;

    Progress(PrintStream err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
        this.terminal = System.console() != null;
    }

    /** @param fraction 0..1 of the whole job */
    void update(String label, double fraction) {
        if (!enabled) {
            return;
        }
        int pct = (int) Math.max(0, Math.min(100, Math.round(fraction * 100)));
        if (terminal) {
            int filled = pct * 30 / 100;
            err.print("\r[" + "#".repeat(filled) + ".".repeat(30 - filled) + "] " + String.format("%3d%% ", pct)
                    + String.format("%-40s", label));
            err.flush();
        } else if (pct / 25 != lastPercent / 25 || lastPercent < 0) {
            err.println("[" + pct + "%] " + label);
        }
        lastPercent = pct;
    }

    void done() {
        if (enabled && terminal) {
            err.print("\r" + " ".repeat(80) + "\r");
            err.flush();
        }
    }
}
