package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;
import io.processbarrier.sync.Rcu;
import io.processbarrier.sync.RcuReference;

import javax.management.ObjectName;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;

/**
 * Issue 27's thread per request: N new threads, each of which does one read and ends, per way of reading, in one JVM
 * and interleaved round by round, each round in another order (see {@link #rotated}): a {@code volatile} read, an
 * {@link AtomicReference}, {@link ReentrantReadWriteLock}'s read lock, {@link StampedLock}'s read lock, an
 * {@link Rcu} section ({@code read(Supplier)}), {@link RcuReference#read} and {@link ReadMostlyLock}'s read lock.
 * Virtual threads ({@code newVirtualThreadPerTaskExecutor}, JDK 21+) and
 * platform threads (a pool of 2 x CPUs, created anew each round, so that thread ids move on and each pool thread reads
 * N / pool times). Prints one line per round and a summary: the median per-thread cost of rounds 1.. (round 0 warms
 * up), its ratio to the same program with {@code ReentrantReadWriteLock}, the median over rounds of the ratio within
 * each round ({@code pairedRatioToRrwl}: the one judged, see {@link #main}), the collector's time per round and the
 * heap left after a full collection.
 *
 * <pre>
 *   java -cp benchmarks.jar io.processbarrier.bench.ThreadPerRequest [threads=300000] [rounds=5]
 *   java -cp benchmarks.jar io.processbarrier.bench.ThreadPerRequest churn=10000000
 * </pre>
 * {@code churn=M}: the soak instead: M virtual threads (platform where there are none) that each read once through all
 * three constructs, then a full collection and the class histogram's lines of {@code io.processbarrier} classes: what
 * the library retains is bounded by the live threads (none here) and its stripes, not by M.
 */
public final class ThreadPerRequest {
    private static volatile Object field = new Object();
    private static final AtomicReference<Object> ATOMIC = new AtomicReference<>(new Object());
    private static final ReentrantReadWriteLock RRWL = new ReentrantReadWriteLock();
    private static final StampedLock STAMPED = new StampedLock();
    private static Rcu rcu;
    private static RcuReference<Object> ref;
    private static ReadMostlyLock rml;
    static volatile Object sink;

    private ThreadPerRequest() {
    }

    static Map<String, Runnable> variants() {
        Map<String, Runnable> m = new LinkedHashMap<>();
        m.put("volatile", () -> sink = field);
        m.put("atomicReference", () -> sink = ATOMIC.get());
        m.put("reentrantReadWriteLock", () -> {
            Lock l = RRWL.readLock();
            l.lock();
            try {
                sink = field;
            } finally {
                l.unlock();
            }
        });
        m.put("stampedLock", () -> {
            long s = STAMPED.readLock();
            try {
                sink = field;
            } finally {
                STAMPED.unlockRead(s);
            }
        });
        m.put("rcuSection", () -> sink = rcu.read(() -> field));
        m.put("rcuReference", () -> sink = ref.read(v -> v));
        m.put("readMostlyLock", () -> {
            Lock l = rml.readLock();
            l.lock();
            try {
                sink = field;
            } finally {
                l.unlock();
            }
        });
        return m;
    }

