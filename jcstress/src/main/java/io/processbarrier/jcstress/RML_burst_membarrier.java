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
 * Mutual exclusion of {@code ReadMostlyLock} inside a burst (the flag stays raised between writes, so the writer pays
 * no heavy()): a reader with a record takes the fenced path (its store of active, a full fence, then a volatile load
 * of the writers' claim word), and the writer's side of that Dekker pair is its claim's CAS alone, followed by its
 * volatile loads of active (no fence of its own). A torn pair means the writer missed a reader inside, or the reader
 * missed the claim.
 */
@JCStressTest
@Description("ReadMostlyLock in a burst, reader on the fenced path: reader lock; r1 = x; pause; r2 = y | writer (claim CAS, no heavy) lock; x = 1; y = 1")
@Outcome(id = {"0, 1", "1, 0"}, expect = FORBIDDEN, desc = "a torn pair: the writer wrote while the reader was inside")
@Outcome(id = {"0, 0", "1, 1"}, expect = ACCEPTABLE, desc = "the reader was inside before or after the writer")
@State
public class RML_burst_membarrier {
    /** Class initialisation fails (a test error, never a silent pass) if the provider is unavailable. */
    static final RmlPool POOL = new RmlPool(ProcessBarrier.of("membarrier"));

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
