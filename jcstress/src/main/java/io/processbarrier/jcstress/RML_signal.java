package io.processbarrier.jcstress;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Mutual exclusion of {@link ReadMostlyLock} on the {@code signal} provider: the writer writes a pair under the write
 * lock, the reader reads it under the read lock (fast path: the pool ends each burst before the trial) and must never
 * see it half written.
 */
@JCStressTest
@Description("ReadMostlyLock on signal: reader lock; r1 = x; pause; r2 = y; unlock | writer lock; x = 1; y = 1; unlock")
@Outcome(id = {"0, 1", "1, 0"}, expect = FORBIDDEN, desc = "a torn pair: the reader was inside while the writer wrote")
@Outcome(id = {"0, 0", "1, 1"}, expect = ACCEPTABLE, desc = "the reader was inside before or after the writer")
@State
public class RML_signal {
    /** Class initialisation fails (a test error, never a silent pass) if the provider is unavailable. */
    static final RmlPool POOL = new RmlPool(ProcessBarrier.of("signal"));

    final ReadMostlyLock lock = POOL.next();
    int x;
    int y;

    @Actor
    public void reader(II_Result r) {
        lock.readLock().lock();
        try {
            r.r1 = x;
            RmlPool.pause();
            r.r2 = y;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Actor
    public void writer() {
        lock.writeLock().lock();
        try {
            x = 1;
            y = 1;
        } finally {
            lock.writeLock().unlock();
        }
    }
}
