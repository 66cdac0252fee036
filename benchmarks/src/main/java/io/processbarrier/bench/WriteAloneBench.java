package io.processbarrier.bench;

import io.processbarrier.sync.ReadMostlyLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One thread's write lock, {@code lock(); counter++; unlock()}, on {@link ReadMostlyLock} ({@code rml}, inside the
 * burst its first write starts) and on {@link ReentrantReadWriteLock} ({@code rrwl}, non-fair), each in JVMs of its
 * own: the uncontended write that bounds issue 28's ratio with writers alone (a burst of writes runs at one thread's
 * speed), like for like. {@code ReadMostlyLockBench.writeInBurst} measures {@code rml} only, without the counter.
 * Run by hand: {@code java -jar benchmarks/target/benchmarks.jar WriteAloneBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class WriteAloneBench {
    @Param({"rml", "rrwl"})
    public String lock;
    private Lock write;
    private long counter;

    @Setup
    public void setup() {
        write = switch (lock) {
            case "rml" -> new ReadMostlyLock(SelectedBarrier.get()).writeLock();
            case "rrwl" -> new ReentrantReadWriteLock().writeLock();
            default -> throw new IllegalArgumentException("lock: give rml or rrwl, not " + lock);
        };
    }

    @Benchmark
    public long write() {
        write.lock();
        try {
            return ++counter;
        } finally {
            write.unlock();
        }
    }
}
