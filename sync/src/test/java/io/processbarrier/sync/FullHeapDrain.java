package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Child JVM of {@link ReadMostlyLockFaultTest} (run with a small heap, {@code -XX:-UseTLAB}, stall warnings on as by
 * default): a writer waits for a reader with the heap full, and a {@link HeapHog} taking whatever comes free. The
 * writer's wait parks once its spin is over, and makes its stall watch then (a message: heap). The reader leaves only
 * once the writer is parked; the writer must then hold the lock, with no error. The same cycle runs once first with
 * the heap free and no hog (every call site on the path run once: Java links some on first use, which allocates).
 * Prints {@code full} (whether a 24-byte allocation failed once the hog had filled the heap), {@code wrote} (the
 * writer held the lock), {@code writerError} (what its {@code lock()} threw, or null) and any thread that died.
 */
public final class FullHeapDrain {
    private FullHeapDrain() {
    }

    public static void main(String[] args) throws Exception {
        UncaughtRecord.install();
        ProcessBarrier.get().name(); // the selection over (background since issue 29)
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get());
        cycle(lock, false); // the warm-up, the heap free
        Object[] r = cycle(lock, true);
        System.out.println("full=" + r[0]);
        System.out.println("wrote=" + r[1]);
        System.out.println("writerError=" + r[2]);
        UncaughtRecord.print();
    }

    /** Returns whether the heap was full, whether the writer held the lock, and what its lock() threw. */
    private static Object[] cycle(ReadMostlyLock lock, boolean fill) throws Exception {
        HeapHog hog = fill ? HeapHog.begin() : null; // threads first: a thread is made of heap
        Reader reader = new Reader(lock);
        reader.start();
        if (!reader.inside.await(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the reader never took the read lock");
        }
        Writer writer = new Writer(lock);
        writer.start();
        boolean full = hog != null && hog.fillUp(); // the heap full, from this thread too
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        writer.go = true;
        // the premise: the writer's wait for the reader parked (getState allocates nothing)
        while (writer.getState() != Thread.State.TIMED_WAITING && !writer.done) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("the writer never parked");
            }
            Thread.onSpinWait();
        }
        reader.leave = true;
        LockSupport.unpark(reader);
        while (!writer.done && System.nanoTime() - end < 0) {
            LockSupport.parkNanos(1_000_000L);
        }
        if (hog != null) {
            hog.release();
        }
        writer.join();
        reader.join();
        Throwable e = writer.error;
        return new Object[] {full, writer.wrote, e == null ? null : e.getClass().getName()};
    }

    /** Holds the read lock until told to leave (parked: nothing allocated to wait or to leave). */
    private static final class Reader extends Thread {
        private final ReadMostlyLock lock;
        final CountDownLatch inside = new CountDownLatch(1);
        volatile boolean leave;

        Reader(ReadMostlyLock lock) {
            super("reader");
            setDaemon(true);
            this.lock = lock;
        }

        @Override
        public void run() {
            lock.readLock().lock();
            try {
                inside.countDown();
                while (!leave) {
                    LockSupport.park(this);
                }
            } finally {
                lock.readLock().unlock();
            }
        }
    }

    /** Takes the write lock once told to go (spinning until then: it is started before the heap is full). */
    private static final class Writer extends Thread {
        private final ReadMostlyLock lock;
        volatile boolean go;
        volatile boolean done;
        volatile boolean wrote;
        volatile Throwable error;

        Writer(ReadMostlyLock lock) {
            super("writer");
            setDaemon(true);
            this.lock = lock;
        }

        @Override
        public void run() {
            while (!go) {
                Thread.onSpinWait();
            }
            try {
                lock.writeLock().lock();
                wrote = true;
                lock.writeLock().unlock();
            } catch (Throwable t) {
                error = t;
            } finally {
                done = true;
            }
        }
    }
}
