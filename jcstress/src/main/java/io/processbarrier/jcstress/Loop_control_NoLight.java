package io.processbarrier.jcstress;

import io.processbarrier.ProcessBarrier;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;

/**
 * Control for Loop_membarrier: the same loop without light(). Under C2, seeing outcome 2 is the expected result: the
 * JIT hoisted the load or sank the stores, and the real heavy() could not help. That is the evidence that light() must
 * be a compiler barrier, and that Loop_membarrier would catch one that is not. C1 and the interpreter do not move
 * field accesses across loop iterations, so there this control is expected to show nothing (reported, not failed).
 */
@JCStressTest
@Description("control, reader loop without light(): for (i..K) { x = i; if (y != 0) break; } | writer y = 1; heavy(); v = x")
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the reader's loop ended before the writer's barrier")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the reader saw y = 1 no later than heavy() allows")
@Outcome(id = "2", expect = ACCEPTABLE_INTERESTING, desc = "the JIT moved the reader's accesses: a missing compiler barrier was caught")
@State
public class Loop_control_NoLight {
    static final ProcessBarrier B = ProcessBarrier.of("membarrier");

    int x;
    int y;
    int seen;
    int v;
    final int[] sink = new int[16];

    @Actor
    public void reader() {
        int s = 0;
        int[] a = sink;
        for (int i = 1; i <= LoopVerdict.K; i++) {
            x = i;
            a[i & 15] = i;
            if (y != 0) {
                s = i;
                break;
            }
        }
        seen = s;
    }

    @Actor
    public void writer() {
        y = 1;
        B.heavy();
        v = x;
    }

    @Arbiter
    public void arbiter(I_Result r) {
        r.r1 = LoopVerdict.of(seen, v);
    }
}
