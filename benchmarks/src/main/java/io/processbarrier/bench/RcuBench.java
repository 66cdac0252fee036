package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.Rcu;
import io.processbarrier.sync.RcuReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * {@link Rcu}: the read side against the read locks a JVM programmer has today, synchronize() against one heavy(),
 * and retire() amortized. Run with {@code -t 1} and {@code -t 2} (benchmarks/run.sh rcu does):
 * <ul>
 *   <li>{@code rcuRead}: {@code try (Rcu.Reader r = rcu.read()) { return value; }} (ns per section, per thread);
 *       {@code rwlRead}: {@code ReentrantReadWriteLock.readLock()} lock+unlock around the same read;
 *       {@code opOrderRead}: Cassandra's {@code OpOrder} pattern, an atomic increment and decrement of one shared
 *       counter per section; {@code baseline}: the read alone; {@code volatileRead}: a volatile reference and a
 *       field through it (the copy-on-write field that needs no Rcu); {@code rcuReadSupplier}: the same section as
 *       {@code rcu.read(() -> value)}; {@code rcuReferenceRead}: {@code RcuReference.read(a -> a[0])}. Run with
 *       {@code ReadMostlyLockBench} for the per-read table of docs/rcu.md ("when to use which"). The stall warnings
 *       add nothing here: {@code rcuRead} measures the same read side as before them.</li>
 *   <li>{@code synchronizeIdle} / {@code heavyIdle}: one synchronize() with no reader, one heavy() of the same
 *       provider.</li>
 *   <li>{@code synchronizeBusy} / {@code heavyBusy} (sample time): the same with two threads in tight read loops
 *       (sections of a few hundred ns); the readers record their longest section (wall time, descheduling included)
 *       to {@code -Dpb.bench.rcuFile}.</li>
 *   <li>{@code retireMillion} (single shot, per object): a million retire() calls and the barrier() that waits for
 *       their reclamation.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RcuBench {
    static final int MILLION = 1_000_000;
    static final Consumer<Object> NOTHING = o -> { };

    /** One Rcu, lock and counter shared by the benchmark threads. */
    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"membarrier"})
        public String provider;

        ProcessBarrier barrier;
        Rcu rcu;
        final Lock readLock = new ReentrantReadWriteLock().readLock();
        final AtomicLong running = new AtomicLong();
        long value = 42;
        /** The plain-Java alternative for heap-only state: a volatile field and the garbage collector. */
        volatile long[] volatileRef = {42};
        RcuReference<long[]> ref;

        @Setup(Level.Trial)
        public void setup() {
            barrier = ProcessBarrier.of(provider);
            rcu = Rcu.create(barrier);
            ref = new RcuReference<>(rcu, new long[] {42}, a -> { });
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            rcu.close();
        }
    }

    /** Two threads in tight read loops on the Rcu, for the whole trial. */
    @State(Scope.Benchmark)
    public static class Busy {
        @Param({"membarrier"})
        public String provider;

        ProcessBarrier barrier;
        Rcu rcu;
        volatile boolean stop;
        final Thread[] readers = new Thread[2];
        final long[] longest = new long[readers.length];
        final long[] sections = new long[readers.length];
        final long[] sinks = new long[readers.length];
        long value = 7;

        @Setup(Level.Trial)
        public void setup() {
            barrier = ProcessBarrier.of(provider);
            rcu = Rcu.create(barrier);
            for (int i = 0; i < readers.length; i++) {
                int k = i;
                readers[i] = new Thread(() -> readLoop(k), "rcu-bench-reader-" + i);
                readers[i].setDaemon(true);
                readers[i].start();
            }
        }

        private void readLoop(int k) {
            long max = 0;
            long n = 0;
            long sink = 0;
            while (!stop) {
                long t0 = System.nanoTime();
                try (Rcu.Reader r = rcu.read()) {
                    for (int i = 0; i < 16; i++) {
                        sink += value;
                        Thread.onSpinWait();
                    }
                }
                long t = System.nanoTime() - t0;
                if (t > max) {
                    max = t;
                }
                n++;
            }
            longest[k] = max; // published by join()
            sinks[k] = sink;
            sections[k] = n;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException, IOException {
            stop = true;
            long max = 0;
            long n = 0;
            for (int i = 0; i < readers.length; i++) {
                readers[i].join(60_000);
                max = Math.max(max, longest[i]);
                n += sections[i];
            }
            rcu.close();
            String file = System.getProperty("pb.bench.rcuFile");
            String line = "provider=" + provider + " readers=" + readers.length + " sections=" + n
                    + " longestSectionNanos=" + max + "\n";
            System.out.print(line);
            if (file != null) {
                Files.writeString(Path.of(file), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
        }
    }

    /** A fresh Rcu per trial for retire(). */
    @State(Scope.Benchmark)
    public static class Retiring {
        @Param({"membarrier"})
        public String provider;

        Rcu rcu;
        final Object object = new Object();

        @Setup(Level.Trial)
        public void setup() {
            rcu = Rcu.create(ProcessBarrier.of(provider));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            rcu.close();
        }
    }

    @Benchmark
    public long baseline(Shared s) {
        return s.value;
    }

    @Benchmark
    public long rcuRead(Shared s) {
        try (Rcu.Reader r = s.rcu.read()) {
            return s.value;
        }
    }

    /** A volatile load of a reference and a field read through it: what a plain copy-on-write field costs. */
    @Benchmark
    public long volatileRead(Shared s) {
        return s.volatileRef[0];
    }

    /** {@code rcuRead} through {@link Rcu#read(java.util.function.Supplier)} (the lambda inlined). */
    @Benchmark
    public long rcuReadSupplier(Shared s) {
        return s.rcu.read(() -> s.value);
    }

    /** {@link RcuReference#read}: a section, the acquire load of the value and a field read through it. */
    @Benchmark
    public long rcuReferenceRead(Shared s) {
        return s.ref.read(a -> a[0]);
    }

    @Benchmark
    public long rwlRead(Shared s) {
        Lock l = s.readLock;
        l.lock();
        try {
            return s.value;
        } finally {
            l.unlock();
        }
    }

    @Benchmark
    public long opOrderRead(Shared s) {
        s.running.incrementAndGet();
        try {
            return s.value;
        } finally {
            s.running.decrementAndGet();
        }
    }

    @Benchmark
    public void synchronizeIdle(Shared s) {
        s.rcu.synchronize();
    }

    @Benchmark
    public void heavyIdle(Shared s) {
        s.barrier.heavy();
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    public void synchronizeBusy(Busy b) {
        b.rcu.synchronize();
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    public void heavyBusy(Busy b) {
        b.barrier.heavy();
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OperationsPerInvocation(MILLION)
    @Warmup(iterations = 3, batchSize = 1)
    @Measurement(iterations = 5, batchSize = 1)
    public void retireMillion(Retiring st) {
        Rcu rcu = st.rcu;
        Object o = st.object;
        for (int i = 0; i < MILLION; i++) {
            rcu.retire(o, NOTHING);
        }
        rcu.barrier();
    }
}
