package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The reader's cost in nanoseconds, without JMH: the reader's side of the store-buffering pattern
 * ({@code store x; <barrier>; load y}) in a loop, with nothing, with {@code light()} and with
 * {@code VarHandle.fullFence()} as the barrier. The accesses are opaque so that the JIT keeps one store and one
 * load per iteration in every variant (a plain load would be hoisted out of the empty loop and flatter it). The best
 * of several rounds, interleaved; the benchmarks module measures the same with JMH ({@code LightBench}).
 *
 * <p>Every iteration also reads a volatile flag that is never set, as JMH's measurement loop reads its {@code isDone}
 * after each call: a load that the fence must hold back in every iteration. Without it the loop hides the fence. On
 * this project's machine (2 vCPU AMD EPYC, Firecracker, Linux 6.18, JDK 17, shared and loaded), three doctor runs
 * each, alternated: without the flag fullFence 0.52-0.53 ns against light() 0.28 ns (1.9x; issue 30 saw 0.57 ns),
 * with it 1.87-2.89 ns against 0.32-0.33 ns (5.8-9.0x); JMH's {@code LightBench} in the same hour: sbFullFence 1.8 ns,
 * sbLight 0.56 ns. The flag itself costs about 0.04 ns per iteration, the same in every variant.
 */
final class LightCost {
    private static final VarHandle X;
    private static final VarHandle Y;

    static {
        try {
            X = MethodHandles.lookup().findVarHandle(LightCost.class, "x", int.class);
            Y = MethodHandles.lookup().findVarHandle(LightCost.class, "y", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through X
    private int x;
    @SuppressWarnings("unused") // through Y
    private int y;
    private volatile int vx;
    private volatile int vy;
    /** Never set: read once per iteration of every loop, as JMH reads {@code isDone} (see the class comment). */
    private volatile boolean stop;

    final double emptyNanos;
    final double lightNanos;
    final double fullFenceNanos;
    /** The same reader with volatile fields: what the README warns against (a full fence at every volatile store). */
    final double volatileLightNanos;

    private LightCost(double emptyNanos, double lightNanos, double fullFenceNanos, double volatileLightNanos) {
        this.emptyNanos = emptyNanos;
        this.lightNanos = lightNanos;
        this.fullFenceNanos = fullFenceNanos;
        this.volatileLightNanos = volatileLightNanos;
    }

    /** @param progress called with 0..1 as the rounds go */
    static LightCost measure(ProcessBarrier b, int rounds, int iterations, java.util.function.DoubleConsumer progress) {
        LightCost c = new LightCost(0, 0, 0, 0);
        long sink = 0;
        double e = Double.MAX_VALUE;
        double l = Double.MAX_VALUE;
        double f = Double.MAX_VALUE;
        double v = Double.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            sink += c.empty(iterations);
            long t1 = System.nanoTime();
            sink += c.light(b, iterations);
            long t2 = System.nanoTime();
            sink += c.fence(iterations / 4);
            long t3 = System.nanoTime();
            sink += c.volatileLight(b, iterations / 4);
            long t4 = System.nanoTime();
            if (r > 0) { // round 0 warms up the JIT
                e = Math.min(e, (double) (t1 - t0) / iterations);
                l = Math.min(l, (double) (t2 - t1) / iterations);
                f = Math.min(f, (double) (t3 - t2) / (iterations / 4));
                v = Math.min(v, (double) (t4 - t3) / (iterations / 4));
            }
            progress.accept((r + 1.0) / rounds);
        }
        if (sink == 42) { // keeps the loops' results alive
            System.err.print("");
        }
        return new LightCost(e, l, f, v);
    }

    private long empty(int n) {
        long s = 0;
        for (int i = 0; i < n && !stop; i++) { // volatile read: JMH's isDone
            X.setOpaque(this, i);
            s += (int) Y.getOpaque(this);
        }
        return s;
    }

    private long light(ProcessBarrier b, int n) {
        long s = 0;
        for (int i = 0; i < n && !stop; i++) { // volatile read: JMH's isDone
            X.setOpaque(this, i);
            b.light();
            s += (int) Y.getOpaque(this);
        }
        return s;
    }

    private long volatileLight(ProcessBarrier b, int n) {
        long s = 0;
        for (int i = 0; i < n && !stop; i++) { // volatile read: JMH's isDone
            vx = i;
            b.light();
            s += vy;
        }
        return s;
    }

    private long fence(int n) {
        long s = 0;
        for (int i = 0; i < n && !stop; i++) { // volatile read: JMH's isDone
            X.setOpaque(this, i);
            VarHandle.fullFence();
            s += (int) Y.getOpaque(this);
        }
        return s;
    }
}
