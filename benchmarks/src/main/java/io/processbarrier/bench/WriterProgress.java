package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Do writers make progress against readers in tight loops, virtual readers among them? Not a JMH benchmark: the
 * figure of merit is how long the write lock makes a writer wait, the longest wait of a run included, which JMH's
 * averages would hide.
 *
 * <p>W writers loop {@code t0 = nanoTime(); writeLock().lock(); wait = nanoTime() - t0; value++; unlock()}; readers
 * loop {@code readLock().lock(); read value; unlock()}, with {@code Thread.yield()} every {@code --yield-every}
 * reads. Setting {@code virtual}: V virtual and P platform readers; setting {@code platform}: the P platform readers
 * only. Everyone starts behind one latch; after {@code --seconds} a volatile flag stops them. The last write of
 * each writer may complete after the window: its wait counts, because a writer starved for the whole run shows up
 * exactly there (and a writer still waiting at the end is counted as waiting until then).
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar io.processbarrier.bench.WriterProgress \
 *     [--seconds 3] [--runs 5] [--virtual 32] [--platform 2] [--writers 2] [--yield-every 1024] \
 *     [--locks rml,rrwl] [--settings virtual,platform] [--check]</pre>
 * One line per lock, setting and run (writes, longest and p99 write-lock wait, reads), then one summary line per
 * lock and setting (medians across runs, and the verdict against the requirement: at least 1,000 writes and no
 * write-lock wait over 100 ms, in every run). Exit code 0, or with {@code --check} 1 if {@code rml} missed the
 * requirement in any run; 2 on bad options or a JDK without virtual threads when the setting {@code virtual} is asked.
 */
public final class WriterProgress {
    /** The requirement of the issue: at least this many writes per run... */
    static final long MIN_WRITES = 1000;
    /** ...and no write-lock wait longer than this. */
    static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long the end of a run may take (threads leaving their loops) before the stragglers are reported. */
    static final long JOIN_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final String NO_VIRTUAL_HINT = "run with JDK 21+, e.g. /usr/lib/jvm/temurin-25*/bin/java";

    private WriterProgress() {
    }

    /** The field the writers increment and the readers read; plain, since the lock is what orders it. */
    static final class Shared {
        long value;
    }

    /**
     * What one run measured. {@code stuck} names each thread that did not finish within {@link #JOIN_NANOS} of the
     * stop, with its stack (empty when all finished). {@code startNanos}: from the latch's release until every
     * thread was past it (the window of {@code nanos} starts then; writers that started earlier may already wait).
     */
    record Result(long writes, long maxWaitNanos, long p99WaitNanos, long reads, long startNanos,
                  List<String> stuck) {
        boolean meets() {
            return stuck.isEmpty() && writes >= MIN_WRITES && maxWaitNanos <= MAX_WAIT_NANOS;
        }
    }

    /**
     * Write-lock waits in log-linear buckets (64 per power of two, so a bucket's bounds are within 1/64 of each
     * other): a run may make millions of writes, too many to keep. The exact maximum is kept beside it.
     */
    static final class Histogram {
        private static final int SUB = 64;
        private final long[] counts = new long[(64 - 5) * SUB];
        long count;
        long max;

        void record(long nanos) {
            long v = Math.max(0L, nanos);
            counts[bucket(v)]++;
            count++;
            max = Math.max(max, v);
        }

