package io.processbarrier.bench;

import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.spi.Availability;
import io.processbarrier.spi.ProcessBarrierProvider;
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

import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The fixed cost of heavy() around the system barrier, in nanoseconds, with a barrier() that does nothing: what
 * the api adds (its two full fences, and with coalescing on the uncontended protocol) to every call.
 * {@code fences} is the two full fences alone, for reference.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class OverheadBench {
    @Param({"true", "false"})
    public boolean coalesce;

    private AsymmetricProcessBarrier barrier;

    static final class Nothing implements ProcessBarrierProvider {
        @Override
        public void barrier() {
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Availability probe() {
            return Availability.available("nothing");
        }

        @Override
        public String name() {
            return "nothing";
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        barrier = new AsymmetricProcessBarrier(new Nothing(), coalesce);
        if (barrier.isCoalescing() != coalesce) {
            throw new IllegalStateException("coalescing switch not applied");
        }
    }

    @Benchmark
    public void heavyWithEmptyBarrier() {
        barrier.heavy();
    }

    @Benchmark
    public void fences() {
        VarHandle.fullFence();
        VarHandle.fullFence();
    }
}
