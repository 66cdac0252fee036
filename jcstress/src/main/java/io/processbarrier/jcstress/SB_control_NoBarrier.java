package io.processbarrier.jcstress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;

/**
 * Control: the store-buffering pattern with no barrier at all. Seeing (0, 0) here is the expected result: it shows that
 * this run, on this machine, could have caught a barrier that does nothing. If it never shows, the zeros of the
 * provider tests in the same run mean nothing (run.sh reports the run as inconclusive).
 */
@JCStressTest
@Description("control, no barrier: reader x = 1; r1 = y | writer y = 1; r2 = x")
@Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING, desc = "store buffering observed: the run has the power to catch a missing barrier")
@Outcome(id = {"0, 1", "1, 0", "1, 1"}, expect = ACCEPTABLE, desc = "one actor's store reached the other")
@State
public class SB_control_NoBarrier {
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
        r.r2 = x;
    }
}
