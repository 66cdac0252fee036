package io.processbarrier.sync;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
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
 * window has not passed since the last writer left, and stops when the burst is over or a writer claims (whose
 * release arms it again). A lock written continuously thus wakes the thread once per
 * {@link ReadMostlyLock#BURST_END_DELAY_NANOS}, not once per write. An armed timer holds its lock strongly for that
 * long at most.
 *
 * <p>Fault model: the thread inherits nothing from the writer that happened to start it (no context class loader,
 * no inheritable thread-locals: like the JDK's InnocuousThread). If the executor cannot take a task (a thread
 * cannot be created), {@link #arm} says so and the lock stays correct: its readers still end the burst on their
 * 256th fenced entry, and its next writer's release tries again. A task never throws (it takes the lock's mutex and
 * compares clocks).
 */
final class BurstEnder {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ThreadFactory FACTORY =
            task -> Rcu.defaultThread(task, "processbarrier-rml-burst-end-" + THREADS.incrementAndGet());
    private static final ScheduledThreadPoolExecutor TIMER = newTimer();

    private BurstEnder() {
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(0, FACTORY);
        t.setRemoveOnCancelPolicy(true);
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return t;
    }

    /**
     * Under the lock's mutex: looks at {@code lock}'s burst in {@code delayNanos}.
     *
     * @return whether the timer is armed (false: it could not be, see the fault model)
     */
    static boolean arm(ReadMostlyLock lock, long delayNanos) {
        try {
            TIMER.schedule(() -> fire(lock), delayNanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (Throwable e) { // RejectedExecutionException, an OutOfMemoryError for a thread: readers still help
            return false;
        }
    }

    private static void fire(ReadMostlyLock lock) {
        long again = lock.burstTimerFired();
        if (again > 0L) {
            try {
                TIMER.schedule(() -> fire(lock), again, TimeUnit.NANOSECONDS);
            } catch (Throwable e) {
                lock.burstTimerLost();
            }
        }
    }
}
