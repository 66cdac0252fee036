package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;

/**
 * Contended writers: W threads loop {@code writeLock().lock(); value++; unlock()} on one lock for a run, with R
 * readers beside looping {@code readLock().lock(); read value; unlock()} (virtual readers yield every 1024 reads,
 * as in {@link WriterProgress}: one that never blocks would keep its carrier), on platform or virtual threads. Not JMH:
 * besides the write throughput (writes per ms of all writers together) it reports how long a thread made no progress
 * at all (the longest stall of any writer and of any reader), which an average would hide, and it needs virtual
 * threads, which JMH's workers are not.
 *
 * <p>Progress is watched without a clock read per operation (two {@code nanoTime()} calls would double the cost of
 * a write here): each thread bumps a counter of its own (an opaque store to its own padded line) after each
 * acquisition, and a watcher thread samples every counter every {@link #SAMPLE_NANOS}; a thread whose counter did
 * not move for the longest time between two moves (or until the end) stalled that long. A stall includes time the
 * thread was not scheduled at all; its resolution is the sampling period.
 *
 * <p>Locks: {@code rml} (ReadMostlyLock on {@link ProcessBarrier#get()}), {@code rrwl} (ReentrantReadWriteLock,
 * default non-fair), {@code fair} (ReentrantReadWriteLock(true)) and {@code stamped} ({@link StampedLock#writeLock()}
 * and {@code readLock()}). They take turns within each round, so that a disturbance of the machine hits them alike.
 * Each run is a JVM of its own (with this JVM's options), warmed up on its lock and setting for 300 ms first, as JMH
 * forks: in one JVM the threads' loop is compiled once for every lock, its {@code lock()} call sites see several
 * receivers, and what the JIT inlines for one lock depends on the others. Measured that way (2 vCPU AMD EPYC,
 * JDK 17, 2026-12-07), {@code ReentrantReadWriteLock} alone wrote 51k/152-166k/145-157k writes/ms with 2/4/8
 * writers, beside {@code rml} in the same JVM 38-44k/91-122k/84-96k.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar io.processbarrier.bench.WriteContention \
 *     [--seconds 1] [--rounds 3] [--writers 2,4,8] [--readers 0,2] [--threads platform,virtual] \
 *     [--locks rml,rrwl,fair,stamped]</pre>
 * One line per run ({@code lock= threads= writers= readers= round= writesPerMs= maxWriterStallMs= maxReaderStallMs=
 * reads=}), then one {@code summary} line per lock and setting with the medians over rounds (writes and reads per
 * ms); {@link Report} judges them (issue 28: rml at least 0.5x rrwl's write throughput with writers alone, at least
 * fair's in every setting, every stall at most 100 ms).
 * Virtual threads need JDK 21+: on an older JDK the setting {@code virtual} prints one line saying it was skipped.
 */
public final class WriteContention {
    /** How often the watcher samples the progress counters. */
    static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** The bound on any thread's wait while writers contend. */
    static final long MAX_STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final List<String> LOCKS = List.of("rml", "rrwl", "fair", "stamped");

    private WriteContention() {
    }

