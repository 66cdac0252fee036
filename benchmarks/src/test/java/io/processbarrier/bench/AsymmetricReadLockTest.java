package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read lock the benchmark measures excludes its writer (so its throughput is that of a working lock): two
 * readers and a writer hammer it for half a second, and no reader ever sees a half-written pair.
 */
class AsymmetricReadLockTest {
    long a;
    long b;

    @ParameterizedTest
    @ValueSource(strings = {"membarrier", "fence"})
    void readersNeverSeeAHalfWrittenPair(String provider) throws Exception {
        AsymmetricReadLock lock = new AsymmetricReadLock(ProcessBarrier.of(provider), 2);
        AtomicLong torn = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        long end = System.nanoTime() + 500_000_000L;
        Thread[] readers = new Thread[2];
        for (int r = 0; r < 2; r++) {
            final int index = r;
            readers[r] = new Thread(() -> {
                long n = 0;
                while (System.nanoTime() < end) {
                    lock.readLock(index);
                    long x = a;
                    long y = b;
                    lock.readUnlock(index);
                    if (x != y) {
                        torn.incrementAndGet();
                    }
                    n++;
                }
                reads.addAndGet(n);
            });
            readers[r].start();
        }
        while (System.nanoTime() < end) {
            lock.writeLock();
            a++;
            Thread.onSpinWait(); // widen the window in which a reader that got in would see a != b
            b++;
            lock.writeUnlock();
            writes.incrementAndGet();
            if ((writes.get() & 7) == 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000); // let the readers in now and then
            }
        }
        for (Thread t : readers) {
            t.join();
        }
        assertEquals(0, torn.get(), "torn reads with " + provider + " (" + reads + " reads, " + writes + " writes)");
        assertTrue(reads.get() > 100 && writes.get() > 100, reads + " reads, " + writes + " writes");
    }
}
