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
 * Control of {@link RML_burst_membarrier}: the same trial inside a burst on a lock whose writer drains no reader (its
 * registry of reader records is emptied before each trial). The torn pair must show, or the zeros of
 * RML_burst_membarrier in the same run prove nothing: it shows that a reader on the fenced path and a writer of the
 * burst do overlap in time on this machine, and that the pair check catches it.
 */
@JCStressTest
@Description("control, ReadMostlyLock in a burst whose writer drains no reader: reader lock; r1 = x; pause; r2 = y | writer lock; x = 1; y = 1")
@Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE_INTERESTING, desc = "a torn pair: the broken lock let a reader in during a write")
@Outcome(id = {"0, 0", "1, 1"}, expect = ACCEPTABLE, desc = "the reader was inside before or after the writer")
@State
public class RML_control_BurstNoDrain {
    static final RmlPool POOL = new RmlPool(ProcessBarrier.of("membarrier"), true);

    final RmlPool.Trial trial = POOL.nextInBurst();

    @Actor
    public void reader(II_Result r) {
        trial.read(r);
    }

    @Actor
    public void writer() {
        trial.write();
    }
}
