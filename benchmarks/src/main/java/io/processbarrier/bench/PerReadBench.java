package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;
import io.processbarrier.sync.Rcu;
import io.processbarrier.sync.RcuReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;

/**
 * "When to use which" (README, docs/rcu.md): the cost of one read of a field of the current version, in one run, by
 * every way this library and the JDK offer: a volatile reference, an {@link Rcu} section, {@link RcuReference#read},
 * {@link ReadMostlyLock}'s read lock, {@link StampedLock} optimistic and read, and {@link ReentrantReadWriteLock}.
 * No writer runs: this is the read side alone (a write's cost is in RcuBench and ReadMostlyLockBench). Run with
 * {@code -t 1} and {@code -t 2} (threads share the state).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PerReadBench {
    /** The current version: read through a reference, as a copy-on-write structure would be. */
    static final class Version {
        final long value;

        Version(long value) {
            this.value = value;
        }
    }

    private volatile Version current = new Version(42);
    private Version guarded = new Version(42);
    private Rcu rcu;
    private RcuReference<Version> ref;
    private Lock rmlRead;
    private Lock rrwlRead;
    private final StampedLock stamped = new StampedLock();

    @Setup
    public void setup() {
        ProcessBarrier barrier = SelectedBarrier.get();
        rcu = Rcu.create(barrier);
        ref = new RcuReference<>(rcu, new Version(42), v -> { });
        rmlRead = new ReadMostlyLock(barrier).readLock();
        rrwlRead = new ReentrantReadWriteLock().readLock();
    }

    @TearDown
    public void tearDown() {
        rcu.close();
    }

    @Benchmark
    public long volatileRead() {
        return current.value;
    }

    @Benchmark
    public long rcuSection() {
        return rcu.read(() -> current.value);
    }

    @Benchmark
    public long rcuReferenceRead() {
        return ref.read(v -> v.value);
    }

    @Benchmark
    public long readMostlyLock() {
        Lock l = rmlRead;
        l.lock();
        try {
            return guarded.value;
        } finally {
            l.unlock();
        }
    }

    @Benchmark
    public long stampedOptimistic() {
        StampedLock s = stamped;
        long stamp = s.tryOptimisticRead();
        long v = guarded.value;
        if (!s.validate(stamp)) {
            stamp = s.readLock();
            try {
                v = guarded.value;
            } finally {
                s.unlockRead(stamp);
            }
        }
        return v;
    }

    @Benchmark
    public long stampedRead() {
        StampedLock s = stamped;
        long stamp = s.readLock();
        try {
            return guarded.value;
        } finally {
            s.unlockRead(stamp);
        }
    }

    @Benchmark
    public long reentrantReadWriteLock() {
        Lock l = rrwlRead;
        l.lock();
        try {
            return guarded.value;
        } finally {
            l.unlock();
        }
    }
}
