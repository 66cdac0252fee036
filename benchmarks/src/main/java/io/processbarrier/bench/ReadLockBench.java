package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Reader throughput of {@link AsymmetricReadLock}: readers (the JMH threads, 2 by default) enter, read a pair of
 * fields that the writer always updates together, check them and leave; a writer thread takes the lock every
 * {@code writerPeriodMicros} (rare writes: the use case). {@code barrier=membarrier} is the asymmetric lock
 * (light() on entry), {@code barrier=fence} the same code with a full fence on both sides.
 *
 * <p>Every read checks that the pair is consistent; a torn read (a reader inside while the writer writes) fails
 * the trial, so the number is only reported for a lock that worked.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(2)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ReadLockBench {
    @Param({"membarrier", "fence"})
    public String barrier;

    @Param({"1000"})
    public long writerPeriodMicros;

    private AsymmetricReadLock lock;
    private long a;
    private long b;
    private final AtomicLong torn = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private volatile boolean stop;
    private Thread writer;

    @Setup(Level.Trial)
    public void setup(org.openjdk.jmh.infra.BenchmarkParams params) {
        ProcessBarrier pb = ProcessBarrier.of(barrier);
        lock = new AsymmetricReadLock(pb, params.getThreads());
        writer = new Thread(() -> {
            while (!stop) {
                lock.writeLock();
                a++;
                b++;
                lock.writeUnlock();
                writes.incrementAndGet();
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(writerPeriodMicros));
            }
        }, "read-lock-writer");
        writer.setDaemon(true);
        writer.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        stop = true;
        writer.join();
        if (torn.get() != 0) {
            throw new IllegalStateException(torn.get() + " torn reads: the lock let a reader in during a write");
        }
        if (writes.get() == 0) {
            throw new IllegalStateException("the writer never wrote");
        }
    }

    @State(Scope.Thread)
    public static class Reader {
        int index;

        @Setup(Level.Trial)
        public void setup(ThreadParams t) {
            index = t.getThreadIndex();
        }
    }

    @Benchmark
    public long read(Reader r) {
        lock.readLock(r.index);
        long x = a;
        long y = b;
        lock.readUnlock(r.index);
        if (x != y) {
            torn.incrementAndGet();
        }
        return x;
    }
}