        void add(Histogram o) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] += o.counts[i];
            }
            count += o.count;
            max = Math.max(max, o.max);
        }

        /** The upper bound of the bucket holding the q-quantile (never above the exact maximum); 0 if empty. */
        long quantile(double q) {
            if (count == 0) {
                return 0L;
            }
            long rank = (long) Math.ceil(q * count);
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i];
                if (seen >= Math.max(1L, rank)) {
                    return Math.min(max, upper(i));
                }
            }
            return max;
        }

        static int bucket(long v) {
            if (v < SUB) {
                return (int) v;
            }
            int e = 63 - Long.numberOfLeadingZeros(v); // >= 6
            return (e - 5) * SUB + (int) ((v >>> (e - 6)) & (SUB - 1));
        }

        static long upper(int i) {
            if (i < SUB) {
                return i;
            }
            int e = i / SUB + 5;
            long lower = (long) (SUB + i % SUB) << (e - 6);
            return lower + (1L << (e - 6)) - 1;
        }
    }

    /** One writer's state; {@code waitingSince} (0 = not waiting) lets the end of a run see a wait still going on. */
    private static final class Writer {
        final Histogram waits = new Histogram();
        volatile long waitingSince;
    }

    /**
     * One run: {@code virtual} virtual and {@code platform} platform readers and {@code writers} platform writers on
     * {@code lock} for {@code nanos}. Every reader reads and every writer writes at least once, whatever the
     * scheduling (the loops test the stop flag after their work).
     *
     * @throws UnsupportedOperationException if {@code virtual > 0} and this JVM has no virtual threads
     */
    static Result run(ReadWriteLock lock, int virtual, int platform, int writers, int yieldEvery, long nanos)
            throws InterruptedException {
        if (virtual > 0 && !VirtualThreads.supported()) {
            throw new UnsupportedOperationException(VirtualThreads.unsupportedReason());
        }
        Shared shared = new Shared();
        int readers = virtual + platform;
        int all = readers + writers;
        CountDownLatch ready = new CountDownLatch(all);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(all);
        Stop flag = new Stop();
        long[] reads = new long[readers];
        long[] sink = new long[readers];
        Writer[] ws = new Writer[writers];
        List<Thread> threads = new ArrayList<>(all);
        for (int i = 0; i < readers; i++) {
            int me = i;
            Runnable reader = () -> {
                ready.countDown();
                awaitUninterruptibly(go);
                running.countDown();
                long n = 0;
                long sum = 0;
                do {
                    lock.readLock().lock();
                    try {
                        sum += shared.value;
                    } finally {
                        lock.readLock().unlock();
                    }
                    if (++n % yieldEvery == 0) {
                        Thread.yield();
                    }
                } while (!flag.stop);
                reads[me] = n; // published to the caller by join()
                sink[me] = sum;
            };
            threads.add(i < virtual ? VirtualThreads.unstarted("reader-v" + i, reader)
                    : daemon(new Thread(reader, "reader-p" + (i - virtual))));
        }
        for (int i = 0; i < writers; i++) {
            Writer w = new Writer();
            ws[i] = w;
            threads.add(daemon(new Thread(() -> {
                ready.countDown();
                awaitUninterruptibly(go);
                running.countDown();
                do {
                    long t0 = System.nanoTime();
                    w.waitingSince = t0 | 1L; // never 0 while waiting
                    lock.writeLock().lock();
                    try {
                        long t1 = System.nanoTime();
                        w.waitingSince = 0L;
                        w.waits.record(t1 - t0);
                        shared.value++;
                    } finally {
                        lock.writeLock().unlock();
                    }
                } while (!flag.stop);
            }, "writer-" + i)));
        }
        for (Thread t : threads) {
            t.start();
        }
        if (!ready.await(JOIN_NANOS, TimeUnit.NANOSECONDS)) {
            flag.stop = true;
            go.countDown();
            throw new IllegalStateException("the run's " + all + " threads did not all start within "
                    + TimeUnit.NANOSECONDS.toSeconds(JOIN_NANOS) + " s (" + ready.getCount() + " missing)");
        }
        go.countDown();
        // the window starts once every thread is past the latch: its release wakes one waiter after the other, and
        // a virtual reader in that chain waits for a carrier that the readers already running keep busy
        long released = System.nanoTime();
        boolean allRunning = running.await(JOIN_NANOS, TimeUnit.NANOSECONDS);
        long startNanos = System.nanoTime() - released;
        if (allRunning) {
            TimeUnit.NANOSECONDS.sleep(nanos); // the measurement window itself, not a premise of anything
        }
        flag.stop = true; // if some never got past the latch, they are reported as not finished
        long stopped = System.nanoTime();
        long bound = stopped + JOIN_NANOS;
        List<String> stuck = new ArrayList<>();
        for (Thread t : threads) {
            long rem = bound - System.nanoTime();
            if (rem > 0L) {
                TimeUnit.NANOSECONDS.timedJoin(t, rem);
            }
            if (t.isAlive()) {
                stuck.add(describe(t));
            }
        }
        Histogram total = new Histogram();
        long now = System.nanoTime();
        long maxWait = 0L;
        for (Writer w : ws) {
            total.add(w.waits); // join ordered a finished writer's histogram before us; a stuck one's is a hint
            long since = w.waitingSince;
            if (since != 0L) {
                maxWait = Math.max(maxWait, now - since); // still waiting: the wait so far is the least it is
            }
        }
        maxWait = Math.max(maxWait, total.max);
        long readTotal = 0;
        for (long r : reads) {
            readTotal += r;
        }
        return new Result(total.count, maxWait, total.quantile(0.99), readTotal, startNanos, List.copyOf(stuck));
    }

    /** The stop flag, volatile: every loop iteration reads it. */
    private static final class Stop {
        volatile boolean stop;
    }

    private static Thread daemon(Thread t) {
        t.setDaemon(true);
        return t;
    }

    private static void awaitUninterruptibly(CountDownLatch l) {
        boolean interrupted = false;
        while (true) {
            try {
                l.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(Thread t) {
        StringBuilder b = new StringBuilder(t.getName()).append(" (").append(t.getState()).append(')');
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("\n        at ").append(e);
        }
        return b.toString();
    }

    /** sync's, with what to do when there are none: the benchmarks' message. */
    static final class VirtualThreads {
        private VirtualThreads() {
        }

        static boolean supported() {
            return io.processbarrier.sync.internal.VirtualThreads.supported();
        }

        static String unsupportedReason() {
            return "this JDK (" + System.getProperty("java.version") + ", " + System.getProperty("java.home")
                    + ") has no virtual threads: " + NO_VIRTUAL_HINT + ", or --settings platform";
        }

        /** A virtual thread, not started (virtual threads are always daemons). */
        static Thread unstarted(String name, Runnable task) {
            return io.processbarrier.sync.internal.VirtualThreads.unstarted(name, task);
        }
    }

    // ------------------------------------------------------------------------------------------------ main

    /** The command line, checked. */
    record Options(double seconds, int runs, int virtual, int platform, int writers, int yieldEvery,
                   List<String> locks, List<String> settings, boolean check) {
        static final List<String> LOCKS = List.of("rml", "rrwl");
        static final List<String> SETTINGS = List.of("virtual", "platform");

        /** @throws IllegalArgumentException naming the bad option and what it accepts */
        static Options parse(String... args) {
            double seconds = 3;
            int runs = 5;
            int virtual = 32;
            int platform = 2;
            int writers = 2;
            int yieldEvery = 1024;
            List<String> locks = LOCKS;
            List<String> settings = SETTINGS;
            boolean check = false;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    v = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                if (a.equals("--check")) {
                    check = true;
                    continue;
                }
                if (v == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(a + " needs a value (see the usage)");
                    }
                    v = args[++i];
                }
                switch (a) {
                    case "--seconds" -> {
                        seconds = number(a, v);
                        if (!(seconds > 0 && seconds <= 3600)) {
                            throw new IllegalArgumentException("--seconds " + v + ": give 0 < seconds <= 3600");
                        }
                    }
                    case "--runs" -> runs = count(a, v, 1);
                    case "--virtual" -> virtual = count(a, v, 0);
                    case "--platform" -> platform = count(a, v, 0);
                    case "--writers" -> writers = count(a, v, 1);
                    case "--yield-every" -> yieldEvery = count(a, v, 1);
                    case "--locks" -> locks = names(a, v, LOCKS);
                    case "--settings" -> settings = names(a, v, SETTINGS);
                    default -> throw new IllegalArgumentException("unknown option " + a + " (see the usage)");
                }
            }
            if (settings.contains("platform") && platform == 0) {
                throw new IllegalArgumentException("--platform 0 leaves the setting platform without readers:"
                        + " give --platform 1 or more, or --settings virtual");
            }
            return new Options(seconds, runs, virtual, platform, writers, yieldEvery, locks, settings, check);
        }

        private static double number(String option, String v) {
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " " + v + ": not a number");
            }
        }

        private static int count(String option, String v, int min) {
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " " + v + ": not a whole number");
            }
            if (n < min || n > 100_000) {
                throw new IllegalArgumentException(option + " " + v + ": give " + min + " to 100000");
            }
            return n;
        }

        private static List<String> names(String option, String v, List<String> known) {
            List<String> out = new ArrayList<>();
            for (String s : v.split(",")) {
                String n = s.trim().toLowerCase(Locale.ROOT);
                if (!known.contains(n)) {
                    throw new IllegalArgumentException(option + " " + v + ": unknown " + (n.isEmpty() ? "(empty)" : n)
                            + ", give a comma-separated list of " + String.join(", ", known));
                }
                if (!out.contains(n)) {
                    out.add(n);
                }
            }
            return List.copyOf(out);
        }
    }

    private static final String USAGE = "usage: WriterProgress [--seconds 3] [--runs 5] [--virtual 32] [--platform 2]"
            + " [--writers 2] [--yield-every 1024] [--locks rml,rrwl] [--settings virtual,platform] [--check]";

    static ReadWriteLock newLock(String name) {
        return switch (name) {
            case "rml" -> new ReadMostlyLock(ProcessBarrier.get());
            case "rrwl" -> new ReentrantReadWriteLock();
            default -> throw new IllegalArgumentException("unknown lock " + name);
        };
    }

    public static void main(String[] args) throws InterruptedException {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("WriterProgress: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o.settings().contains("virtual") && o.virtual() > 0 && !VirtualThreads.supported()) {
            System.err.println("WriterProgress: " + VirtualThreads.unsupportedReason());
            System.exit(2);
            return;
        }
        System.out.printf(Locale.ROOT, "# WriterProgress java=%s (%s) cpus=%d seconds=%s runs=%d virtual=%d"
                        + " platform=%d writers=%d yieldEvery=%d barrier=%s%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(), o.seconds(),
                o.runs(), o.virtual(), o.platform(), o.writers(), o.yieldEvery(),
                o.locks().contains("rml") ? ProcessBarrier.get() : "-");
        System.out.printf(Locale.ROOT, "# requirement: >= %d writes and longest write-lock wait <= %d ms in every"
                + " run%n", MIN_WRITES, TimeUnit.NANOSECONDS.toMillis(MAX_WAIT_NANOS));
        long nanos = (long) (o.seconds() * 1e9);
        boolean rmlMissed = false;
        List<String> summaries = new ArrayList<>();
        for (String setting : o.settings()) {
            int v = setting.equals("virtual") ? o.virtual() : 0;
            String readers = setting.equals("virtual") ? v + "v+" + o.platform() + "p" : o.platform() + "p";
            // the locks alternate within each run index, so that a disturbance of the machine hits both alike
            Result[][] results = new Result[o.locks().size()][o.runs()];
            for (int r = 0; r < o.runs(); r++) {
                for (int k = 0; k < o.locks().size(); k++) {
                    String lock = o.locks().get(k);
                    Result res = run(newLock(lock), v, o.platform(), o.writers(), o.yieldEvery(), nanos);
                    results[k][r] = res;
                    System.out.printf(Locale.ROOT, "lock=%s setting=%s readers=%s writers=%d run=%d writes=%d"
                                    + " maxWaitMs=%.3f p99WaitMs=%.3f reads=%d startMs=%.1f %s%n", lock, setting, readers,
                            o.writers(), r + 1, res.writes(), ms(res.maxWaitNanos()), ms(res.p99WaitNanos()),
                            res.reads(), ms(res.startNanos()), res.meets() ? "ok" : "MISS");
                    for (String s : res.stuck()) {
                        System.out.println("  did not finish within " + TimeUnit.NANOSECONDS.toSeconds(JOIN_NANOS)
                                + " s of the stop: " + s);
                    }
                    System.out.flush();
                    if (lock.equals("rml") && !res.meets()) {
                        rmlMissed = true;
                    }
                }
            }
            for (int k = 0; k < o.locks().size(); k++) {
                Result[] rs = results[k];
                long[] writes = Arrays.stream(rs).mapToLong(Result::writes).sorted().toArray();
                long[] waits = Arrays.stream(rs).mapToLong(Result::maxWaitNanos).sorted().toArray();
                long passing = Arrays.stream(rs).filter(Result::meets).count();
                summaries.add(String.format(Locale.ROOT, "summary lock=%s setting=%s readers=%s writers=%d runs=%d"
                                + " medianWrites=%d medianMaxWaitMs=%.3f writes=%d..%d maxWaitMs=%.3f..%.3f"
                                + " runsMeeting=%d/%d verdict=%s", o.locks().get(k), setting, readers, o.writers(),
                        rs.length, median(writes), ms(median(waits)), writes[0], writes[writes.length - 1],
                        ms(waits[0]), ms(waits[waits.length - 1]), passing, rs.length,
                        passing == rs.length ? "PASS" : "FAIL"));
            }
        }
        for (String s : summaries) {
            System.out.println(s);
        }
        System.out.flush();
        System.exit(o.check() && rmlMissed ? 1 : 0); // exit now: a stuck daemon thread must not keep us alive
    }

    /** The median; of an even count, the lower middle (a figure that was measured, not an average of two). */
    private static long median(long[] sorted) {
        return sorted[(sorted.length - 1) / 2];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
