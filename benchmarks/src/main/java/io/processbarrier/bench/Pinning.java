package io.processbarrier.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Whether the benchmark pins its threads ({@link Affinity}): the caller to CPU 0, spinning reader i to CPU (1 + i)
 * mod n, as the C baseline does. Shared by HeavyBench and RawCBench, so that both measure the same setup.
 */
@State(Scope.Benchmark)
public class Pinning {
    @Param({"true"})
    public boolean pin;

    /** The calling thread's pin, once: JMH sets up a thread-scoped state on the benchmark thread that owns it. */
    @State(Scope.Thread)
    public static class Caller {
        @Setup(Level.Trial)
        public void pin(Pinning p) {
            if (p.pin) {
                Affinity.pinCurrentThread(0);
            }
        }
    }
}
