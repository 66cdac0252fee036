package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;
import io.processbarrier.sync.Rcu;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

/**
 * Issue 27 item 4, the hardware floor: a read section around one load through a thread's own handle
 * ({@link Rcu#local()}, {@link ReadMostlyLock#localReadLock()}) against the load alone, and the lookup-based sections
 * beside them. Its C counterpart is {@code urcusection.c} (liburcu memb, inlined), run by {@code run.sh local} in the
 * same minute; the report compares the cost each adds to the load. The load is a volatile load of a field of the
 * current version (a plain mov on x86), as the C program's.
 *
 * <p>Two shapes of the same work: one section per benchmark call ({@code load}, {@code rcuLocal}, ...: JMH's own
 * loop around it, a call and a result each), and {@link #LOOP} sections in a loop inside one call, the C program's
 * shape ({@code loadLoop}, {@code rcuLocalLoop}, {@code rmlLocalReadLockLoop}: the sum of the loads is returned, as
 * the C program sums them). The first is how a caller that reads once per request sees it, the second how a worker
 * that reads in a loop does, and the one whose added cost compares with liburcu's like for like.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LocalBench {
    /** The current version, reached through a volatile reference as a copy-on-write structure would be. */
    static final class Version {
        final long value;

        Version(long value) {
            this.value = value;
        }
    }

    private volatile Version current = new Version(42);
    private Rcu rcu;
    private Rcu.Local local;
    private ReadMostlyLock rml;
    private Lock localRead;
    private Lock read;

    @Setup
    public void setup() {
        ProcessBarrier b = SelectedBarrier.get();
        rcu = Rcu.create(b);
        local = rcu.local();
        rml = new ReadMostlyLock(b);
        localRead = rml.localReadLock();
        read = rml.readLock();
    }

    @TearDown
    public void tearDown() {
        rcu.close();
    }

    @Benchmark
    public long load() {
        return current.value;
    }

    @Benchmark
    public long rcuLocal() {
        Rcu.Local l = local;
        l.enter();
        try {
            return current.value;
        } finally {
            l.exit();
        }
    }

    /** Sections per call of the loop benchmarks, as the C program's inner loop (its count is larger: no JMH there). */
    static final int LOOP = 1024;

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long loadLoop() {
        long sum = 0;
        for (int i = 0; i < LOOP; i++) {
            sum += current.value;
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long rcuLocalLoop() {
        Rcu.Local l = local;
        long sum = 0;
        for (int i = 0; i < LOOP; i++) {
            l.enter();
            try {
                sum += current.value;
            } finally {
                l.exit();
            }
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long rmlLocalReadLockLoop() {
        Lock l = localRead;
        long sum = 0;
        for (int i = 0; i < LOOP; i++) {
            l.lock();
            try {
                sum += current.value;
            } finally {
                l.unlock();
            }
        }
        return sum;
    }

    @Benchmark
    public long rcuRead() {
        return rcu.read(() -> current.value);
    }

    @Benchmark
    public long rmlLocalReadLock() {
        Lock l = localRead;
        l.lock();
        try {
            return current.value;
        } finally {
            l.unlock();
        }
    }

    @Benchmark
    public long rmlReadLock() {
        Lock l = read;
        l.lock();
        try {
            return current.value;
        } finally {
            l.unlock();
        }
    }
}
