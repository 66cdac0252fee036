package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read lock the benchmark measures excludes its writer (so its throughput is that of a working lock): two
 * readers and a writer hammer it for half a second, and no reader ever sees a half-written pair. The controls run the
 * same hammer against broken locks, and it must see torn pairs there: the test can tell a lock from no lock.
 */
class AsymmetricReadLockTest {
    /** Generous bound on one run's join: a hang fails with a message instead of stalling the build. */
    private static final long JOIN_MILLIS = TimeUnit.SECONDS.toMillis(60);

    /** The operations the hammer drives: the real lock, or a broken one (controls). */
    interface Lock {
        void readLock(int reader);

        void readUnlock(int reader);

        void writeLock();

        void writeUnlock();
    }

    /** What a run saw: torn pairs, and how much work was done (a run without work would prove nothing). */
    record Outcome(long torn, long reads, long writes) {
        @Override
        public String toString() {
            return torn + " torn of " + reads + " reads, " + writes + " writes";
        }
    }

    long a;
    long b;

    @ParameterizedTest
    @ValueSource(strings = {"membarrier", "fence"})
    void readersNeverSeeAHalfWrittenPair(String provider) throws Exception {
        Outcome o = hammer(real(new AsymmetricReadLock(ProcessBarrier.of(provider), 2)), 500);
        assertEquals(0, o.torn(), provider + ": " + o);
        assertTrue(o.reads() > 100 && o.writes() > 100, provider + ": too little work to mean anything: " + o);
    }

    /** Control: a writer that announces itself but never waits for the readers inside. */
    @Test
    void controlAWriterThatDoesNotWaitForReadersIsCaught() throws Exception {
        AsymmetricReadLock lock = new AsymmetricReadLock(ProcessBarrier.of("fence"), 2);
        Outcome o = hammerUntilTorn(new Lock() {
            @Override
            public void readLock(int reader) {
                lock.readLock(reader);
            }

            @Override
            public void readUnlock(int reader) {
                lock.readUnlock(reader);
            }

            @Override
            public void writeLock() {
                // no writer flag, no heavy(), no wait: readers walk in while the pair is half written
            }

            @Override
            public void writeUnlock() {
            }
        });
        assertTrue(o.torn() > 0, "the hammer did not catch a lock without exclusion: " + o);
    }

    /** Control: readers that never look at the writer's flag (the writer waits, but only for readers already in). */
    @Test
    void controlReadersThatIgnoreTheWriterAreCaught() throws Exception {
        AsymmetricReadLock lock = new AsymmetricReadLock(ProcessBarrier.of("fence"), 2);
        Outcome o = hammerUntilTorn(new Lock() {
            @Override
            public void readLock(int reader) {
                VarHandle.acquireFence(); // no slot and no check of the writer: only ordering, as a forgetful lock
            }

            @Override
            public void readUnlock(int reader) {
                VarHandle.releaseFence();
            }

            @Override
            public void writeLock() {
                lock.writeLock();
            }

            @Override
            public void writeUnlock() {
                lock.writeUnlock();
            }
        });
        assertTrue(o.torn() > 0, "the hammer did not catch readers that ignore the writer: " + o);
    }

    private static Lock real(AsymmetricReadLock lock) {
        return new Lock() {
            @Override
            public void readLock(int reader) {
                lock.readLock(reader);
            }

            @Override
            public void readUnlock(int reader) {
                lock.readUnlock(reader);
            }

            @Override
            public void writeLock() {
                lock.writeLock();
            }

            @Override
            public void writeUnlock() {
                lock.writeUnlock();
            }
        };
    }

    /** A broken lock is caught within a few runs (each as long as the real test's); gives up after ten. */
    private Outcome hammerUntilTorn(Lock lock) throws Exception {
        Outcome o = null;
        for (int run = 0; run < 10 && (o == null || o.torn() == 0); run++) {
            o = hammer(lock, 500);
        }
        return o;
    }

    private Outcome hammer(Lock lock, long millis) throws Exception {
        a = 0;
        b = 0;
        AtomicLong torn = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
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
            }, "pb-reader-" + r);
            readers[r].setDaemon(true);
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
            t.join(JOIN_MILLIS);
            assertTrue(!t.isAlive(), t.getName() + " still running " + JOIN_MILLIS + " ms after the end: a hang");
        }
        return new Outcome(torn.get(), reads.get(), writes.get());
    }
}
