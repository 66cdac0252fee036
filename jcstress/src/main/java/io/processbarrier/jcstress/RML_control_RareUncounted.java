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
 * Control of {@link RML_rare_membarrier}: the same trial on a lock whose writers never read the stripes (a lock that
 * does not exclude readers without a record). The torn pair must show, or the zeros of RML_rare_membarrier in the
 * same run prove nothing.
 */
@JCStressTest
@Description("control, ReadMostlyLock whose writers skip the stripes: reader (no record) lock; r1 = x; pause; r2 = y | writer lock; x = 1; y = 1")
@Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE_INTERESTING, desc = "a torn pair: the broken lock let a reader in during a write")
@Outcome(id = {"0, 0", "1, 1"}, expect = ACCEPTABLE, desc = "the reader was inside before or after the writer")
@State
public class RML_control_RareUncounted {
    static final ProcessBarrier BARRIER = ProcessBarrier.of("membarrier");

    final RmlPool.Trial trial = RmlPool.rareTrial(BARRIER, true);

    @Actor
    public void reader(II_Result r) {
        trial.read(r);
    }

    @Actor
    public void writer() {
        trial.write();
    }
}
