package io.processbarrier.sync;

import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Ends the write bursts of {@link ReadMostlyLock}s by time, so that a burst is over whatever the readers' threads:
 * readers end a burst on their thread's 256th fenced entry, which a thread per request never reaches, and without
 * this timer every read would pay a full fence for ever after one write.
 *
 * <p>One process-wide daemon thread ticks every {@link ReadMostlyLock#BURST_END_DELAY_NANOS} while some lock's timer
 * is armed, and ends {@link #LINGER_NANOS} after the last one was done: no thread long after the last burst, none
 * kept by a lock nobody writes, and a class loader that holds this library is not pinned by an idle thread. A lock
 * arms its timer at most once at a time (under its mutex), when a writer leaves with the flag raised; the look
 * re-arms itself while the timer's window (see {@link ReadMostlyLock#burstTimerFired}) has not passed since the
 * last writer left or while writers claim or queue (a queued writer may give up without a release), and stops when
 * the burst is over.
 *
 * <p><b>Why a ticking thread and not a {@code ScheduledThreadPoolExecutor}.</b> Arming is on the writer's path (the
 * release of the first write of a burst). An executor's {@code schedule} wakes its thread (a futex call) whenever the
 * new task comes first, and starts one when it has none. Here arming is a lock-free {@code offer} while the thread
 * ticks; the thread is started only by the first burst after it lingered out.
 *
 * <p>Fault model: the thread inherits nothing from the writer that happened to start it (see
 * {@link Rcu#defaultThread}: no context class loader, no inheritable thread-locals, no access-control context, the
 * system thread group: like the JDK's InnocuousThread). If the thread cannot be started, {@link #arm} says so,
 * refuses for a second, and the lock stays correct: its readers still end the burst on their 256th fenced entry, and
 * a later writer's release tries again. An armed look holds its lock weakly and never throws (it takes the lock's
 * mutex with {@code tryLock} and compares clocks); should the thread end by an error all the same (an
 * {@link OutOfMemoryError}, a {@link StackOverflowError}, a test clock that throws), every lock it had armed, those it
 * had not yet taken from the queue included, is told its timer was lost (the next writer's release arms it again, and
 * that arm starts a new thread). The loop and that failure path allocate nothing (the looks are linked through
 * themselves, walked without an iterator), so a full heap stops neither the ticking nor the telling: a lock left
 * believing it is armed would never be armed again, and readers on new threads would pay a full fence on every read
 * from then on. Telling one lock cannot keep the others from being told. On a full heap {@link #arm} itself (its look
 * is an allocation) fails as a thread that cannot be started does: the lock is not armed, and a later release tries
 * again.
 */
final class BurstEnder {
    /** After the thread could not be started, arming is refused for this long (readers still end bursts). */
    private static final long RETRY_AFTER_FAILURE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Ticker threads started so far (names them; tests count them). */
    static final AtomicInteger THREADS = new AtomicInteger();
    /** {@link System#nanoTime()} before which {@link #arm} refuses: 0 when nothing failed. */
    private static volatile long refuseUntil;

    private BurstEnder() {
    }

    /** How long the thread ticks on with nothing armed before it ends: a burst soon after reuses it. */
    static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * One armed look at a lock: due (nanoTime) when its delay has passed. {@code due} and {@code next} (the ticker's
     * list of the looks it took from {@link #ARMED}) are the ticker's only.
     */
    private static final class Look {
        final WeakReference<ReadMostlyLock> lock;
        long due;
        Look next;

        Look(ReadMostlyLock lock, long due) {
            this.lock = new WeakReference<>(lock);
            this.due = due;
        }
    }

    /** Looks armed since the ticker last took them; any thread offers, the ticker polls. */
    private static final ConcurrentLinkedQueue<Look> ARMED = new ConcurrentLinkedQueue<>();
    /** Whether a ticker thread runs (or is being started). */
    private static final AtomicBoolean RUNNING = new AtomicBoolean();

    /**
     * Under the lock's mutex: looks at {@code lock}'s burst in {@code delayNanos} (within one tick more).
     *
     * @return whether the timer is armed (false: it could not be, see the fault model)
     */
    static boolean arm(ReadMostlyLock lock, long delayNanos) {
        long refuse = refuseUntil;
        if (refuse != 0L && System.nanoTime() - refuse < 0L) {
            return false;
        }
        Look look = null;
        try {
            look = new Look(lock, System.nanoTime() + delayNanos);
            ARMED.offer(look);
            if (!RUNNING.get() && RUNNING.compareAndSet(false, true)) {
                start();
            }
            if (refuse != 0L) {
                refuseUntil = 0L;
            }
            return true;
        } catch (Throwable e) { // an OutOfMemoryError for the thread or the node, a SecurityException
            if (look != null) {
                ARMED.remove(look);
            }
            refuseUntil = System.nanoTime() + RETRY_AFTER_FAILURE_NANOS;
            return false;
        }
    }

    private static void start() {
        try {
            Rcu.defaultThread(BurstEnder::tick, "processbarrier-rml-burst-end-" + THREADS.incrementAndGet()).start();
        } catch (Throwable e) {
            RUNNING.set(false);
            throw e;
        }
    }

    /** For tests: run by the ticker on every tick, after it took the newly armed looks (a fault injected there). */
    static volatile Runnable tickHook;

    /** The ticker thread's loop. Allocates nothing, nor does its failure path (class doc). */
    private static void tick() {
        Look looks = null; // the looks taken from ARMED, linked through Look.next
        try {
            long busy = System.nanoTime();
            while (true) {
                for (Look l; (l = ARMED.poll()) != null; ) {
                    l.next = looks;
                    looks = l;
                }
                Runnable hook = tickHook;
                if (hook != null) {
                    hook.run();
                }
                long now = System.nanoTime();
                for (Look l = looks, prev = null; l != null; ) {
                    Look next = l.next;
                    if (now - l.due >= 0L) {
                        long again = fire(l.lock.get());
                        if (again > 0L) {
                            l.due = now + again;
                        } else { // done with it: unlink it
                            if (prev == null) {
                                looks = next;
                            } else {
                                prev.next = next;
                            }
                            l.next = null;
                            l = next;
                            continue;
                        }
                    }
                    prev = l;
                    l = next;
                }
                if (looks != null) {
                    busy = now;
                } else if (now - busy >= LINGER_NANOS) {
                    RUNNING.set(false); // then look once more: an arm may have offered before it saw the store
                    if (ARMED.isEmpty() || !RUNNING.compareAndSet(false, true)) {
                        return;
                    }
                }
                LockSupport.parkNanos(ReadMostlyLock.BURST_END_DELAY_NANOS);
            }
        } catch (Throwable e) {
            // first no ticker (an arm from now on starts one), then every lock this one had taken or was yet to
            // take: each believes it is armed, so no release would arm it again. The looks a new ticker takes
            // first are not ours; one we take from under it only makes its lock re-armable, which is always safe
            RUNNING.set(false);
            for (Look l = looks; l != null; l = l.next) {
                lost(l);
            }
            for (Look l; (l = ARMED.poll()) != null; ) {
                lost(l);
            }
            throw e;
        }
    }

    /** On the failure path: tells the look's lock its timer is lost; a failure to tell one stops no other. */
    private static void lost(Look l) {
        try {
            ReadMostlyLock lock = l.lock.get();
            if (lock != null) {
                lock.burstTimerLost();
            }
        } catch (Throwable ignored) {
            // nothing to do for this lock (a StackOverflowError, say); the others are still told
        }
    }

    /** @return the delay of the next look at the lock, or 0: done (collected, or its burst is over) */
    private static long fire(ReadMostlyLock lock) {
        return lock == null ? 0L : lock.burstTimerFired(); // null: collected, nobody reads it any more
    }
}
