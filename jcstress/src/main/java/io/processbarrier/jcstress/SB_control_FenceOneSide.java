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
 * Control: a full fence on the writer's side only, which is what a heavy() that fences the caller but fails to reach the
 * other threads would amount to. Seeing (0, 0) is the expected result: the run could catch such a barrier (as long as
 * it is fast; see SB_diag_SlowFenceOneSide).
 */
@JCStressTest
@Description("control, fence on one side: reader x = 1; r1 = y | writer y = 1; fullFence(); r2 = x")
@Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING, desc = "store buffering observed: the run can catch a barrier that only fences its caller")
@Outcome(id = {"0, 1", "1, 0", "1, 1"}, expect = ACCEPTABLE, desc = "one actor's store reached the other")
@State
public class SB_control_FenceOneSide {
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
        VarHandle.fullFence();
        r.r2 = x;
    }
}
