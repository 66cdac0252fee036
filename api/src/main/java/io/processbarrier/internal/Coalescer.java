package io.processbarrier.internal;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Shares system barriers between concurrent {@link AsymmetricProcessBarrier#heavy()} callers, the way the kernel's
 * expedited RCU shares grace periods ({@code rcu_seq_snap()} / {@code rcu_seq_done()} on
 * {@code rcu_state.expedited_sequence}).
 *
 * <h2>Protocol</h2>
 * Barriers are numbered 1, 2, 3, ... in the order they start, and at most one runs at a time. One sequence word,
 * {@code seq}, says where they are: {@code seq >> 2} barriers have completed, and its low two bits are the phase of
 * the next one: IDLE (nobody has claimed it), FORMING (a leader has claimed it and holds it open for callers about
 * to arrive) or RUNNING (it has started: {@code barrier()} is running or about to). Only
 * {@code 4n -> 4n+2} or {@code 4n -> 4n+1} (claim barrier {@code n+1}, by compare-and-set: one winner),
 * {@code 4n+1 -> 4n+2} (its start, by the leader that formed it) and {@code 4n+2 -> 4n+4} (its completion, by the
 * thread that started it) ever happen. The <em>start</em> of a barrier is the write of RUNNING.
 * <ol>
 *   <li><b>Snapshot.</b> After the full fence that opens {@code heavy()}, the caller reads {@code seq} and takes
 *       {@code target} = the number of the first barrier that will <em>start</em> after that read: the next one if
 *       it is IDLE or FORMING, else the one after the barrier in flight. A barrier already running never counts: it
 *       may have passed some threads before the caller's stores.</li>
 *   <li><b>Lead.</b> Whenever the caller sees IDLE and fewer than {@code target} completed, then exactly
 *       {@code target - 1} have, and it tries to claim number {@code target} with a compare-and-set. The winner
 *       runs {@link ProcessBarrierProvider#barrier()}, records its outcome, publishes its completion and wakes the
 *       sleepers. A lone caller takes this path at once: one read, one compare-and-set, one store.</li>
 *   <li><b>Form</b> (only for a provider whose {@link ProcessBarrierProvider#formsBatches()} is true, and only when the
 *       last barrier served more than one caller). The winner claims FORMING instead of RUNNING and yields the CPU
 *       until as many callers are waiting as the last barrier served (or half of them, if a yield brought nobody
 *       new), for at most what one barrier costs (capped at {@value #FORM_MAX_NANOS} ns); then it writes RUNNING
 *       and goes on as above. Everyone who read
 *       FORMING meanwhile is served by this barrier. Without it, callers who return from barrier {@code k} arrive
 *       while {@code k+1} runs and wait for {@code k+2}: two cohorts alternate, a quarter of a barrier per call at
 *       best with 8 callers; with it, most of them are in one batch.</li>
 *   <li><b>Wait.</b> Otherwise the caller waits for {@code seq} to change and looks again: it checks a few times,
 *       then parks until the leader that completes the barrier in flight unparks it. It does not burn a CPU: a
 *       waiter that keeps running is one more CPU that a membarrier or mprotect barrier must interrupt, and a signal
 *       barrier needs the CPUs to run its handlers. Everyone who arrives while barrier {@code n} runs has target
 *       {@code n + 1}: whichever of them starts it serves them all.</li>
 *   <li><b>Done.</b> The caller returns once {@code seq >> 2 >= target}, if one of the barriers numbered
 *       {@code target} or later succeeded.</li>
 * </ol>
 *
 * <h2>Why a barrier that started after my arrival is as good as my own</h2>
 * Caller C is served by barrier number {@code t}, started by thread L (perhaps C itself).
 * <ul>
 *   <li><b>It starts after C's stores are visible.</b> C executes a full fence and then reads {@code seq}; that read
 *       did not see L's start of barrier {@code t} (it would have made {@code target} larger), so it precedes L's
 *       write of RUNNING (a compare-and-set, or the store that ends FORMING) in the coherence order of
 *       {@code seq}, and L calls {@code barrier()} only after that write. The full fence makes C's earlier stores
 *       visible to every thread before C's read completes (on the multi-copy-atomic hardware Java runs on: x86-TSO,
 *       ARMv8), hence before barrier {@code t} starts. Whether L formed the barrier changes nothing here: only the
 *       write of RUNNING is the start. This is the argument of {@code rcu_seq_snap()}, whose {@code smp_mb()}
 *       orders the caller's accesses before the snapshot. It is also a Java happens-before edge whenever C had to
 *       wait: a waiter increments {@code waiters} before it reads {@code seq}, and L reads {@code waiters} after its
 *       write of RUNNING and before {@code barrier()}; of these two write-then-read pairs on volatiles at least
 *       one read sees the other's write, so either C's snapshot already excludes L's barrier, or C's increment
 *       happens-before L's call of {@code barrier()}.</li>
 *   <li><b>It ends before C returns.</b> L records the outcome and publishes {@code seq = 4t} after
 *       {@code barrier()} returned; C reads {@code seq >> 2 >= t} before returning: a volatile write seen by a
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
 * and the closing full fence (which {@code heavy()} executes anyway) after it: a few nanoseconds. A provider that
 * forms batches adds two clock reads per barrier (its barriers cost tens of microseconds).
 * {@code processbarrier.coalesce=false} turns sharing off (every call runs its own barrier, concurrently with the
 * others) for comparison.
 */
final class Coalescer {
    /**
     * Checks of {@code seq} before parking: a few hundred nanoseconds. Measured here (2 CPUs, 8 callers): spinning or
     * yielding longer keeps the waiter running on the other CPU, so every membarrier or mprotect barrier has to
     * interrupt it, and throughput drops by 2-3x; a parked waiter costs nothing to the barrier in flight.
     */
    static final int SPINS = 8;

    /** The longest a leader holds a barrier open, whatever the barrier costs. */
    static final long FORM_MAX_NANOS = 100_000;

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

    private final ProcessBarrierProvider owner;
    private final boolean enabled;

    /** {@code seq >> 2} barriers completed; the low two bits are the phase: IDLE, FORMING or RUNNING. */
    private volatile long seq;

    private static final long IDLE = 0;
    /** A leader holds the next barrier open for callers who are about to arrive; they join it. */
    private static final long FORMING = 1;
    /** The barrier is in flight: a caller who arrives now is served by the next one. */
    private static final long RUNNING = 2;

    /**
     * How many callers the last barrier served (1 + the waiters counted when it started), written by its leader.
     * A heuristic only: read and written without ordering, a stale value changes timing, never correctness.
     */
    private int lastServed = 1;

    /**
     * Moving average of what barrier() costs, in ns, kept only for a provider whose batches pay
     * ({@link ProcessBarrierProvider#formsBatches()}): the most a leader holds a barrier open. Written by the leader of
     * the moment only.
     */
    private long costNanos;
    /** Barriers that were formed (tests). */
    private long formed;
    /** Callers in the waiting path (spinning or parked). */
    private volatile int waiters;
    /** The number of the last barrier that completed normally. Written before the completion is published. */
    private long lastSucceeded;
    /** The last barrier that failed. Written before the completion is published. */
    private volatile Failure lastFailure;

    /** Parked callers, a stack; the leader that completes a barrier takes them all and unparks them. */
    private volatile Sleeper sleepers;

    private final int spins;

    Coalescer(ProcessBarrierProvider owner, boolean enabled) {
        this(owner, enabled, SPINS);
    }

    /** With another number of spins before parking: stress tests vary it to exercise the sleeping paths. */
    Coalescer(ProcessBarrierProvider owner, boolean enabled, int spins) {
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

    /** How many barriers were held open for callers to join (tests; the count is the leaders' own). */
    long formed() {
        return formed;
    }

    /** How many times {@code barrier()} was started (failed calls included); -1 when coalescing is off. */
    long barriersExecuted() {
        long s = seq;
        return enabled ? (s >> 2) + ((s & 3) == RUNNING ? 1 : 0) : -1;
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
        if ((s & 3) == IDLE && !worthForming() && SEQ.compareAndSet(this, s, s + RUNNING)) { // the lone caller's path
            lead((s >> 2) + 1, false);
            return;
        }
        awaitSlow();
        VarHandle.fullFence();
    }

    /** Whether the next barrier should wait for more callers: the provider wants batches and the last was shared. */
    private boolean worthForming() {
        return lastServed > 1 && owner.formsBatches();
    }

    private void awaitSlow() {
        WAITERS.getAndAdd(this, 1);
        boolean counted = true;
        try {
            long s = seq; // the snapshot, after our increment of waiters (see the class comment)
            long target = (s >> 2) + ((s & 3) == RUNNING ? 2 : 1);
            while ((s >> 2) < target) {
                if ((s & 3) == IDLE) {
                    // idle, fewer than target completed: exactly target - 1 have, so we may start number target
                    boolean form = worthForming();
                    if (SEQ.compareAndSet(this, s, s + (form ? FORMING : RUNNING))) {
                        WAITERS.getAndAdd(this, -1);
                        counted = false;
                        lead(target, form);
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

    /**
     * Runs barrier number {@code n}, already claimed in {@code seq} (RUNNING, or FORMING if {@code form}), and
     * publishes its outcome.
     */
    private void lead(long n, boolean form) {
        Throwable failure = null;
        try {
            if (form) {
                formBatch(n);
            }
            int served = 1 + waiters; // also orders every counted waiter's arrival before barrier() (class comment)
            boolean timed = owner.formsBatches();
            long t0 = timed ? System.nanoTime() : 0;
            try {
                owner.barrier();
            } catch (Throwable t) {
                failure = t;
            }
            if (afterBarrier != null) {
                afterBarrier.run();
            }
            if (timed) {
                long d = System.nanoTime() - t0;
                costNanos = costNanos == 0 ? d : (3 * costNanos + d) >> 2;
            }
            lastServed = served;
            if (failure == null) {
                LAST_SUCCEEDED.setRelease(this, n);
            } else {
                lastFailure = new Failure(n, failure);
            }
        } catch (Throwable t) {
            // Recording the outcome failed (an OutOfMemoryError, a StackOverflowError): the completion below is
            // still published, or every later heavy() would wait for this barrier forever. Its waiters find no
            // success recorded for it and throw.
            if (failure == null) {
                failure = t;
            } else if (failure != t) {
                failure.addSuppressed(t);
            }
        } finally {
            SEQ.setRelease(this, 4 * n); // the completion (ordered after the outcome) ...
            VarHandle.fullFence();        // ... the caller's closing fence, which also orders it before the next read:
            if (sleepers != null) {       // a sleeper either sees the new seq or is seen here
                for (Sleeper w = (Sleeper) SLEEPERS.getAndSet(this, (Sleeper) null); w != null; w = w.next) {
                    LockSupport.unpark(w.thread);
                }
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

    /**
     * Holds barrier number {@code n} (FORMING) open until the callers the last one served are back, for at most what
     * one barrier costs: a batch of k saves k - 1 barriers, and no caller waits much more than twice as long as
     * alone. Yielding, not spinning: the callers to wait for are runnable, often on this very CPU. Ends with its
     * start (RUNNING).
     */
    private void formBatch(long n) {
        int expected = lastServed;
        long deadline = System.nanoTime() + Math.min(costNanos, FORM_MAX_NANOS);
        for (int joined = waiters; joined + 1 < expected && System.nanoTime() - deadline < 0; ) {
            Thread.yield();
            int now = waiters;
            if (now == joined && now + 1 >= expected / 2) {
                break; // nobody came during the last yield, and half the last batch is here
            }
            joined = now;
        }
        formed++;
        SEQ.setVolatile(this, 4 * (n - 1) + RUNNING); // the start: whoever read FORMING before is served
    }

    /** Runs after each barrier, before its outcome is recorded: tests make recording fail with it. */
    private volatile Runnable afterBarrier;

    void afterBarrierForTests(Runnable r) {
        afterBarrier = r;
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
