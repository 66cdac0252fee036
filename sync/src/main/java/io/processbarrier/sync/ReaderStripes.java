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
    /**
     * Whether a writer's one pass must read the stripes ({@link #noneCounted}): {@link #UNUSED} until a section is
     * counted ({@link #markUsed}), and again after a writer found every stripe empty ({@link #resetView}); or
     * {@link #BLIND} once {@link #forgetAll()} ran (the controls of the tests: scans see every stripe as empty).
     */
    private volatile int view;
    private static final int UNUSED = 0;
    private static final int USED = 1;
    private static final int BLIND = 2;
    private static final VarHandle VIEW;

    static {
        try {
            VIEW = MethodHandles.lookup().findVarHandle(ReaderStripes.class, "view", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // A VarHandle call site is linked when it first runs, and linking allocates: on a full heap the first CAS of
        // the view after a reset would throw OutOfMemoryError out of a reader or a writer (ReadMostlyLockQueue's static
        // initializer tells how that was seen). Each site runs here once, with the class.
        ReaderStripes linked = new ReaderStripes(1, 4);
        linked.markUsed();
        linked.add(0, 0, 1L);
        linked.resetView(0); // USED to UNUSED, finds the count, and back
        linked.noteEntrant(0, 0, 0L);
    }

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

    /**
     * Called by a section right after its increment (a full fence) and before it looks at the writers: makes sure
     * that a writer's {@link #noneCounted} reads the stripes. A volatile load, and a CAS when a writer reset the view.
     *
     * <p>Why a writer that reads {@link #UNUSED} (after its own full fence; for a {@code ReadMostlyLock} writer inside
     * a burst, after its claim's CAS, a volatile read-modify-write that orders the same way) may skip the stripes:
     * take a section S
     * that is counted while the writer W reads {@code UNUSED}. If S's load here read {@code UNUSED}, its CAS is a
     * full fence: before W's read (which would then read {@code USED}), or after W's fence, and then S's later load
     * of W's state sees W and S backs out. If it read {@code USED}, that value came either after W's read (so after
     * W's fence, and S's later loads see W) or before a reset that W read: the resetting writer stored
     * {@code UNUSED} after S's increment and scanned after that store, so it found S counted and stored
     * {@code USED} again before it let the next writer in. (The same SC argument as every Dekker pair here.)
     */
    void markUsed() {
        if (view == UNUSED) {
            VIEW.compareAndSet(this, UNUSED, USED);
        }
    }

    /**
     * For a writer that excludes every other writer and reads the stripes anyway (the start of a burst, whose
     * {@code heavy()} dwarfs a pass): stores {@link #UNUSED}, then reads every stripe, and stores {@link #USED} again
     * if one is counted. So a structure whose readers moved on to records of their own (or stopped reading) costs the
     * writes of its next burst no pass over the stripes: 8 stripes cost a write 5 ns of its 19
     * (ReadMostlyLockBench.writeInBurst, 2 vCPU AMD EPYC, JDK 17).
     */
    void resetView(int k) {
        if (view == USED && VIEW.compareAndSet(this, USED, UNUSED) && !scanZero(k)) {
            VIEW.compareAndSet(this, UNUSED, USED);
        }
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
        return view == BLIND ? 0L : (long) AA.getVolatile(cells, at(stripe, k));
    }

    /**
     * Whether counter {@code k} is 0 on every stripe (true once {@link #forgetAll()} ran): volatile loads, each stripe
     * read once, in order.
     */
    boolean allZero(int k) {
        return view == BLIND || scanZero(k);
    }

    /**
     * A writer's one pass (after its full fence, or its claim's CAS): true if no section is counted, without reading a
     * stripe while the view is {@link #UNUSED} (see {@link #markUsed}); for structures whose sections call
     * {@link #markUsed}.
     */
    boolean noneCounted(int k) {
        return view != USED || scanZero(k);
    }

    /** Whether counter {@code k} is 0 on every stripe: volatile loads, each read once, in order. */
    private boolean scanZero(int k) {
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

    /** Whether {@link #noneCounted} reads the stripes now (tests). */
    boolean inView() {
        return view == USED;
    }

    int width() {
        return width;
    }

    /** For the controls of the constructs' tests: writers see every stripe empty from now on; readers count on. */
    void forgetAll() {
        view = BLIND;
    }
}
