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
 * Mutual exclusion of {@code ReadMostlyLock} for a reader without a record of its own (a thread that reads the lock
 * for the first time, as a virtual thread per request does: it counts itself on a stripe, an atomic increment, then
 * looks at the writer) against a writer inside a burst that began with every stripe empty: that writer reads the
 * stripes only if the reader marked them in use after its increment (ReaderStripes' view), a Dekker pair of full
 * fences on both sides. A torn pair means the writer skipped a counted reader.
 */
@JCStressTest
@Description("ReadMostlyLock, reader without a record, writer in a burst that skipped the stripes: reader lock; r1 = x; pause; r2 = y | writer lock; x = 1; y = 1")
@Outcome(id = {"0, 1", "1, 0"}, expect = FORBIDDEN, desc = "a torn pair: the writer skipped a counted reader")
@Outcome(id = {"0, 0", "1, 1"}, expect = ACCEPTABLE, desc = "the reader was inside before or after the writer")
@State
public class RML_rare_membarrier {
    /** Class initialisation fails (a test error, never a silent pass) if the provider is unavailable. */
    static final ProcessBarrier BARRIER = ProcessBarrier.of("membarrier");

    final RmlPool.Trial trial = RmlPool.rareTrial(BARRIER, false);

    @Actor
    public void reader(II_Result r) {
        trial.read(r);
    }

    @Actor
    public void writer() {
        trial.write();
    }
}
