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
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * heavy() latency of one caller while {@code readers} other threads spin on light(). With the default readers=1
 * this is the setup of the C baseline (run.sh compares the two); readers=1,2,4,16,64 is the scaling curve.
 * Sample mode: the p0.50 row is the median, comparable with the C program's median.
 *
 * <p>{@code -jvmArgsAppend -Dpb.bench.threadsFile=FILE} appends "provider readers threads" (the number of kernel
 * tasks of the forked JVM) to FILE, so that the C baseline can be run with as many threads (the signal barrier
 * signals every one of them).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HeavyBench {
    @Param({"membarrier", "mprotect", "signal"})
    public String provider;

    /** true: the library as shipped; false: every call runs its own system barrier (single-caller overhead). */
    @Param({"true"})
    public boolean coalesce;

    /** Threads spinning on light() besides the caller. */
    @Param({"1"})
    public int readers;

    private ProcessBarrier barrier;
    private SpinningReaders spinning;

    @Setup(Level.Trial)
    public void setup(Pinning pinning) {
        barrier = Barriers.of(provider, coalesce);
        spinning = new SpinningReaders(barrier, readers, pinning.pin);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        String file = System.getProperty("pb.bench.threadsFile");
        if (file != null) {
            Files.writeString(Path.of(file), provider + " " + readers + " " + SpinningReaders.processThreads() + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        spinning.close();
    }

    @Benchmark
    public void heavy(Pinning.Caller caller) {
        barrier.heavy();
    }
}
