package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/** Keeps the retire stack's head, written by every retire(), off the line of whatever the heap puts before it. */
abstract class RcuRetirerPad {
    int pi; // the gap after the header: see ReaderRegistry.Slot
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/**
 * The retire stack and its thread. Fault model: the thread's loop survives anything a grace period, a callback
 * or the logger throws (a batch whose grace period failed is kept and retried, never dropped), and if the thread
 * dies all the same, the batch it held goes back to {@link #orphans} and the next {@link #wake()} starts a new
 * one. A batch is counted open from its taking until its callbacks ran; a barrier marker opens its latch only
 * when every batch taken before its own has been reclaimed, whichever thread reclaims it.
 */
final class RcuRetirer extends RcuRetirerPad {
    private static final VarHandle HEAD;

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(RcuRetirer.class, "head", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A retired object, on a Treiber stack; {@code next} and {@code depth} are set before the CAS publishes it. */
    static final class Node {
        final Object object;
        final Consumer<Object> reclaim;
        Node next;
        int depth;

        Node(Object object, Consumer<Object> reclaim) {
            this.object = object;
            this.reclaim = reclaim;
        }
    }

    /** A batch taken off the stack, with its place in the order of taking (for barrier()). */
    static final class Batch {
        final Node top;
        final long ticket;

        Batch(Node top, long ticket) {
            this.top = top;
            this.ticket = ticket;
        }
    }

    /** The grace periods this stack's batches wait for. */
    private final RcuGracePeriods gps;
    /** The retire thread's factory; null: {@link LibraryThreads#newThread}. */
    private final ThreadFactory threads;
    private final int id;

    RcuRetirer(RcuGracePeriods gps, ThreadFactory threads) {
        this.gps = gps;
        this.threads = threads;
        this.id = gps.id;
    }

    /** The stack head after close(): pushes fail. */
    static final Node CLOSED = new Node(null, null);
    /** The reclaim of barrier()'s markers; recognised by identity, run only in order (see finish). */
    static final Consumer<Object> MARKER = l -> ((CountDownLatch) l).countDown();

    /** Treiber stack of retired objects; CAS by retire(), CAS out under takeLock by whoever reclaims. */
    volatile Node head;
    /** The current retire thread (replaced if it ever dies), or null before first use. Under this monitor. */
    volatile Thread worker;
    private volatile boolean stopping;
    /** Batches whose grace period failed on a helper, for the retire thread to retry. */
    final ConcurrentLinkedQueue<Batch> orphans = new ConcurrentLinkedQueue<>();
    /** Objects taken off the stack whose callbacks have not run yet. */
    final AtomicLong inFlight = new AtomicLong();
    /** Grace periods of batches that failed and were retried. */
    final AtomicLong failures = new AtomicLong();
    /** Held for a few instructions (take, finish): never while a grace period or a callback runs. */
    private final ReentrantLock takeLock = new ReentrantLock();
    private long taken;                                        // under takeLock
    private final TreeSet<Long> open = new TreeSet<>();        // under takeLock
    private final ArrayList<long[]> deferredTickets = new ArrayList<>(); // under takeLock, parallel to:
    private final ArrayList<List<CountDownLatch>> deferred = new ArrayList<>();

    /** Pushes; returns the stack depth including {@code n}, or -1 if closed. */
    int push(Node n) {
        while (true) {
            Node h = (Node) HEAD.getVolatile(this);
            if (h == CLOSED) {
                return -1;
            }
            n.next = h;
            n.depth = h == null ? 1 : h.depth + 1;
            if (HEAD.compareAndSet(this, h, n)) { // release: the node's fields and the caller's stores
                return n.depth;
            }
        }
    }

    /** Objects on the stack now (the head's depth; volatile load): for callbacksPending(). */
    long onStack() {
        Node h = (Node) HEAD.getVolatile(this);
        return h == null || h == CLOSED ? 0 : h.depth;
    }

    /** Whether nothing was ever retired nor a thread started (volatile loads): barrier() has nothing to wait for. */
    boolean neverUsed() {
        return (Node) HEAD.getVolatile(this) == null && worker == null;
    }

    /** Takes the whole stack (or, for close(), closes it) and gives the batch its ticket; null if empty. */
    Batch take(boolean close) {
        takeLock.lock();
        try {
            Node h;
            do {
                h = (Node) HEAD.getVolatile(this);
                if (h == CLOSED) {
                    return null;
                }
                if (h == null && !close) {
                    return null;
                }
            } while (!HEAD.compareAndSet(this, h, close ? CLOSED : null)); // acquire: the retirers' stores
            if (h == null) {
                return null;
            }
            long t = ++taken;
            open.add(t);
            inFlight.addAndGet(h.depth);
            return new Batch(h, t);
        } finally {
            takeLock.unlock();
        }
    }

    /** The batch's callbacks ran: release the markers that no older open batch holds back. */
    private void finish(Batch b, List<CountDownLatch> markers) {
        List<CountDownLatch> release = new ArrayList<>();
        takeLock.lock();
        try {
            open.remove(b.ticket);
            if (!markers.isEmpty()) {
                deferredTickets.add(new long[] {b.ticket});
                deferred.add(markers);
            }
            long oldestOpen = open.isEmpty() ? Long.MAX_VALUE : open.first();
            for (int i = deferred.size() - 1; i >= 0; i--) {
                if (deferredTickets.get(i)[0] < oldestOpen) {
                    release.addAll(deferred.remove(i));
                    deferredTickets.remove(i);
                }
            }
        } finally {
            takeLock.unlock();
        }
        for (CountDownLatch l : release) {
            l.countDown();
        }
    }

    void wake() {
        Thread t = worker;
        if (t == null || t.getState() == Thread.State.TERMINATED) {
            t = start();
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private synchronized Thread start() {
        Thread w = worker;
        if (!stopping && (w == null || w.getState() == Thread.State.TERMINATED)) {
            Thread t = threads == null ? LibraryThreads.newThread(this::run, "processbarrier-rcu-" + id + "-retire")
                    : threads.newThread(this::run);
            if (t == null) {
                throw new IllegalStateException("Rcu#" + id + ": the ThreadFactory given to Rcu.create returned "
                        + "null; it must return a new, unstarted thread");
            }
            worker = t;
            t.start();
            if (w != null) {
                RcuLog.error("Rcu#" + id + ": the retire thread " + w.getName() + " had died; started "
                        + t.getName(), null);
            }
        }
        return worker;
    }

    void stop() {
        Thread t;
        synchronized (this) {
            stopping = true;
            t = worker;
        }
        if (t == null) {
            return;
        }
        LockSupport.unpark(t);
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        Batch mine = null;
        try {
            for (int failed = 0; ; ) {
                try {
                    if (mine == null) {
                        mine = orphans.poll();
                    }
                    if (mine == null) {
                        mine = take(false);
                    }
                    if (mine != null) {
                        gps.awaitGracePeriod(gps.arrive(), RcuGracePeriods.RETIRE_THREAD); // begins after every push of the batch
                        Batch b = mine;
                        mine = null; // the grace period completed: only now may the callbacks run
                        failed = 0;
                        runCallbacks(b);
                        continue;
                    }
                    long want = (long) RcuGracePeriods.REQUESTED.getVolatile(gps);
                    if ((long) RcuGracePeriods.COMPLETED.getAcquire(gps) < want) {
                        gps.awaitGracePeriod(want, RcuGracePeriods.RETIRE_THREAD);
                        failed = 0;
                        continue;
                    }
                    if (stopping) {
                        return;
                    }
                    Thread.interrupted(); // nobody may interrupt this thread into spinning
                    LockSupport.park(this); // woken by the push onto an empty stack, startPoll() or stop()
                } catch (Throwable e) { // heavy() failed, or worse: nothing was reclaimed; the batch is kept
                    failures.incrementAndGet();
                    RcuLog.error("Rcu#" + id + " retire thread: a grace period failed; retrying, nothing is lost", e);
                    Thread.interrupted();
                    LockSupport.parkNanos(this, backoff(failed++));
                }
            }
        } finally {
            if (mine != null) { // dying all the same (an Error in the handler above): hand the batch on
                orphans.add(mine);
            }
        }
    }

    /** 1 ms, doubling up to 1 s: a barrier that fails for a while is not hammered, one that recovers is soon used. */
    static long backoff(int failures) {
        return TimeUnit.MILLISECONDS.toNanos(1L << Math.min(10, failures));
    }

    /** Called by a retire() that found more than MAX_PENDING waiting: reclaims the stack on the caller's thread. */
    void help() {
        Batch b = take(false);
        if (b == null) {
            return; // someone else took it
        }
        try {
            gps.awaitGracePeriod(gps.arrive(), RcuGracePeriods.HELPER);
        } catch (Throwable t) { // the retire thread retries it: the caller's retire() succeeded
            failures.incrementAndGet();
            orphans.add(b);
            RcuLog.error("Rcu#" + id + ": a grace period failed while retire() helped; the retire thread retries it",
                    t);
            wake();
            return;
        }
        runCallbacks(b);
    }

    /** For close(): a grace period (retried until one completes), then the batch's callbacks, on this thread. */
    void reclaimHere(Batch b, int who) {
        gps.retryGracePeriod(gps.arrive(), who);
        runCallbacks(b);
    }

    /** Runs the callbacks of a batch whose grace period completed, oldest first; never throws. */
    void runCallbacks(Batch b) {
        List<CountDownLatch> markers = new ArrayList<>(0);
        try {
            Node prev = null;
            for (Node n = b.top; n != null; ) {
                Node next = n.next;
                n.next = prev;
                prev = n;
                n = next;
            }
            for (Node n = prev; n != null; ) {
                Node next = n.next;
                n.next = null;
                if (n.reclaim == MARKER) {
                    markers.add((CountDownLatch) n.object);
                } else {
                    try {
                        n.reclaim.accept(n.object);
                    } catch (Throwable t) {
                        RcuLog.error("Rcu retire callback " + n.reclaim.getClass().getName() + " threw for an object"
                                + " of " + n.object.getClass().getName() + "; the other callbacks still run", t);
                    }
                }
                inFlight.decrementAndGet();
                n = next;
            }
        } finally {
            finish(b, markers);
        }
    }
}
