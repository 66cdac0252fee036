package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProviderStatus;
import io.processbarrier.internal.support.DeferredBarrier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The reader's cost: light() against an empty method and against VarHandle.fullFence().
 *
 * <p>Two shapes, each identical but for the one call: the reader's side of the store-buffering pattern
 * ({@code x = 1; <barrier>; return y}, what a read lock does on entry; the returned value goes to JMH's blackhole),
 * and the bare call. The barrier is in a {@code static final} field, as the library recommends, so the JIT inlines
 * light() to its fence; the "empty" variant calls an empty method that the JIT inlines the same way. Nothing
 * is eliminated differently: the store and the load stay in all three (a field of the state object, which escapes).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class LightBench {
    /** membarrier if it is available here, else the first asymmetric provider: light() is the same final method. */
    static final ProcessBarrier BARRIER = asymmetric();
    /**
     * What the first get() of a JVM returns when its selection is still running (issue 29), after the selection:
     * its light() reads one field more than {@link #BARRIER}'s, for good (kept in a static final field too).
     */
    static final ProcessBarrier DEFERRED = settled(BARRIER);

    static ProcessBarrier settled(ProcessBarrier selected) {
        DeferredBarrier d = new DeferredBarrier(() -> { }, () -> true);
        d.settle(selected);
        return d;
    }

    int x;
    int y;
    volatile int vx;
    volatile int vy;

    private static final VarHandle X;
    private static final VarHandle Y;

    static {
        try {
            X = MethodHandles.lookup().findVarHandle(LightBench.class, "x", int.class);
            Y = MethodHandles.lookup().findVarHandle(LightBench.class, "y", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static ProcessBarrier asymmetric() {
        for (ProviderStatus s : ProcessBarrier.providers()) {
            if (s.available() && s.name().equals("membarrier")) {
                return ProcessBarrier.of(s.name());
            }
        }
        for (ProviderStatus s : ProcessBarrier.providers()) {
            if (s.available() && ProcessBarrier.of(s.name()).isAsymmetric()) {
                return ProcessBarrier.of(s.name());
            }
        }
        throw new IllegalStateException("no asymmetric provider available: " + ProcessBarrier.providers());
    }

    @CompilerControl(CompilerControl.Mode.INLINE)
    static void empty() {
    }

    @Benchmark
    public int sbEmpty() {
        x = 1;
        empty();
        return y;
    }

    @Benchmark
    public int sbLight() {
        x = 1;
        BARRIER.light();
        return y;
    }

    @Benchmark
    public int sbFullFence() {
        x = 1;
        VarHandle.fullFence();
        return y;
    }

    /** The README's reader: an opaque store, light(), an opaque load. What the library recommends. */
    @Benchmark
    public int readerOpaqueLight() {
        X.setOpaque(this, 1);
        BARRIER.light();
        return (int) Y.getOpaque(this);
    }

    /** The README's reader through the barrier the first get() returned before its selection was over. */
    @Benchmark
    public int readerOpaqueDeferredLight() {
        X.setOpaque(this, 1);
        DEFERRED.light();
        return (int) Y.getOpaque(this);
    }

    /** The same reader with a full fence instead (the symmetric way, what fence gives). */
    @Benchmark
    public int readerOpaqueFullFence() {
        X.setOpaque(this, 1);
        VarHandle.fullFence();
        return (int) Y.getOpaque(this);
    }

    /** The mistake the README's old example made: volatile fields pay a full fence at every volatile store. */
    @Benchmark
    public int readerVolatileLight() {
        vx = 1;
        BARRIER.light();
        return vy;
    }

    @Benchmark
    public void bareEmpty() {
        empty();
    }

    @Benchmark
    public void bareLight() {
        BARRIER.light();
    }

    @Benchmark
    public void bareFullFence() {
        VarHandle.fullFence();
    }
}
