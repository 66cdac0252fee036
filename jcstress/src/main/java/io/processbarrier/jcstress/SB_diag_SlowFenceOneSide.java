package io.processbarrier.jcstress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.lang.invoke.VarHandle;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;

/**
 * Diagnostic (never fails the run): a fake heavy() that fences the caller and then waits as long as a real one
 * (about 10 µs here) without reaching any other thread. On x86 a store leaves the store buffer within far less than
 * that, so (0, 0) is expected to stay unseen: the store-buffering test cannot tell a slow barrier that does nothing
 * from a working one. What the provider tests do prove is that heavy() is not a fast no-op and that light() keeps the
 * reader's order; that a provider really reaches every thread rests on its mechanism (IPIs) and its own tests.
 */
@JCStressTest
@Description("diagnostic, fence on one side plus a 10 us wait: reader x = 1; light(); r1 = y | writer y = 1; fullFence(); wait; r2 = x")
@Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING, desc = "a slow barrier that does nothing was caught")
@Outcome(id = {"0, 1", "1, 0", "1, 1"}, expect = ACCEPTABLE, desc = "one actor's store reached the other")
@State
public class SB_diag_SlowFenceOneSide {
    static final long WAIT_NANOS = 10_000;

    int x;
    int y;

    @Actor
    public void reader(II_Result r) {
        x = 1;
        VarHandle.acquireFence(); // what light() is
        r.r1 = y;
    }

    @Actor
    public void writer(II_Result r) {
        y = 1;
        VarHandle.fullFence();
        long end = System.nanoTime() + WAIT_NANOS;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        r.r2 = x;
    }
}
