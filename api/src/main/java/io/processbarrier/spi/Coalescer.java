package io.processbarrier.spi;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrierException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Shares system barriers between concurrent {@link AsymmetricBarrier#heavy()} callers, the way the kernel's
 * expedited RCU shares grace periods ({@code rcu_seq_snap()} / {@code rcu_seq_done()} on
 * {@code rcu_state.expedited_sequence}).
 *
 * <h2>Protocol</h2>
 * Barriers are numbered 1, 2, 3, ... in the order they start, and at most one runs at a time. One sequence word,
 * {@code seq}, says where they are: {@code seq >> 1} barriers have completed, and the low bit is set while barrier
 * number {@code (seq >> 1) + 1} is in flight. Only {@code 2n -> 2n+1} (start barrier {@code n+1}, by
 * compare-and-set: one winner) and {@code 2n+1 -> 2n+2} (its completion, by the thread that started it) ever
 * happen.
 * <ol>
 *   <li><b>Snapshot.</b> After the full fence that opens {@code heavy()}, the caller reads {@code seq} and takes
 *       {@code target} = the number of the first barrier that will <em>start</em> after that read: the next one if
 *       none is in flight, else the one after the barrier in flight. A barrier already in flight never counts: it
 *       may have passed some threads before the caller's stores.</li>
 *   <li><b>Lead.</b> Whenever the caller sees no barrier in flight and fewer than {@code target} completed, then
 *       exactly {@code target - 1} have, and it tries to start number {@code target} with a compare-and-set. The
 *       winner runs {@link AsymmetricBarrier#barrier()}, records its outcome, publishes its completion and wakes
 *       the sleepers. A lone caller takes this path at once: one read, one compare-and-set, one store.</li>
 *   <li><b>Wait.</b> Otherwise the caller waits for {@code seq} to change and looks again: it checks a few times,
 *       then parks until the leader that completes the barrier in flight unparks it. It does not burn a CPU: a
 *       waiter that keeps running is one more CPU that a membarrier or mprotect barrier must interrupt, and a signal
 *       barrier needs the CPUs to run its handlers. Everyone who arrives while barrier {@code n} is in flight has
 *       target {@code n + 1}: whichever of them starts it serves them all.</li>
 *   <li><b>Done.</b> The caller returns once {@code seq >> 1 >= target}, if one of the barriers numbered
 *       {@code target} or later succeeded.</li>
 * </ol>
 *
 * <h2>Why a barrier that started after my arrival is as good as my own</h2>
 * Caller C is served by barrier number {@code t}, started by thread L (perhaps C itself).
 * <ul>
 *   <li><b>It starts after C's stores are visible.</b> C executes a full fence and then reads {@code seq}; that read
 *       did not see L's start of barrier {@code t} (it would have made {@code target} larger), so it precedes L's
 *       compare-and-set in the coherence order of {@code seq}, and L calls {@code barrier()} only after that
 *       compare-and-set. The full fence makes C's earlier stores visible to every thread before C's read
 *       completes (on the multi-copy-atomic hardware Java runs on: x86-TSO, ARMv8), hence before barrier
 *       {@code t} starts. This is the argument of {@code rcu_seq_snap()}, whose {@code smp_mb()} orders the
 *       caller's accesses before the snapshot. It is also a Java happens-before edge whenever C had to wait: a
 *       waiter increments {@code waiters} before it reads {@code seq}, and L reads {@code waiters} after its
 *       compare-and-set and before {@code barrier()}; of these two write-then-read pairs on volatiles at least
 *       one read sees the other's write, so either C's snapshot already excludes L's barrier, or C's increment
 *       happens-before L's call of {@code barrier()}.</li>
 *   <li><b>It ends before C returns.</b> L records the outcome and publishes {@code seq = 2t} after
 *       {@code barrier()} returned; C reads {@code seq >> 1 >= t} before returning: a volatile write seen by a
 *       volatile read, so the end of the system barrier happens-before C's return (and C's closing full fence).</li>
 *   <li>So every thread the provider reaches executes its full memory barrier at a point between C's call and
 *       C's return, which is what {@link io.processbarrier.ProcessBarrier#heavy()} promises; the store-buffering
 *       argument is the same as if C had called {@code barrier()} itself. The provider reaches every thread but
 *       L, and L needs no barrier of its own for C: everything L did before publishing the completion
 *       happens-before C's return, and whatever L does after its start of barrier {@code t} comes after C's
 *       stores were visible (first point).</li>
 * </ul>
 *
 * <h2>Failures</h2>
 * If {@code barrier()} throws, nobody who depended on that barrier is told that it was served. Its leader gets
 * the original exception. A waiter with target {@code t} returns normally only if a barrier numbered {@code t} or
 * later (each of them started after its snapshot) completed normally; otherwise it throws a copy of the failure of
 * a barrier it depended on: an {@link ErrnoException} with the same call and errno, anything else as a
 * {@link ProcessBarrierException}, the original as the cause. Nothing is retried: in practice these failures are
 * persistent (seccomp, a missing registration, a signal timeout) and every caller must hear of them.
 *
 * <h2>Cost</h2>
 * Uncontended: a volatile read and a compare-and-set before {@code barrier()}, a volatile read, two release stores
 * and the closing full fence (which {@code heavy()} executes anyway) after it: a few nanoseconds.
 * {@code processbarrier.coalesce=false} turns sharing off (every call runs its own barrier, concurrently with the
 * others) for comparison.
 */
final class Coalescer {
    /**
     * Checks of {@code seq} before parking: a few hundred nanoseconds. Measured here (2 CPUs, 8 callers): spinning or
     * yielding longer keeps the waiter running on the other CPU, so every membarrier or mprotect barrier has to
     * interrupt it, and throughput drops by 2-3x; a parked waiter costs nothing to the barrier in flight.
     */
    private static final int SPINS = 8;

    private static final VarHandle SEQ;
    private static final VarHandle WAITERS;
    private static final VarHandle LAST_SUCCEEDED;
    private static final VarHandle SLEEPERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SEQ = l.findVarHandle(Coalescer.class, "seq", long.class);
            WAITERS = l.findVarHandle(Coalescer.class, "waiters", int.class);
            LAST_SUCCEEDED = l.findVarHandle(Coalescer.class, "lastSucceeded", long.class);
            SLEEPERS = l.findVarHandle(Coalescer.class, "sleepers", Sleeper.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A parked caller. */
    private static final class Sleeper {
        final Thread thread;
        Sleeper next;

        Sleeper(Thread thread) {
            this.thread = thread;
        }
    }

    /** The failure of barrier number {@code n}. */
    private static final class Failure {
        final long n;
        final Throwable cause;

        Failure(long n, Throwable cause) {
            this.n = n;
            this.cause = cause;
        }
    }

    private final AsymmetricBarrier owner;
    private final boolean enabled;

    /** {@code seq >> 1} barriers completed; odd while one is in flight. */
    private volatile long seq;
    /** Callers in the waiting path (spinning or parked). */
    private volatile int waiters;
    /** The number of the last barrier that completed normally. Written before the completion is published. */
    private long lastSucceeded;
    /** The last barrier that failed. Written before the completion is published. */
    private volatile Failure lastFailure;

    /** Parked callers, a stack; the leader that completes a barrier takes them all and unparks them. */
    private volatile Sleeper sleepers;

    private final int spins;

    Coalescer(AsymmetricBarrier owner, boolean enabled) {
        this(owner, enabled, SPINS);
    }

    /** With another number of spins before parking: stress tests vary it to exercise the sleeping paths. */
    Coalescer(AsymmetricBarrier owner, boolean enabled, int spins) {
        this.owner = owner;
        this.enabled = enabled;
        this.spins = spins;
    }

    boolean enabled() {
        return enabled;
    }

    /** Callers in the waiting path now (tests). */
    int waiting() {
        return waiters;
    }

    /** How many times {@code barrier()} was started (failed calls included); -1 when coalescing is off. */
    long barriersExecuted() {
        return enabled ? (seq + 1) >> 1 : -1;
    }

    /**
     * Returns once a barrier that started after this call began has completed, with a full fence as its last
     * action on every path; throws if every such barrier that completed so far failed. The caller has executed a
     * full fence just before.
     */
    void await() {
        if (!enabled) {
            owner.barrier();
            VarHandle.fullFence();
            return;
        }
        long s = seq;
        if ((s & 1) == 0 && SEQ.compareAndSet(this, s, s + 1)) { // idle: the lone caller's path
            lead((s >> 1) + 1);
            return;
        }
        awaitSlow();
        VarHandle.fullFence();
    }

    private void awaitSlow() {
        WAITERS.getAndAdd(this, 1);
        boolean counted = true;
        try {
            long s = seq; // the snapshot, after our increment of waiters (see the class comment)
            long target = ((s + 1) >> 1) + 1;
            while ((s >> 1) < target) {
                if ((s & 1) == 0) {
                    // idle, fewer than target completed: exactly target - 1 have, so we may start number target
                    if (SEQ.compareAndSet(this, s, s + 1)) {
                        WAITERS.getAndAdd(this, -1);
                        counted = false;
                        lead(target);
                        return;
                    }
                } else {
                    waitForChange(s);
                }
                s = seq;
            }
            if ((long) LAST_SUCCEEDED.getAcquire(this) >= target) {
                return;
            }
            // barrier number target failed, and so did every later one that had completed when we looked
            Failure f = lastFailure;
            if (f == null || f.n < target) {
                throw new IllegalStateException("barrier " + target + " completed with no outcome recorded");
            }
            throw copyOf(f.cause);
        } finally {
            if (counted) {
                WAITERS.getAndAdd(this, -1);
            }
        }
    }

    /** Waits until {@code seq} is no longer {@code s}: a few spins (a cheap barrier may be done by then), then parks. */
    private void waitForChange(long s) {
        for (int i = 0; i < spins; i++) {
            if (seq != s) {
                return;
            }
            Thread.onSpinWait();
        }
        if (seq != s) {
            return;
        }
        park(s);
    }

    /**
     * Parks until {@code seq} is no longer {@code s}; keeps the interrupt status and never throws. Every park is
     * preceded by a push of a fresh node: a leader takes all nodes at once and may unpark us for an earlier
     * completion than the one we wait for (we pushed while it was between its store of {@code seq} and its look at
     * the stack), after which we must be findable again by the next leader.
     */
    private void park(long s) {
        boolean interrupted = false;
        while (true) {
            Sleeper me = new Sleeper(Thread.currentThread());
            Sleeper head;
            do {
                head = sleepers;
                me.next = head;
            } while (!SLEEPERS.compareAndSet(this, head, me)); // a volatile write, then the volatile read of seq
            if (seq != s) {
                break;
            }
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true; // park would return at once from now on: clear it, restore it when done
            }
            if (seq != s) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs barrier number {@code n}, already started in {@code seq}, and publishes its outcome. */
    private void lead(long n) {
        Throwable failure = null;
        try {
            if (waiters < 0) { // never true: this volatile read orders every counted waiter's arrival before barrier()
                throw new AssertionError("waiters " + waiters);
            }
            owner.barrier();
        } catch (Throwable t) {
            failure = t;
        }
        if (failure == null) {
            LAST_SUCCEEDED.setRelease(this, n);
        } else {
            lastFailure = new Failure(n, failure);
        }
        SEQ.setRelease(this, 2 * n); // the completion (ordered after the outcome) ...
        VarHandle.fullFence();        // ... the caller's closing fence, which also orders it before the next read:
        if (sleepers != null) {       // a sleeper either sees the new seq or is seen here
            for (Sleeper w = (Sleeper) SLEEPERS.getAndSet(this, (Sleeper) null); w != null; w = w.next) {
                LockSupport.unpark(w.thread);
            }
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        if (failure != null) { // a checked exception thrown sneakily by a provider
            throw new ProcessBarrierException("the barrier failed: " + failure, failure);
        }
    }

    /** A fresh exception for a waiter: the same type for errno failures, the original as the cause. */
    private static RuntimeException copyOf(Throwable failure) {
        if (failure instanceof ErrnoException) {
            ErrnoException e = (ErrnoException) failure;
            ErrnoException copy = new ErrnoException(e.call(), e.errno());
            copy.initCause(e);
            return copy;
        }
        return new ProcessBarrierException(failure.getMessage()
                + " (in the barrier shared with this call, run by another thread)", failure);
    }
}
