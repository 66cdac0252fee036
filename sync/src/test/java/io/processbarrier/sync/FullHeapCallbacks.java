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
 * use, which allocates: that is not what this tests). Prints {@code sawFull} (callbacks that found the heap full,
 * of the three that throw), {@code attempted} (callbacks that began, of those three), {@code ran} (the one that does
 * not throw), {@code pending} ({@code callbacksPending()} after a {@code barrier()} once the heap is free), how long
 * the callbacks took and any thread that died.
 *
 * <p>The four callbacks are one batch, taken while the heap is still free: taking a batch allocates it, and on a full
 * heap the retire thread backs off until memory comes back (RcuRetirer's fault model), so a batch taken on the full
 * heap would run only once this program frees it. They used to be retired while the retire thread was idle, and it
 * could take the first alone and the other three later (a stress run saw the heap free in their callbacks). Now the
 * retire thread is kept inside a callback of the batch before while the four are retired.
 */
public final class FullHeapCallbacks {
    private static Object[] filler;

    private FullHeapCallbacks() {
    }

    public static void main(String[] args) throws Exception {
        UncaughtRecord.install();
        ProcessBarrier.get().name(); // the selection over (background since issue 29): the Rcu gets the selected one
        Rcu rcu = Rcu.create(ProcessBarrier.get());
        cycle(rcu, false); // the warm-up, heap free
        long[] counts = cycle(rcu, true);
        System.out.println("sawFull=" + counts[0]);
        System.out.println("attempted=" + counts[1]);
        System.out.println("ran=" + counts[2]);
        System.out.println("callbacksMs=" + counts[3]);
        System.out.println("pending=" + rcu.callbacksPending());
        UncaughtRecord.print();
    }

    /** One batch of the four callbacks; returns sawFull, attempted, ran and the milliseconds they took. */
    private static long[] cycle(Rcu rcu, boolean full) throws Exception {
        AtomicInteger sawFull = new AtomicInteger();
        AtomicInteger attempted = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        RetireGate gate = RetireGate.hold(rcu); // the retire thread is kept there until the four are on the stack
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
        await(inside, "the holder never entered its section");
        for (int i = 0; i < 3; i++) {
            rcu.retire(i, x -> {
                if (filler != null) { // looked at before counting: the main thread frees the heap on the count
                    sawFull.incrementAndGet();
                }
                attempted.incrementAndGet();
                long[] more = new long[1 << 28]; // 2 GB: more than the heap, whatever is free
                more[0] = 1;
            });
        }
        rcu.retire("last", x -> ran.incrementAndGet());
        gate.open(); // the retire thread takes the four as one batch, with the heap free
        // the premise: the retire thread holds that batch and waits for the holder (its wait set up, allocated)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Thread retire = gate.retireThread();
        while (!(retire.getState() == Thread.State.TIMED_WAITING && onStack(retire, "awaitReader"))) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the retire thread never waited for the holder");
            }
            Thread.sleep(1);
        }
        if (full) {
            fill();
        }
        long left = System.nanoTime();
        leave.countDown(); // allocates nothing: the grace period ends, the callbacks run (on a full heap)
        long end = left + TimeUnit.SECONDS.toNanos(60); // a deadline of its own: the premise's wait took from that
        while (attempted.get() + ran.get() < 4 && System.nanoTime() - end < 0) {
            LockSupport.parkNanos(1_000_000L);
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - left);
        filler = null;
        System.gc();
        rcu.barrier();
        holder.join();
        return new long[] {sawFull.get(), attempted.get(), ran.get(), took};
    }

    private static void await(CountDownLatch latch, String never) throws InterruptedException {
        if (!latch.await(60, TimeUnit.SECONDS)) {
            throw new AssertionError(never);
        }
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
