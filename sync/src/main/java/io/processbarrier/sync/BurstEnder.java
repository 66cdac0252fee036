package io.processbarrier.sync;

import java.lang.ref.WeakReference;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ends the write bursts of {@link ReadMostlyLock}s by time, so that a burst is over whatever the readers' threads:
 * readers end a burst on their thread's 256th fenced entry, which a thread per request never reaches, and without
 * this timer every read would pay a full fence for ever after one write.
 *
 * <p>One process-wide daemon thread runs while some lock's timer is armed and ends 10 ms (the executor's keep-alive
 * for a pool of no core threads) after the last one fired: no thread between bursts, none kept by a lock nobody
 * writes, and a class loader that holds this library is not pinned by an idle thread. A lock arms its timer at most
 * once at a time (under its mutex), when a writer leaves with the flag raised; the timer re-arms itself while the
 * window has not passed since the last writer left or while writers claim or queue (a queued writer may give up
 * without a release), and stops when the burst is over. A lock written continuously thus wakes the thread once per
 * {@link ReadMostlyLock#BURST_END_DELAY_NANOS}, not once per write. An armed timer holds its lock weakly.
 *
 * <p>Fault model: the thread inherits nothing from the writer that happened to start it (see
 * {@link Rcu#defaultThread}: no context class loader, no inheritable thread-locals, no access-control context, the
 * system thread group: like the JDK's InnocuousThread). If the executor cannot take a task (a thread cannot be
 * created, the executor cannot be made), {@link #arm} says so, refuses for a second, and the lock stays correct: its
 * readers still end the burst on their 256th fenced entry, and a later writer's release tries again. A task holds
 * its lock weakly and never throws (it takes the lock's mutex with {@code tryLock} and compares clocks).
 */
final class BurstEnder {
    /** After a task could not be scheduled, arming is refused for this long (readers still end bursts). */
    private static final long RETRY_AFTER_FAILURE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** {@link System#nanoTime()} before which {@link #arm} refuses: 0 when nothing failed. */
    private static volatile long refuseUntil;

    private BurstEnder() {
    }

    /** The executor, created on first use inside {@link #arm}'s guard: a failure to create it is a failed arm. */
    private static final class Timer {
        static final ScheduledThreadPoolExecutor TIMER = newTimer();

        private static ScheduledThreadPoolExecutor newTimer() {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(0,
                    task -> Rcu.defaultThread(task, "processbarrier-rml-burst-end-" + THREADS.incrementAndGet()));
            t.setRemoveOnCancelPolicy(true);
            t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            return t;
        }
    }

    /**
     * Under the lock's mutex: looks at {@code lock}'s burst in {@code delayNanos}.
     *
     * @return whether the timer is armed (false: it could not be, see the fault model)
     */
    static boolean arm(ReadMostlyLock lock, long delayNanos) {
        long refuse = refuseUntil;
        if (refuse != 0L && System.nanoTime() - refuse < 0L) {
            return false;
        }
        return schedule(new WeakReference<>(lock), delayNanos);
    }

    /**
     * Schedules a look at the lock; the task holds it weakly, so that a task left in the queue by a failed schedule
     * (the executor queues before it starts a thread) pins no lock.
     */
    private static boolean schedule(WeakReference<ReadMostlyLock> ref, long delayNanos) {
        try {
            Timer.TIMER.schedule(() -> fire(ref), delayNanos, TimeUnit.NANOSECONDS);
            refuseUntil = 0L;
            return true;
        } catch (Throwable e) { // RejectedExecutionException, an OutOfMemoryError for a thread, a failed init
            refuseUntil = System.nanoTime() + RETRY_AFTER_FAILURE_NANOS;
            return false;
        }
    }

    private static void fire(WeakReference<ReadMostlyLock> ref) {
        ReadMostlyLock lock = ref.get();
        if (lock == null) {
            return; // collected: nobody reads it any more
        }
        long again = lock.burstTimerFired();
        if (again > 0L && !schedule(ref, again)) {
            lock.burstTimerLost();
        }
    }
}
