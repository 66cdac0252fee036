package io.processbarrier.sync;

import java.util.concurrent.locks.LockSupport;

/**
 * The pause of a thread that has just met a full heap (an {@link OutOfMemoryError} of the lock's own) and will look
 * again: a wait that allocates nothing, needs no timer of the JDK's and never unmounts a virtual thread.
 *
 * <p>A platform thread parks on the kernel's timer. A virtual thread spins on its carrier for the pause, as
 * {@code AbstractQueuedSynchronizer} parks the carrier itself for its own delay on a full heap. Neither a timed park
 * nor a yield is safe for it there:
 * <ul>
 *   <li>A timed park allocates the timer's task, and on Temurin 25 the scheduler's delay thread cancels a wake-up
 *       whose submission throws {@link OutOfMemoryError} ({@code DelayScheduler.loop}); the thread then stays
 *       timed-waiting with no one to wake it. Seen in {@code ReadMostlyLockFullHeapTest} (stress run, -Xlog:exceptions:
 *       {@code WorkQueue.<init>} on {@code ForkJoinPool-1-delayScheduler}): a condition's waiter with no waiter object,
 *       the other thread done, still waiting 30 s after the heap was freed.</li>
 *   <li>A yield resubmits the thread after it unmounted; JDK 25 retries that submission on an
 *       {@code OutOfMemoryError}, but JDK 21's {@code VirtualThread.afterYield} does not, and the thread is lost.</li>
 * </ul>
 */
final class FullHeapPause {
    private FullHeapPause() {
    }

    /** Waits about {@code nanos} (less if interrupted, or woken for a platform thread), allocating nothing. */
    static void pause(Object blocker, long nanos) {
        Thread t = Thread.currentThread();
        if (!StripeOwners.isVirtual(t)) {
            LockSupport.parkNanos(blocker, nanos);
            return;
        }
        long start = System.nanoTime();
        while (System.nanoTime() - start < nanos && !t.isInterrupted()) {
            Thread.onSpinWait();
        }
    }
}
