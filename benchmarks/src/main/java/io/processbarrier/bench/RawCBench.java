package io.processbarrier.bench;

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
import org.openjdk.jmh.annotations.Warmup;

import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The raw C barrier of the C baseline, called through JNI in a JMH fork set up exactly like {@link HeavyBench}'s
 * (the same JVM threads, readers, pinning and timing), so that {@code HeavyBench / RawCBench} is the cost of the
 * library's code alone. The standalone C program (run.sh) is the other baseline: a process whose idle threads are
 * not the JVM's (a signalled JVM thread returns EINTR to HotSpot's wait loop and re-waits; a C thread's futex
 * restarts in the kernel), which makes every signal barrier in a JVM dearer whatever code sends the signals.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RawCBench {
    @Param({"membarrier", "mprotect", "signal"})
    public String provider;

    @Param({"1"})
    public int readers;

    private int op;
    private SpinningReaders spinning;

    @Setup(Level.Trial)
    public void setup(Pinning pinning) {
        op = RawC.op(provider);
        RawC.load();
        RawC.setup(op);
        spinning = new SpinningReaders(VarHandle::acquireFence, readers, pinning.pin); // light(), without a provider
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        spinning.close();
    }

    @Benchmark
    public void heavy(Pinning.Caller caller) {
        RawC.barrier(op);
    }
}
