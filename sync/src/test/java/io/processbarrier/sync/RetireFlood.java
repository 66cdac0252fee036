package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child JVM of {@link RcuBackPressureTest}: {@code rcu N} retires N objects of 48 bytes as fast as one thread can and
 * prints {@code reclaimed=N}; {@code unbounded N} holds the same objects in an unbounded queue instead (the control:
 * it must run out of memory under the same -Xmx, or the test would prove nothing).
 */
public final class RetireFlood {
    private RetireFlood() {
    }

    public static void main(String[] args) {
        long n = Long.parseLong(args[1]);
        if (args[0].equals("unbounded")) {
            ConcurrentLinkedQueue<long[]> q = new ConcurrentLinkedQueue<>();
            for (long i = 0; i < n; i++) {
                q.add(new long[4]);
            }
            System.out.println("held=" + q.size());
            return;
        }
        AtomicLong reclaimed = new AtomicLong();
        long start = System.nanoTime();
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            for (long i = 0; i < n; i++) {
                rcu.retire(new long[4], a -> reclaimed.incrementAndGet());
            }
        }
        System.out.println("reclaimed=" + reclaimed.get());
        System.out.println("nanosPerRetire=" + (System.nanoTime() - start) / n);
        System.out.println("maxMemory=" + Runtime.getRuntime().maxMemory());
    }
}