    /** A thread's progress counter, padded on both sides so that threads do not share its line. */
    static final class Progress {
        long p0, p1, p2, p3, p4, p5, p6, p7;
        long count; // opaque: written by its thread only, read by the watcher
        long q0, q1, q2, q3, q4, q5, q6, q7;
    }

    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(Progress.class, "count", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The two sides of a lock under test. */
    record Sides(Lock read, Lock write) {
        static Sides of(String name) {
            return switch (name) {
                case "rml" -> {
                    ReadMostlyLock l = new ReadMostlyLock(ProcessBarrier.get());
                    yield new Sides(l.readLock(), l.writeLock());
                }
                case "rrwl" -> {
                    ReentrantReadWriteLock l = new ReentrantReadWriteLock();
                    yield new Sides(l.readLock(), l.writeLock());
                }
                case "fair" -> {
                    ReentrantReadWriteLock l = new ReentrantReadWriteLock(true);
                    yield new Sides(l.readLock(), l.writeLock());
                }
                case "stamped" -> {
                    StampedLock l = new StampedLock();
                    yield new Sides(l.asReadLock(), l.asWriteLock());
                }
                default -> throw new IllegalArgumentException("unknown lock " + name + ": give one of " + LOCKS);
            };
        }
    }

    /** What one run measured. */
    record Result(long writes, long reads, long nanos, long maxWriterStallNanos, long maxReaderStallNanos) {
        double writesPerMs() {
            return writes / (nanos / 1e6);
        }

        double readsPerMs() {
            return reads / (nanos / 1e6);
        }
    }

    private static final class Shared {
        long value; // plain: the lock orders it
        volatile boolean stop;
    }

    /** One run of {@code writers} writers and {@code readers} readers on a fresh lock for {@code nanos}. */
    static Result run(String lockName, boolean virtual, int writers, int readers, long nanos)
            throws InterruptedException {
        Sides lock = Sides.of(lockName);
        Shared shared = new Shared();
        int all = writers + readers;
        Progress[] progress = new Progress[all];
        CountDownLatch ready = new CountDownLatch(all);
        CountDownLatch go = new CountDownLatch(1);
        long[] sink = new long[all];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < all; i++) {
            Progress p = new Progress();
            progress[i] = p;
            boolean writer = i < writers;
            int me = i;
            Runnable task = () -> {
                ready.countDown();
                awaitUninterruptibly(go);
                long n = 0;
                long sum = 0;
                Lock l = writer ? lock.write() : lock.read();
                do {
                    l.lock();
                    try {
                        if (writer) {
                            shared.value++;
                        } else {
                            sum += shared.value;
                        }
                    } finally {
                        l.unlock();
                    }
                    COUNT.setOpaque(p, ++n);
                    if (!writer && virtual && (n & 1023) == 0) {
                        Thread.yield(); // a virtual reader on the fast path never parks: let the writers have a carrier
                    }
                } while (!shared.stop);
                sink[me] = sum;
            };
            String name = (writer ? "writer-" : "reader-") + i;
            threads.add(virtual ? WriterProgress.VirtualThreads.unstarted(name, task) : daemon(new Thread(task, name)));
        }
        for (Thread t : threads) {
            t.start();
        }
        ready.await();
        long[] last = new long[all];
        long[] lastMove = new long[all];
        long[] maxStall = new long[all];
        long start = System.nanoTime();
        Arrays.fill(lastMove, start);
        go.countDown();
        long end = start + nanos;
        long now;
        while ((now = System.nanoTime()) - end < 0L) {
            LockSupportSleep.sleep(SAMPLE_NANOS);
            now = System.nanoTime();
            for (int i = 0; i < all; i++) {
                long c = (long) COUNT.getOpaque(progress[i]);
                if (c != last[i]) {
                    maxStall[i] = Math.max(maxStall[i], now - lastMove[i]);
                    last[i] = c;
                    lastMove[i] = now;
                }
            }
        }
        long[] atEnd = new long[all];
        for (int i = 0; i < all; i++) {
            atEnd[i] = (long) COUNT.getOpaque(progress[i]);
            maxStall[i] = Math.max(maxStall[i], now - lastMove[i]); // a thread still stuck at the end counts too
        }
        long elapsed = now - start;
        shared.stop = true;
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            if (t.isAlive()) {
                throw new IllegalStateException(lockName + ": " + t.getName() + " did not finish within 30 s of the"
                        + " stop (" + t.getState() + ")");
            }
        }
        long writes = 0;
        long reads = 0;
        long writerStall = 0;
        long readerStall = 0;
        for (int i = 0; i < all; i++) {
            if (i < writers) {
                writes += atEnd[i];
                writerStall = Math.max(writerStall, maxStall[i]);
            } else {
                reads += atEnd[i];
                readerStall = Math.max(readerStall, maxStall[i]);
            }
        }
        return new Result(writes, reads, elapsed, writerStall, readerStall);
    }

    /** Sleeps by parking: the watcher needs no interrupt handling. */
    private static final class LockSupportSleep {
        static void sleep(long nanos) {
            java.util.concurrent.locks.LockSupport.parkNanos(nanos);
        }
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

    // ------------------------------------------------------------------------------------------------ main

    /** The command line, checked. */
    record Options(double seconds, int rounds, List<Integer> writers, List<Integer> readers, List<String> threads,
                   List<String> locks) {
        /** @throws IllegalArgumentException naming the bad option and what it accepts */
        static Options parse(String... args) {
            double seconds = 1;
            int rounds = 3;
            List<Integer> writers = List.of(2, 4, 8);
            List<Integer> readers = List.of(0, 2);
            List<String> threads = List.of("platform", "virtual");
            List<String> locks = LOCKS;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    v = a.substring(eq + 1);
                    a = a.substring(0, eq);
                } else if (i + 1 < args.length) {
                    v = args[++i];
                } else {
                    throw new IllegalArgumentException(a + " needs a value (see the usage)");
                }
                switch (a) {
                    case "--seconds" -> {
                        try {
                            seconds = Double.parseDouble(v);
                        } catch (NumberFormatException e) {
                            seconds = Double.NaN;
                        }
                        if (!(seconds > 0 && seconds <= 600)) {
                            throw new IllegalArgumentException("--seconds " + v + ": give a number, 0 < seconds <= 600");
                        }
                    }
                    case "--rounds" -> rounds = counts(a, v, 1).get(0);
                    case "--writers" -> writers = counts(a, v, 1);
                    case "--readers" -> readers = counts(a, v, 0);
                    case "--threads" -> threads = names(a, v, List.of("platform", "virtual"));
                    case "--locks" -> locks = names(a, v, LOCKS);
                    default -> throw new IllegalArgumentException("unknown option " + a + " (see the usage)");
                }
            }
            return new Options(seconds, rounds, writers, readers, threads, locks);
        }

        private static List<Integer> counts(String option, String v, int min) {
            List<Integer> out = new ArrayList<>();
            for (String s : v.split(",")) {
                int n;
                try {
                    n = Integer.parseInt(s.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(option + " " + v + ": " + s.trim() + " is not a whole number");
                }
                if (n < min || n > 1024) {
                    throw new IllegalArgumentException(option + " " + v + ": give numbers from " + min + " to 1024");
                }
                out.add(n);
            }
            return List.copyOf(out);
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

    private static final String USAGE = "usage: WriteContention [--seconds 1] [--rounds 3] [--writers 2,4,8]"
            + " [--readers 0,2] [--threads platform,virtual] [--locks rml,rrwl,fair,stamped]";

    /** The option that makes this JVM one forked run: {@code --child lock,threads,writers,readers,nanos}. */
    private static final String CHILD = "--child";

    /**
     * One run in a JVM of its own (see the class doc): the same program with {@link #CHILD}, this JVM's options and
     * class path (without {@code JAVA_TOOL_OPTIONS} and {@code JDK_JAVA_OPTIONS} in its environment: this JVM's
     * options include theirs already); its one {@code result} line parsed. Its stdout goes to a file, so that a child
     * printing much (a diagnostic option among the inherited ones) cannot block on a full pipe. A child that has not
     * ended a minute after its run should have is killed, and so is one left behind by an exception here.
     */
    static Result forked(String lock, String kind, int writers, int readers, long nanos)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(WriteContention.class.getName());
        cmd.add(CHILD);
        cmd.add(lock + "," + kind + "," + writers + "," + readers + "," + nanos);
        Path outFile = Files.createTempFile("write-contention-", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(outFile.toFile());
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        int rc;
        List<String> out;
        try {
            Process p = pb.start();
            try {
                boolean ended = p.waitFor(nanos + TimeUnit.MINUTES.toNanos(1), TimeUnit.NANOSECONDS);
                out = Files.readAllLines(outFile, StandardCharsets.UTF_8);
                if (!ended) {
                    throw new IllegalStateException("the forked run of " + lock + " (threads=" + kind + " writers="
                            + writers + " readers=" + readers + ") did not end within a minute after its run: killed;"
                            + " its output: " + out);
                }
                rc = p.exitValue();
            } finally {
                p.destroyForcibly(); // nothing if it ended
            }
        } finally {
            Files.deleteIfExists(outFile);
        }
        for (String line : out) {
            String[] f = line.split(" ");
            if (rc == 0 && f.length == 6 && f[0].equals("result")) {
                return new Result(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                        Long.parseLong(f[4]), Long.parseLong(f[5]));
            }
        }
        throw new IllegalStateException("the forked run of " + lock + " (threads=" + kind + " writers=" + writers
                + " readers=" + readers + ") exited with " + rc + " and no result line: " + out);
    }

    /** The forked side: a warm-up run, then the measured one, printed as one {@code result} line. */
    private static void child(String spec) throws InterruptedException {
        String[] f = spec.split(",");
        String lock = f[0];
        boolean virtual = f[1].equals("virtual");
        int writers = Integer.parseInt(f[2]);
        int readers = Integer.parseInt(f[3]);
        long nanos = Long.parseLong(f[4]);
        run(lock, virtual, writers, readers, Math.min(nanos, TimeUnit.MILLISECONDS.toNanos(300)));
        Result r = run(lock, virtual, writers, readers, nanos);
        System.out.println("result " + r.writes() + " " + r.reads() + " " + r.nanos() + " " + r.maxWriterStallNanos()
                + " " + r.maxReaderStallNanos());
        System.out.flush();
        System.exit(0); // a stuck daemon thread must not keep us alive
    }

    public static void main(String[] args) throws InterruptedException, IOException {
        if (args.length == 2 && args[0].equals(CHILD)) {
            child(args[1]);
            return;
        }
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("WriteContention: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        System.out.printf(Locale.ROOT, "# WriteContention java=%s (%s) cpus=%d seconds=%s rounds=%d barrier=%s%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(), o.seconds(), o.rounds(),
                o.locks().contains("rml") ? ProcessBarrier.get() : "-");
        long nanos = (long) (o.seconds() * 1e9);
        List<String> summaries = new ArrayList<>();
        for (String kind : o.threads()) {
            boolean virtual = kind.equals("virtual");
            if (virtual && !WriterProgress.VirtualThreads.supported()) {
                System.out.println("skipped threads=virtual: " + WriterProgress.VirtualThreads.unsupportedReason());
                continue;
            }
            for (int readers : o.readers()) {
                for (int writers : o.writers()) {
                    Result[][] rs = new Result[o.locks().size()][o.rounds()];
                    for (int r = 0; r < o.rounds(); r++) {
                        for (int k = 0; k < o.locks().size(); k++) {
                            String lock = o.locks().get(k);
                            Result res = forked(lock, kind, writers, readers, nanos);
                            rs[k][r] = res;
                            System.out.printf(Locale.ROOT, "lock=%s threads=%s writers=%d readers=%d round=%d"
                                            + " writesPerMs=%.1f maxWriterStallMs=%.1f maxReaderStallMs=%.1f reads=%d%n",
                                    lock, kind, writers, readers, r + 1, res.writesPerMs(),
                                    res.maxWriterStallNanos() / 1e6, res.maxReaderStallNanos() / 1e6, res.reads());
                            System.out.flush();
                        }
                    }
                    for (int k = 0; k < o.locks().size(); k++) {
                        Result[] x = rs[k];
                        double[] w = Arrays.stream(x).mapToDouble(Result::writesPerMs).sorted().toArray();
                        double[] rd = Arrays.stream(x).mapToDouble(Result::readsPerMs).sorted().toArray();
                        long ws = Arrays.stream(x).mapToLong(Result::maxWriterStallNanos).max().orElse(0);
                        long rst = Arrays.stream(x).mapToLong(Result::maxReaderStallNanos).max().orElse(0);
                        summaries.add(String.format(Locale.ROOT, "summary lock=%s threads=%s writers=%d readers=%d"
                                        + " rounds=%d medianWritesPerMs=%.1f writesPerMs=%.1f..%.1f"
                                        + " maxWriterStallMs=%.1f maxReaderStallMs=%.1f medianReadsPerMs=%.1f",
                                o.locks().get(k), kind, writers, readers, x.length, w[(w.length - 1) / 2], w[0],
                                w[w.length - 1], ws / 1e6, readers == 0 ? 0.0 : rst / 1e6, rd[(rd.length - 1) / 2]));
                    }
                }
            }
        }
        for (String s : summaries) {
            System.out.println(s);
        }
        System.out.flush();
        System.exit(0); // a stuck daemon thread must not keep us alive
    }
}
