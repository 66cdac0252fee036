package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;
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
import org.openjdk.jmh.annotations.Warmup;

import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;

/**
 * {@link ReadMostlyLock} against the JDK's locks, guarding a {@link HashMap} of 1024 entries: 999 reads
 * ({@code get}) for every write ({@code put} replacing the value of an existing key, so the map never changes shape
 * and an optimistic read can never crash in it). {@code read} is the mixed operation, run by 1, 2 and 8 JMH threads
 * (run.sh passes {@code -t}); its throughput counts every operation of every thread (ops/µs).
 * {@code lock}: {@code rml} (ReadMostlyLock on {@link ProcessBarrier#get()}), {@code rrwl}
 * (ReentrantReadWriteLock, non-fair), {@code stamped} ({@link StampedLock#readLock()}), {@code optimistic}
 * ({@link StampedLock#tryOptimisticRead()}, retried under the read lock when validation fails) and
 * {@code synchronized} (one monitor for reads and writes).
 *
 * <p>The write side, one thread: {@code writeCold} is an uncontended write lock+unlock at the start of a burst (the
 * set-up waits out the burst window and lets reads lower the flag, so the write pays its {@code heavy()}),
 * {@code writeInBurst} the same inside a burst, and {@code heavy} one {@link ProcessBarrier#heavy()} of the same
 * barrier, hot ({@code heavy}) and after the same set-up as {@code writeCold} ({@code heavyCold}: a sleep wakes the
 * thread on a cold CPU, which costs both the same). Target: {@code writeCold} at most 2x {@code heavyCold}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ReadMostlyLockBench {
    static final int KEYS = 1024;
    /** Write-path warm-up rounds of the write benchmarks (above C2's invocation thresholds). */
    static final int WRITE_WARMUP = 20_000;

    @Param({"rml", "rrwl", "stamped", "optimistic", "synchronized"})
    public String lock;

    /** One write per this many operations of each thread: 1000 is 0.1% writes. */
    @Param({"1000"})
    public int writeEvery;

    /**
     * ReadMostlyLock's burst window (ns): how long after the last write readers stay on the fenced path before they
     * go back to the fast path. 1 ms is the default of the public constructors; other values reach the
     * package-private constructor by reflection (a knob for experiments, not API).
     */
    @Param({"1000000"})
    public long rmlWindowNanos;

    private final Map<Integer, Integer> map = new HashMap<>();
    private final Object monitor = new Object();
    private ReadMostlyLock rml;
    private Lock rmlRead;
    private Lock rmlWrite;
    private final ReentrantReadWriteLock rrwl = new ReentrantReadWriteLock();
    private final StampedLock stamped = new StampedLock();
    private ProcessBarrier barrier;

    @Setup(Level.Trial)
    public void setup() {
        for (int i = 0; i < KEYS; i++) {
            map.put(i, i);
        }
        barrier = SelectedBarrier.get();
        rml = newLock(barrier, rmlWindowNanos);
        rmlRead = rml.readLock();
        rmlWrite = rml.writeLock();
    }

    static ReadMostlyLock newLock(ProcessBarrier barrier, long windowNanos) {
        if (windowNanos == 1_000_000L) {
            return new ReadMostlyLock(barrier);
        }
        try {
            java.lang.reflect.Constructor<ReadMostlyLock> c =
                    ReadMostlyLock.class.getDeclaredConstructor(ProcessBarrier.class, long.class);
            c.setAccessible(true);
            return c.newInstance(barrier, windowNanos);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot set the burst window of ReadMostlyLock", e);
        }
    }

    /** Each thread's own position in the key space and operation count. */
    @State(Scope.Thread)
    public static class Cursor {
        int n;
    }

    @Benchmark
    public Integer read(Cursor c) {
        int n = ++c.n;
        Integer key = n & (KEYS - 1);
        if (n % writeEvery == 0) {
            write(key, n);
            return null;
        }
        switch (lock) {
            case "rml":
                rmlRead.lock();
                try {
                    return map.get(key);
                } finally {
                    rmlRead.unlock();
                }
            case "rrwl":
                rrwl.readLock().lock();
                try {
                    return map.get(key);
                } finally {
                    rrwl.readLock().unlock();
                }
            case "stamped": {
                long s = stamped.readLock();
                try {
                    return map.get(key);
                } finally {
                    stamped.unlockRead(s);
                }
            }
            case "optimistic": {
                long s = stamped.tryOptimisticRead();
                Integer v = map.get(key);
                if (stamped.validate(s)) {
                    return v;
                }
                s = stamped.readLock();
                try {
                    return map.get(key);
                } finally {
                    stamped.unlockRead(s);
                }
            }
            case "synchronized":
                synchronized (monitor) {
                    return map.get(key);
                }
            default:
                throw new IllegalArgumentException("unknown lock " + lock);
        }
    }

    private void write(Integer key, int value) {
        switch (lock) {
            case "rml":
                rmlWrite.lock();
                try {
                    map.put(key, value);
                } finally {
                    rmlWrite.unlock();
                }
                break;
            case "rrwl":
                rrwl.writeLock().lock();
                try {
                    map.put(key, value);
                } finally {
                    rrwl.writeLock().unlock();
                }
                break;
            case "stamped":
            case "optimistic": {
                long s = stamped.writeLock();
                try {
                    map.put(key, value);
                } finally {
                    stamped.unlockWrite(s);
                }
                break;
            }
            case "synchronized":
                synchronized (monitor) {
                    map.put(key, value);
                }
                break;
            default:
                throw new IllegalArgumentException("unknown lock " + lock);
        }
    }

    // ---- the write side (one thread; only meaningful with lock=rml)

    /**
     * Brings {@code lock}'s write path to C2. A cold write runs a few hundred times a second (a sleep each), so JMH's
     * warm-up alone leaves it in C1's profiled code for most of the run (-XX:+PrintCompilation: acquireWrite reached
     * C2 only in the 4th measured iteration), and a longer write path then looks slower than it is once compiled.
     * Warms both branches the measured writes take: the burst's first write (raises the flag, pays heavy()) and a
     * write inside a burst; endBurst() lowers the flag as the 256th fenced read would.
     */
    static void warmWrites(ReadMostlyLock lock) throws ReflectiveOperationException {
        Method endBurst = ReadMostlyLock.class.getDeclaredMethod("endBurst");
        endBurst.setAccessible(true);
        for (int i = 0; i < WRITE_WARMUP; i++) {
            lock.writeLock().lock();
            lock.writeLock().unlock();
            lock.writeLock().lock();
            lock.writeLock().unlock();
            lock.readLock().lock();
            lock.readLock().unlock();
            endBurst.invoke(lock);
        }
    }

    /** The write side's state: its own lock, brought back to "no burst" before each cold write. */
    @State(Scope.Thread)
    public static class Writer {
        ReadMostlyLock lock;
        ProcessBarrier barrier;

        @Setup(Level.Trial)
        public void setup() throws ReflectiveOperationException {
            barrier = SelectedBarrier.get();
            lock = new ReadMostlyLock(barrier);
            warmWrites(lock);
        }

        /** One write lock+unlock: what the write benchmarks measure. */
        void write() {
            lock.writeLock().lock();
            lock.writeLock().unlock();
        }

        /** After a 2 ms sleep (more than the 1 ms window), 512 reads: fenced ones lower the flag by the 256th. */
        void sleepThenRead(boolean writeFirst) throws InterruptedException {
            Thread.sleep(2);
            if (writeFirst) {
                write(); // raises the flag (a heavy(), not measured); the window runs from here
            }
            for (int i = 0; i < 512; i++) {
                lock.readLock().lock();
                lock.readLock().unlock();
            }
        }
    }

    /** Ends the burst of the previous invocation: the window passes, then fenced reads lower the flag. */
    @State(Scope.Thread)
    public static class ColdWriter extends Writer {
        @Setup(Level.Invocation)
        public void endBurst() throws InterruptedException {
            sleepThenRead(false);
        }
    }

    /**
     * The same set-up as {@link ColdWriter} (a sleep, then reads), but a write first keeps the burst going, so the
     * measured write pays no {@code heavy()}: what the rest of a cold write costs.
     */
    @State(Scope.Thread)
    public static class ColdWriterInBurst extends Writer {
        @Setup(Level.Invocation)
        public void keepBurst() throws InterruptedException {
            sleepThenRead(true);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void writeColdInBurst(ColdWriterInBurst w) {
        w.write();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void writeCold(ColdWriter w) {
        w.write();
    }

    /** heavy() after the same set-up as {@link #writeCold} (a sleep, then reads): the fair reference for it. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void heavyCold(ColdWriter w) {
        w.barrier.heavy();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void writeInBurst(Writer w) {
        w.write();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void heavy(Writer w) {
        w.barrier.heavy();
    }
}
