package io.processbarrier.bench;

import io.processbarrier.spi.AsymmetricBarrier;
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
 * AsymmetricBarrier adds (its two full fences, and with coalescing on the uncontended protocol) to every call.
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

    private AsymmetricBarrier barrier;

    static final class Nothing extends AsymmetricBarrier {
        @Override
        protected void barrier() {
        }

        @Override
        public String name() {
            return "nothing";
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        System.setProperty(AsymmetricBarrier.COALESCE_PROPERTY, String.valueOf(coalesce));
        barrier = new Nothing();
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
