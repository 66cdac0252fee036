package io.processbarrier.jcstress;

import io.processbarrier.ProcessBarrier;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;

/**
 * Diagnostic (never fails the run): the real membarrier heavy() against a reader that omits light(). It measures how
 * much the store-buffering test can say about light() at all: within one short actor the JIT has little room to
 * reorder, and the writer's microseconds in heavy() cover any reordering of a few instructions. A zero here means
 * the SB tests are weak evidence for light(); the Loop tests are the strong evidence.
 */
@JCStressTest
@Description("diagnostic, membarrier without light(): reader x = 1; r1 = y | writer y = 1; heavy(); r2 = x")
@Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING, desc = "a reader without light() was caught")
@Outcome(id = {"0, 1", "1, 0", "1, 1"}, expect = ACCEPTABLE, desc = "one actor's store reached the other")
@State
public class SB_diag_NoLight {
    static final ProcessBarrier B = ProcessBarrier.of("membarrier");

    int x;
    int y;

    @Actor
    public void reader(II_Result r) {
        x = 1;
        r.r1 = y;
    }

    @Actor
    public void writer(II_Result r) {
        y = 1;
        B.heavy();
        r.r2 = x;
    }
}
