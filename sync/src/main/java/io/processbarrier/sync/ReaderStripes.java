package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Striped counters for the read sections of threads that have no record of their own (a thread that reads once or
 * rarely: a virtual thread per request), as Linux SRCU and percpu-rwsem keep per-CPU counters instead of per-task
 * state. Each stripe is a few {@code long} counters on a 128-byte line of its own; a thread picks its stripe by a hash
 * of its id, never by its carrier or CPU: a virtual thread may park inside a section and resume on another carrier,
 * and it must leave through the stripe it entered by (it remembers the stripe, so an unstable id does not matter).
 *
 * <p>Every update is an atomic read-modify-write ({@code getAndAdd}, a volatile access: a full fence on x86, so a
 * reader that counted itself needs no {@code heavy()} to be seen by a writer whose own volatile accesses follow).
 * This is the cost the rare reader pays instead of a registration: roughly what {@code ReentrantReadWriteLock}'s
 * read lock pays (one atomic on entry, one on exit), with no lock, no allocation and nothing whose size grows with
 * the threads. Writers read the counters with volatile loads; the constructs say what they wait for.
 *
 * <p>The number of stripes is fixed at construction, the power of two at least four times the processors (at most
 * 256): two running threads share a stripe (and its cache line) with a probability of about one in
 * {@code 4 * CPUs}, and a writer's scan reads a few dozen lines at most. Fault model: nothing here allocates after
 * construction, calls out or blocks; a counter that overflows would need 2^63 sections.
 */
final class ReaderStripes {
    /** longs per stripe: 128 bytes, so that two stripes never share a line or the line the CPU prefetches with it. */
    private static final int STRIDE = 16;
    private static final VarHandle AA = MethodHandles.arrayElementVarHandle(long[].class);
    /** The default number of stripes (see the class doc). */
    static final int DEFAULT_STRIPES = stripesFor(Runtime.getRuntime().availableProcessors());

    /** Stripe {@code i}'s counter {@code k} is {@code cells[(i + 1) * STRIDE + k]}: a stride of padding on each end. */
    private final long[] cells;
    private final int mask;
    /** Counters per stripe (at most {@link #STRIDE}). */
    private final int width;
    /** Set by {@link #forgetAll()} (the controls of the tests): scans see every stripe as empty. */
    private volatile boolean blind;

    /**
     * @param width counters per stripe
     */
    ReaderStripes(int width) {
        this(width, DEFAULT_STRIPES);
    }

    ReaderStripes(int width, int stripes) {
        if (width < 1 || width > STRIDE || Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("width " + width + ", stripes " + stripes);
        }
        this.width = width;
        this.mask = stripes - 1;
        this.cells = new long[(stripes + 2) * STRIDE];
    }

    static int stripesFor(int cpus) {
        int want = Math.max(4, Math.min(256, 4 * Math.max(1, cpus)));
        return Integer.highestOneBit(want - 1) << 1;
    }

    /** How many stripes there are. */
    int count() {
        return mask + 1;
    }

    /**
     * The stripe of {@code t}: a multiplicative hash of its id (ids are sequential, so consecutive threads take
     * different stripes). Called once per outermost section; the caller keeps the result for the exit.
     */
    int stripeOf(Thread t) {
        return (int) ((t.getId() * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    private static int at(int stripe, int k) {
        return (stripe + 1) * STRIDE + k;
    }

    /** Adds {@code delta} to counter {@code k} of {@code stripe}: a volatile read-modify-write (a full fence). */
    void add(int stripe, int k, long delta) {
        AA.getAndAdd(cells, at(stripe, k), delta);
    }

    /**
     * Notes the id of the thread entering {@code stripe} in its counter {@code k}, for stall warnings: an opaque store
     * to the line the caller has just written (no extra coherence traffic); an id, never the thread, so that nothing
     * of an ended thread stays reachable.
     */
    void noteEntrant(int stripe, int k, long threadId) {
        AA.setOpaque(cells, at(stripe, k), threadId);
    }

    /**
     * A live platform thread whose id is {@code id}, or null (it ended, or it is virtual: the JDK lists platform
     * threads only). For stall warnings: it walks every thread's stack, so only when a warning is due.
     */
    static Thread liveThread(long id) {
        try {
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getId() == id) {
                    return t;
                }
            }
        } catch (RuntimeException e) { // a security manager that refuses: nothing to name
            return null;
        }
        return null;
    }

    /** Counter {@code k} of {@code stripe}: a volatile load (0 for every stripe once {@link #forgetAll()} ran). */
    long get(int stripe, int k) {
        return blind ? 0L : (long) AA.getVolatile(cells, at(stripe, k));
    }

    /**
     * Whether counter {@code k} is 0 on every stripe: volatile loads, each stripe read once, in order (a writer's
     * one pass when nobody reads: no bounds or {@link #blind} check per stripe).
     */
    boolean allZero(int k) {
        if (blind) {
            return true;
        }
        long[] c = cells;
        for (int i = STRIDE + k, end = c.length - STRIDE; i < end; i += STRIDE) {
            if ((long) AA.getVolatile(c, i) != 0L) {
                return false;
            }
        }
        return true;
    }

    /** The sum of counter {@code k} over every stripe: volatile loads, each stripe read once, in order. */
    long sum(int k) {
        long n = 0;
        for (int i = 0; i <= mask; i++) {
            n += get(i, k);
        }
        return n;
    }

    int width() {
        return width;
    }

    /** For the controls of the constructs' tests: writers see every stripe empty from now on; readers count on. */
    void forgetAll() {
        blind = true;
    }
}
