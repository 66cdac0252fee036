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
 * Control of the {@code RML_*} tests: the same trial on a {@code ReadMostlyLock} whose writer drains no reader (its
 * registry of reader records is emptied before each trial, see {@link RmlPool}): a lock that does not exclude readers.
 * The torn pair must show, or the zeros of the RML tests in the same run prove nothing: it shows that the trial's
 * reader and writer do overlap in time on this machine and that the pair check catches the overlap. (A writer that
 * only skips {@code heavy()} was tried first: on x86_64 its own full fences (mutex, volatile store of the flag) leave
 * a window of a few nanoseconds, and about 3 million trials under load never hit it; the store-buffering power of
 * the run is shown by SB_control_NoBarrier and SB_control_FenceOneSide.)
 */
@JCStressTest
@Description("control, ReadMostlyLock whose writer drains no reader: reader lock; r1 = x; pause; r2 = y | writer lock; x = 1; y = 1")
@Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE_INTERESTING, desc = "a torn pair: the broken lock let a reader in during a write")
@Outcome(id = {"0, 0", "1, 1"}, expect = ACCEPTABLE, desc = "the reader was inside before or after the writer")
@State
public class RML_control_NoDrain {
    static final RmlPool POOL = new RmlPool(ProcessBarrier.of("membarrier"), true);

    final RmlPool.Trial trial = POOL.next();

    @Actor
    public void reader(II_Result r) {
        trial.read(r);
    }

    @Actor
    public void writer() {
        trial.write();
    }
}
