package io.processbarrier.sync;

import java.util.concurrent.locks.LockSupport;

/**
 * The pause of a thread that has just met a full heap (an {@link OutOfMemoryError} of the lock's own) and will look
 * again: a wait that allocates nothing and needs no timer of the JDK's.
 *
 * <p>A platform thread parks on the kernel's timer. A virtual thread does not park on a timer here: its timed park
 * allocates the timer's task and relies on the scheduler's delay thread to submit it, and on a full heap Temurin 25
 * loses such a wake-up for good (its {@code DelayScheduler} cancels a task whose submission throws an
 * {@link OutOfMemoryError}, seen with {@code -Xlog:exceptions} in {@code ReadMostlyLockFullHeapTest}; and
 * {@code VirtualThread.afterYield} can throw before the timer is set). The thread then stays timed-waiting with no
 * one to wake it: in that test, a condition's waiter with no waiter object, the other thread done, hung after the
 * heap was freed. So a virtual thread yields until the time has passed; a yield that is resubmitted retries on a
 * full heap (the JDK's own {@code retryOnOOME}) rather than losing the thread, and one that cannot unmount (its
 * error) spins once instead. It keeps its carrier for at most the pause, as {@code AbstractQueuedSynchronizer}
 * does with its own delay on a full heap (it parks the carrier).
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
            try {
                Thread.yield();
            } catch (OutOfMemoryError e) {
                Thread.onSpinWait();
            }
        }
    }
}
