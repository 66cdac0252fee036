package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Child JVM of {@link RcuRetireFaultTest} (run with a small heap, {@code -XX:-UseTLAB}): one batch of four callbacks,
 * three of which throw {@link OutOfMemoryError}, runs while the heap is full to the last 16 bytes. The same cycle
 * runs once first with the heap free, so that every call site on the path has run once (Java links some on first
 * use, which allocates: that is not what this tests). Prints {@code heapWasFull}, {@code attempted} (callbacks that
 * began, of the three that throw), {@code ran} (the one that does not throw), {@code pending}
 * ({@code callbacksPending()} after a {@code barrier()} once the heap is free) and any thread that died.
 */
public final class FullHeapCallbacks {
    private static Object[] filler;
    private static volatile boolean heapWasFull;
    private static volatile Throwable uncaught;
    private static volatile String uncaughtThread;

    private FullHeapCallbacks() {
    }

    public static void main(String[] args) throws Exception {
        Thread.UncaughtExceptionHandler record = (t, e) -> { // allocates nothing when it runs
            uncaughtThread = t.getName();
            uncaught = e;
        };
        Thread.setDefaultUncaughtExceptionHandler(record);
        ProcessBarrier.get().name(); // the selection over (background since issue 29): the Rcu gets the selected one
        Rcu rcu = Rcu.create(ProcessBarrier.get());
        cycle(rcu, false); // the warm-up, heap free
        AtomicInteger[] counts = cycle(rcu, true);
        System.out.println("heapWasFull=" + heapWasFull);
        System.out.println("attempted=" + counts[0].get());
        System.out.println("ran=" + counts[1].get());
        System.out.println("pending=" + rcu.callbacksPending());
        System.out.println("died=" + uncaughtThread);
        if (uncaught != null) {
            uncaught.printStackTrace(System.out);
        }
    }

    private static AtomicInteger[] cycle(Rcu rcu, boolean full) throws Exception {
        AtomicInteger attempted = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try (Rcu.Reader r = rcu.read()) {
                inside.countDown();
                leave.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "holder");
        holder.setDaemon(true);
        holder.start();
        inside.await();
        for (int i = 0; i < 3; i++) {
            rcu.retire(i, x -> {
                attempted.incrementAndGet();
                heapWasFull = filler != null;
                long[] more = new long[1 << 28]; // 2 GB: more than the heap, whatever is free
                more[0] = 1;
            });
        }
        rcu.retire("last", x -> ran.incrementAndGet());
        Thread retire = rcu.retireThread();
        // the premise: the retire thread holds the batch and waits for the holder (its wait set up, allocated)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(retire.getState() == Thread.State.TIMED_WAITING && onStack(retire, "awaitReader"))) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the retire thread never waited for the holder");
            }
            Thread.sleep(1);
        }
        if (full) {
            fill();
        }
        leave.countDown(); // allocates nothing: the grace period ends, the callbacks run (on a full heap)
        while (attempted.get() + ran.get() < 4 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(1_000_000L);
        }
        filler = null;
        System.gc();
        rcu.barrier();
        holder.join();
        return new AtomicInteger[] {attempted, ran};
    }

    /** Fills the heap down to its last small gap, keeping it all reachable from {@link #filler}. */
    private static void fill() {
        Object[] head = null;
        for (int size = 1 << 20; size > 0; ) {
            try {
                Object[] a = new Object[size];
                a[0] = head;
                head = a;
            } catch (OutOfMemoryError e) {
                size >>= 1;
            }
        }
        filler = head;
    }

    private static boolean onStack(Thread t, String method) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }
}
