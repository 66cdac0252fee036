package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read lock the benchmark measures excludes its writer (so its throughput is that of a working lock): two
 * readers and a writer hammer it for half a second (and longer, until each side did enough work, on a loaded machine),
 * and no reader ever sees a half-written pair. The controls run the same hammer against broken locks until it sees
 * torn pairs there, within a generous bound: the test can tell a lock from no lock.
 */
class AsymmetricReadLockTest {
    /** Generous bound on one run's join: a hang fails with a message instead of stalling the build. */
    private static final long JOIN_MILLIS = TimeUnit.SECONDS.toMillis(60);
    /** Reads and writes one run makes at the least, all while the other side runs. */
    private static final long MIN_WORK = 1000;
    /** How long a run, or a control's runs together, may take on a loaded machine. */
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(120);

    /** The operations the hammer drives: the real lock, or a broken one (controls), side by side. */
    record Lock(IntConsumer readLock, IntConsumer readUnlock, Runnable writeLock, Runnable writeUnlock) {
        static Lock of(AsymmetricReadLock l) {
            return new Lock(l::readLock, l::readUnlock, l::writeLock, l::writeUnlock);
        }
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
        Outcome o = hammer(Lock.of(new AsymmetricReadLock(ProcessBarrier.of(provider), 2)), 500);
        assertEquals(0, o.torn(), provider + ": " + o);
        assertTrue(o.reads() >= MIN_WORK && o.writes() >= MIN_WORK, provider + ": too little work to mean anything: "
                + o);
    }

    /** Control: a writer that never announces itself nor waits for the readers inside (no flag, no heavy()). */
    @Test
    void controlAWriterThatDoesNotWaitForReadersIsCaught() throws Exception {
        Lock real = Lock.of(new AsymmetricReadLock(ProcessBarrier.of("fence"), 2));
        Outcome o = hammerUntilTorn(new Lock(real.readLock(), real.readUnlock(), () -> { }, () -> { }));
        assertTrue(o.torn() > 0, "the hammer did not catch a lock without exclusion: " + o);
    }

    /** Control: readers that only order their accesses, with no slot and no look at the writer's flag. */
    @Test
    void controlReadersThatIgnoreTheWriterAreCaught() throws Exception {
        Lock real = Lock.of(new AsymmetricReadLock(ProcessBarrier.of("fence"), 2));
        Outcome o = hammerUntilTorn(new Lock(r -> VarHandle.acquireFence(), r -> VarHandle.releaseFence(),
                real.writeLock(), real.writeUnlock()));
        assertTrue(o.torn() > 0, "the hammer did not catch readers that ignore the writer: " + o);
    }

    /** A broken lock is caught within a few runs (each as long as the real test's); gives up after BOUND_NANOS. */
    private Outcome hammerUntilTorn(Lock lock) throws Exception {
        long start = System.nanoTime();
        Outcome o = null;
        while (o == null || o.torn() == 0 && System.nanoTime() - start < BOUND_NANOS) {
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
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(2);
        AtomicLong[] done = {new AtomicLong(), new AtomicLong()}; // each reader's reads so far
        Thread[] readers = new Thread[2];
        for (int r = 0; r < 2; r++) {
            final int index = r;
            readers[r] = new Thread(() -> {
                long n = 0;
                running.countDown();
                while (!stop.get()) {
                    lock.readLock().accept(index);
                    long x = a;
                    long y = b;
                    lock.readUnlock().accept(index);
                    if (x != y) {
                        torn.incrementAndGet();
                    }
                    done[index].lazySet(++n); // an ordered store: no fence in the reader's loop
                }
                reads.addAndGet(n);
            }, "pb-reader-" + r);
            readers[r].setDaemon(true);
            readers[r].start();
        }
        // the writer's window starts once both readers run, and lasts `millis` and until both sides did MIN_WORK
        assertTrue(running.await(JOIN_MILLIS, TimeUnit.MILLISECONDS), "the readers did not start");
        long start = System.nanoTime();
        long min = TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            while (System.nanoTime() - start < min || writes.get() < MIN_WORK || done[0].get() < MIN_WORK
                    || done[1].get() < MIN_WORK) {
                if (System.nanoTime() - start > BOUND_NANOS) {
                    break; // the caller's premise check reports the shortfall
                }
                lock.writeLock().run();
                a++;
                Thread.onSpinWait(); // widen the window in which a reader that got in would see a != b
                b++;
                lock.writeUnlock().run();
                writes.incrementAndGet();
                if ((writes.get() & 7) == 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000); // let the readers in now and then
                }
            }
        } finally {
            stop.set(true);
        }
        for (Thread t : readers) {
            t.join(JOIN_MILLIS);
            assertTrue(!t.isAlive(), t.getName() + " still running " + JOIN_MILLIS + " ms after the end: a hang");
        }
        return new Outcome(torn.get(), reads.get(), writes.get());
    }
}
