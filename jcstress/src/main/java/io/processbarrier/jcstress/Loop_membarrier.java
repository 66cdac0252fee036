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
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * light() as a compiler barrier, where it matters: a reader in a hot loop (the fast path of an asymmetric lock or an
 * RCU reader). Without a compiler barrier C2 may hoist the load of {@code y} out of the loop and sink the stores of
 * {@code x} after it, and then no heavy(), however correct, can make the reader see the writer: see
 * Loop_control_NoLight, which shows exactly that. With light() in the loop, the order must hold ({@link LoopVerdict}).
 */
@JCStressTest
@Description("membarrier, reader loop: for (i..K) { x = i; light(); if (y != 0) break; } | writer y = 1; heavy(); v = x")
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the reader's loop ended before the writer's barrier")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the reader saw y = 1 no later than heavy() allows")
@Outcome(id = "2", expect = FORBIDDEN, desc = "the reader kept missing y after heavy() returned: light() was no compiler barrier, or heavy() no barrier")
@State
public class Loop_membarrier {
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
            B.light();
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
