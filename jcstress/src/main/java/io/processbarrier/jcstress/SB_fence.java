package io.processbarrier.jcstress;

import io.processbarrier.ProcessBarrier;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/** Store buffering (Dekker) with the {@code fence} provider: the contract of {@link ProcessBarrier#heavy()}. */
@JCStressTest
@Description("fence: reader x = 1; light(); r1 = y | writer y = 1; heavy(); r2 = x")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "each actor missed the other's store: the fence barrier did not order them")
@Outcome(id = {"0, 1", "1, 0", "1, 1"}, expect = ACCEPTABLE, desc = "one actor's store reached the other")
@State
public class SB_fence {
    /** Class initialisation fails (a test error, never a silent pass) if the provider is unavailable. */
    static final ProcessBarrier B = ProcessBarrier.of("fence");

    int x;
    int y;

    @Actor
    public void reader(II_Result r) {
        x = 1;
        B.light();
        r.r1 = y;
    }

    @Actor
    public void writer(II_Result r) {
        y = 1;
        B.heavy();
        r.r2 = x;
    }
}
