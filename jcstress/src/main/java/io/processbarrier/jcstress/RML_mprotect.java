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

/**
 * Mutual exclusion of {@code ReadMostlyLock} on the {@code mprotect} provider: the writer writes a pair under the write
 * lock, the reader reads it under the read lock (fast path: the pool ends each burst before the trial) and must never
 * see it half written.
 */
@JCStressTest
@Description("ReadMostlyLock on mprotect: reader lock; r1 = x; pause; r2 = y; unlock | writer lock; x = 1; y = 1; unlock")
@Outcome(id = {"0, 1", "1, 0"}, expect = FORBIDDEN, desc = "a torn pair: the reader was inside while the writer wrote")
@Outcome(id = {"0, 0", "1, 1"}, expect = ACCEPTABLE, desc = "the reader was inside before or after the writer")
@State
public class RML_mprotect {
    /** Class initialisation fails (a test error, never a silent pass) if the provider is unavailable. */
    static final RmlPool POOL = new RmlPool(ProcessBarrier.of("mprotect"));

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
