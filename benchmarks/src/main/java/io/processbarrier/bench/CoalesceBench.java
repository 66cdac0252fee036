package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import org.openjdk.jmh.annotations.AuxCounters;
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

/**
 * Many writers at once: 8 threads call heavy() in a loop (on 2 CPUs here). The primary score is completed heavy()
 * calls per second; the auxiliary counters {@code calls} and {@code barriers} are the heavy() calls and the system
 * barriers run in the same window, so {@code barriers / calls} is the number of system barriers per completed call
 * (1 without coalescing). Compare {@code coalesce=true} with {@code coalesce=false}. {@code readers=1} adds a thread
 * spinning on light(), which every system barrier then has to interrupt (as in a real read-mostly program).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(8)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CoalesceBench {
    @Param({"membarrier"})
    public String provider;

    @Param({"true", "false"})
    public boolean coalesce;

    /** Threads spinning on light() besides the callers (0: the callers alone, as in the issue). */
    @Param({"0"})
    public int readers;

    ProcessBarrier barrier;
    private SpinningReaders spinning;

    @Setup(Level.Trial)
    public void setup() {
        barrier = Barriers.of(provider, coalesce);
        spinning = new SpinningReaders(barrier, readers);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        spinning.close();
    }

    /** Per-thread counts, summed by JMH over the threads ("events": totals per iteration, not rates). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Counts {
        public long calls;
        public long barriers;
        private boolean first;
        private long startBarriers;

        @Setup(Level.Iteration)
        public void start(CoalesceBench b, ThreadParams t) {
            calls = 0;
            barriers = 0;
            first = t.getThreadIndex() == 0;
            startBarriers = Barriers.executed(b.barrier);
        }

        @TearDown(Level.Iteration)
        public void end(CoalesceBench b) {
            if (!b.coalesce) {
                barriers = calls; // by construction: each call runs its own (the library does not count them then)
            } else {
                // the process-wide count, reported once (by thread 0) so that JMH's sum over threads is the total
                barriers = first ? Barriers.executed(b.barrier) - startBarriers : 0;
            }
        }
    }

    @Benchmark
    public void heavy(Counts c) {
        barrier.heavy();
        c.calls++;
    }
}
