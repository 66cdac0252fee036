package io.processbarrier.bench;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness behind {@code benchmarks/run.sh progress} still runs: a short window on the JDK's lock does reads and
 * writes and ends every thread. No timing is asserted: each reader reads and each writer writes at least once
 * whatever the scheduling (the loops test the stop flag after their work), so the counts prove the loops ran.
 */
class WriterProgressTest {
    @Test
    void shortRunOnReentrantReadWriteLockReadsAndWrites() throws InterruptedException {
        ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        WriterProgress.Result r = WriterProgress.run(lock, 0, 2, 1, 1024, TimeUnit.MILLISECONDS.toNanos(300));
        assertTrue(r.stuck().isEmpty(), () -> "threads did not finish: " + r.stuck());
        assertTrue(r.writes() > 0, () -> "no write: " + r);
        assertTrue(r.reads() >= 2, () -> "fewer reads than readers: " + r);
        assertTrue(r.maxWaitNanos() >= r.p99WaitNanos(), () -> "p99 above the maximum: " + r);
        assertEquals(0, lock.getReadLockCount(), "a read hold left behind");
        assertTrue(!lock.isWriteLocked(), "the write lock left held");
    }

    @Test
    void histogramBucketsBoundTheirValues() {
        for (long v : new long[] {0, 1, 63, 64, 65, 127, 128, 1000, 123_456_789L, 3_000_000_000L, Long.MAX_VALUE}) {
            int b = WriterProgress.Histogram.bucket(v);
            assertTrue(WriterProgress.Histogram.upper(b) >= v, "upper bound of the bucket of " + v);
            assertTrue(b == 0 || WriterProgress.Histogram.upper(b - 1) < v, "previous bucket of " + v);
        }
        WriterProgress.Histogram h = new WriterProgress.Histogram();
        for (int i = 1; i <= 1000; i++) {
            h.record(i * 1000L);
        }
        long p99 = h.quantile(0.99);
        assertTrue(p99 >= 990_000L && p99 <= 990_000L * 65 / 64, "p99 " + p99);
        assertEquals(1_000_000L, h.max);
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WriterProgress.Options.parse("--locks", "rml,stamped"));
        assertTrue(e.getMessage().contains("stamped") && e.getMessage().contains("rrwl"), e.getMessage());
        WriterProgress.Options o = WriterProgress.Options.parse("--runs=3", "--settings", "platform", "--check");
        assertEquals(3, o.runs());
        assertEquals(java.util.List.of("platform"), o.settings());
        assertTrue(o.check());
    }
}
