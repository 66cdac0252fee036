package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Child JVM of {@link RcuRetireFaultTest} (run with a small heap, {@code -XX:-UseTLAB}): the heap is full of retired
 * objects, and only their callbacks can free it. The retire thread is kept in a callback of the batch before while the
 * main thread fills the heap with arrays it retires (reachable from the retire stack only). Then a hog, as an
 * application under memory pressure, takes every byte that comes free, and the retire thread is let go: it must take
 * that stack, end a grace period and run the callbacks with no heap at all. The same cycle runs once first with the
 * heap free and no hog (so that every call site on the path has run once: Java links some on first use, which
 * allocates). Prints {@code full} (whether a 24-byte allocation of this thread failed once the hog had filled the heap),
 * {@code retired}, {@code freed} (callbacks run within 30 s of letting the thread go), {@code freedMs},
 * {@code hogArrays} (what the hog took), {@code gpFailures} (grace periods of the retire thread that failed, in the
 * full cycle) and any thread that died.
 *
 * <p>With the argument {@code reader}, a thread is inside a read section when the retire thread is let go, and
 * leaves it only once the retire thread's grace period has parked waiting for it (stall warnings on, as by default:
 * a watch of the wait is made at its first park, and its message is built then), so the grace period waits on the
 * full heap.
 */
public final class FullHeapOfRetired {
    private static final AtomicInteger FREED = new AtomicInteger();
    /** Dropped only after the wait, so that printing works whatever the retire thread did. */
    private static Object[] reserve;

    private FullHeapOfRetired() {
    }

    public static void main(String[] args) throws Exception {
        UncaughtRecord.install();
        ProcessBarrier.get().name(); // the selection over (background since issue 29): the Rcu gets the selected one
        Rcu rcu = Rcu.create(ProcessBarrier.get());
        boolean reader = args.length > 0 && args[0].equals("reader");
        cycle(rcu, false, reader); // the warm-up, the heap free
        long failedBefore = rcu.retiredBatchFailures();
        long[] r = cycle(rcu, true, reader);
        long gpFailures = rcu.retiredBatchFailures() - failedBefore;
        System.out.println("full=" + (r[0] == 1));
        System.out.println("retired=" + r[1]);
        System.out.println("freed=" + r[2]);
        System.out.println("freedMs=" + r[3]);
        System.out.println("hogArrays=" + r[4]);
        System.out.println("gpFailures=" + gpFailures);
        rcu.barrier();
        System.out.println("pending=" + rcu.callbacksPending());
        UncaughtRecord.print();
    }

    /** Returns whether the heap was full (1), how many arrays were retired and freed, the ms and the hog's count. */
    private static long[] cycle(Rcu rcu, boolean fill, boolean reader) throws Exception {
        HeapHog hog = fill ? HeapHog.begin() : null; // before the heap is full: a thread is made of heap
        reserve = new Object[1 << 18]; // 1 MiB
        FREED.set(0);
        RetireGate gate = RetireGate.hold(rcu);
        Holder holder = reader ? Holder.enter(rcu) : null;
        int retired = 0; // without fill: 100 small arrays, the same path
        for (int size = 1 << 20; size > 0 && (fill || retired < 100); ) {
            try {
                rcu.retire(new Object[fill ? size : 16], FullHeapOfRetired::free); // the array, its node: may fail
                retired++;
            } catch (OutOfMemoryError e) {
                size >>= 1;
            }
        }
        boolean full = hog != null && hog.fillUp(); // the hog takes the garbage of failed retires too
        long start = System.nanoTime();
        gate.open(); // the thread takes the stack of arrays: the only memory there is to free
        long end = start + TimeUnit.SECONDS.toNanos(30);
        if (holder != null) {
            // the premise: its grace period parked, waiting for the holder (getState allocates nothing)
            while (gate.retireThread().getState() != Thread.State.TIMED_WAITING) {
                if (System.nanoTime() - end > 0) {
                    throw new AssertionError("the retire thread never parked");
                }
                Thread.onSpinWait();
            }
            holder.leave();
        }
        while (FREED.get() < retired && System.nanoTime() - end < 0) {
            LockSupport.parkNanos(1_000_000L);
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        int freed = FREED.get();
        long held = hog == null ? 0 : hog.release();
        reserve = null;
        return new long[] {full ? 1 : 0, retired, freed, took, held};
    }

    private static void free(Object array) {
        FREED.incrementAndGet();
    }

    /** A thread inside a read section until told to leave (parked: it allocates nothing to wait or to leave). */
    private static final class Holder extends Thread {
        private final Rcu rcu;
        private final CountDownLatch inside = new CountDownLatch(1);
        private volatile boolean leave;

        private Holder(Rcu rcu) {
            super("holder");
            setDaemon(true);
            this.rcu = rcu;
        }

        static Holder enter(Rcu rcu) throws InterruptedException {
            Holder h = new Holder(rcu);
            h.start();
            if (!h.inside.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the holder never entered its section");
            }
            return h;
        }

        void leave() {
            leave = true;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            try (Rcu.Reader r = rcu.read()) {
                inside.countDown();
                while (!leave) {
                    LockSupport.park(this);
                }
            }
        }
    }
}