    /**
     * Runs the rounds. The judged ratio is paired: each round's cost of a read over the same round's cost with
     * {@code ReentrantReadWriteLock}, the median over rounds. The ratio of medians drifts with what the machine does
     * between rounds: in four runs of the same jar (2 vCPU AMD EPYC, Temurin 25, 300,000 virtual threads, 9 rounds) a
     * plain {@code volatile} read came out at 0.82x to 1.43x of ReentrantReadWriteLock that way.
     */
    public static void main(String[] args) throws Exception {
        int threads = 300_000;
        int rounds = 5;
        long churn = 0;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("ThreadPerRequest: " + a + ": give threads=N, rounds=N or churn=N");
            }
            long v = Long.parseLong(kv[1]);
            switch (kv[0]) {
                case "threads": threads = (int) v; break;
                case "rounds": rounds = (int) v; break;
                case "churn": churn = v; break;
                default: throw new IllegalArgumentException("ThreadPerRequest: unknown " + kv[0]);
            }
        }
        ProcessBarrier b = SelectedBarrier.get();
        rcu = Rcu.shared(); // after SelectedBarrier.get(): the shared Rcu has the selected barrier
        ref = new RcuReference<>(rcu, new Object(), o -> { });
        rml = new ReadMostlyLock(b);
        System.out.println("# ThreadPerRequest: barrier=" + b.name() + " java=" + Runtime.version()
                + " cpus=" + Runtime.getRuntime().availableProcessors());
        if (churn > 0) {
            churn(churn);
            return;
        }
        Map<String, Runnable> vs = variants();
        for (boolean virtual : new boolean[] {true, false}) {
            if (virtual && virtualExecutor() == null) {
                System.out.println("# virtual threads need JDK 21+: skipped");
                continue;
            }
            String kind = virtual ? "virtual" : "platform";
            Map<String, List<Double>> per = new LinkedHashMap<>();
            Map<String, List<Double>> gc = new LinkedHashMap<>();
            Map<String, Long> heap = new LinkedHashMap<>();
            Map<String, List<Double>> paired = new LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                Map<String, Double> round = new LinkedHashMap<>();
                for (Map.Entry<String, Runnable> e : rotated(vs, r)) {
                    long gc0 = gcMillis();
                    long t0 = System.nanoTime();
                    runThreads(virtual, threads, e.getValue());
                    long t1 = System.nanoTime();
                    long gcMs = gcMillis() - gc0;
                    double ns = (t1 - t0) / (double) threads;
                    System.out.printf("kind=%s variant=%s round=%d nsPerThread=%.1f gcMillis=%d%n", kind, e.getKey(), r,
                            ns, gcMs);
                    if (r > 0) {
                        per.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(ns);
                        gc.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add((double) gcMs);
                    }
                    round.put(e.getKey(), ns);
                    if (r == rounds - 1) {
                        heap.put(e.getKey(), heapAfterGc());
                    }
                }
                if (r > 0) {
                    double rrwl = round.get("reentrantReadWriteLock");
                    round.forEach((k, ns) -> paired.computeIfAbsent(k, x -> new ArrayList<>()).add(ns / rrwl));
                }
            }
            double base = median(per.get("reentrantReadWriteLock"));
            for (String k : per.keySet()) {
                double m = median(per.get(k));
                System.out.printf("summary kind=%s variant=%s medianNsPerThread=%.1f ratioToRrwl=%.2f"
                        + " pairedRatioToRrwl=%.2f medianGcMillis=%.0f heapAfterGcKB=%d%n", kind, k, m, m / base,
                        median(paired.get(k)), median(gc.get(k)), heap.get(k) / 1024);
            }
        }
    }

    /**
     * The variants in round {@code r}'s order: the list rotated by {@code r}, so that over the rounds each variant runs
     * at each position (after each other variant's garbage and threads). In a fixed order two variants with the same
     * read path ({@code rcuSection} and {@code rcuReference}) came out 1.27x and 1.01x of ReentrantReadWriteLock in
     * one quiet run (2 vCPU AMD EPYC, Temurin 25, fixed order): their positions differed, their reads did not.
     */
    static List<Map.Entry<String, Runnable>> rotated(Map<String, Runnable> vs, int r) {
        List<Map.Entry<String, Runnable>> l = new ArrayList<>(vs.entrySet());
        java.util.Collections.rotate(l, -(r % l.size()));
        return l;
    }

    private static void runThreads(boolean virtual, int n, Runnable task) throws Exception {
        ExecutorService ex = virtual ? virtualExecutor()
                : Executors.newFixedThreadPool(2 * Runtime.getRuntime().availableProcessors());
        for (int i = 0; i < n; i++) {
            ex.execute(task);
        }
        ex.shutdown();
        if (!ex.awaitTermination(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("threads did not end within 10 minutes");
        }
    }

    /** {@code Executors.newVirtualThreadPerTaskExecutor()} (JDK 21+), or null. */
    static ExecutorService virtualExecutor() {
        try {
            Method m = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
            return (ExecutorService) m.invoke(null);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    private static long gcMillis() {
        long t = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, g.getCollectionTime());
        }
        return t;
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length == 0 ? Double.NaN : a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static void churn(long m) throws Exception {
        boolean virtual = virtualExecutor() != null;
        Runnable once = () -> {
            Lock l = rml.readLock();
            l.lock();
            try {
                sink = field;
            } finally {
                l.unlock();
            }
            sink = rcu.read(() -> field);
            sink = ref.read(v -> v);
        };
        long t0 = System.nanoTime();
        long done = 0;
        while (done < m) {
            int batch = (int) Math.min(1_000_000, m - done);
            runThreads(virtual, batch, once);
            done += batch;
        }
        long t1 = System.nanoTime();
        System.out.printf("churn threads=%d kind=%s nsPerThread=%.1f heapAfterGcKB=%d%n", m, virtual ? "virtual"
                : "platform(pool)", (t1 - t0) / (double) m, heapAfterGc() / 1024);
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        for (String line : histogram.split("\n")) {
            if (line.contains("io.processbarrier") || line.contains("java.lang.VirtualThread ")
                    || line.contains("java.lang.Thread ")) {
                System.out.println("histogram " + line.trim());
            }
        }
    }
}
