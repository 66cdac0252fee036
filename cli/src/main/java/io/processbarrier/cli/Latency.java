package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;

import java.util.Arrays;

/** heavy() latency of one barrier on the calling thread: median and p99 of individually timed calls. */
final class Latency {
    /** The most calls one measurement times (a sample array of this many longs): more is refused, never cut. */
    static final long MAX_CALLS = 1_000_000;

    final int calls;
    final long medianNanos;
    final long p99Nanos;

    private Latency(int calls, long medianNanos, long p99Nanos) {
        this.calls = calls;
        this.medianNanos = medianNanos;
        this.p99Nanos = p99Nanos;
    }

    /**
     * Times heavy() while {@code readers} other threads spin on light(), as the readers of a real algorithm would:
     * with no other thread of the process running, an expedited membarrier has no CPU to interrupt and costs almost
     * nothing, which would flatter every IPI-based provider.
     */
    static Latency measureWithReaders(ProcessBarrier b, int readers, int maxCalls, long budgetNanos) {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread[] threads = new Thread[readers];
        for (int i = 0; i < readers; i++) {
            threads[i] = new Thread(() -> {
                while (!stop.get()) {
                    b.light();
                    Thread.onSpinWait();
                }
            }, "processbarrier-doctor-reader-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
        try {
            return measure(b, maxCalls, budgetNanos);
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Times up to {@code maxCalls} calls, stopping after {@code budgetNanos}: a millisecond-class barrier (membarrier
     * GLOBAL) gets fewer calls instead of a longer run. A tenth of the budget warms up the JIT and the kernel path.
     */
    static Latency measure(ProcessBarrier b, int maxCalls, long budgetNanos) {
        long warmEnd = System.nanoTime() + budgetNanos / 10;
        for (int i = 0; i < maxCalls / 10 && System.nanoTime() < warmEnd; i++) {
            b.heavy();
        }
        long[] samples = new long[maxCalls];
        int n = 0;
        long end = System.nanoTime() + budgetNanos;
        while (n < maxCalls && (n < 5 || System.nanoTime() < end)) {
            long t0 = System.nanoTime();
            b.heavy();
            samples[n++] = System.nanoTime() - t0;
        }
        long[] s = Arrays.copyOf(samples, n);
        Arrays.sort(s);
        return new Latency(n, s[(n - 1) / 2], s[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)]);
    }

    /** 1234 -> "1.23 µs", 12345678 -> "12.3 ms". */
    static String format(long nanos) {
        if (nanos < 1_000) {
            return nanos + " ns";
        }
        double v;
        String unit;
        if (nanos < 1_000_000) {
            v = nanos / 1e3;
            unit = " µs";
        } else if (nanos < 1_000_000_000) {
            v = nanos / 1e6;
            unit = " ms";
        } else {
            v = nanos / 1e9;
            unit = " s";
        }
        return (v < 10 ? String.format("%.2f", v) : v < 100 ? String.format("%.1f", v) : String.format("%.0f", v)) + unit;
    }
}
