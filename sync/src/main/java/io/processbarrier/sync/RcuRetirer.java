package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/** Keeps the retire stack's head, written by every retire(), off the line of whatever the heap puts before it. */
abstract class RcuRetirerPad {
    int pi; // the gap after the header: see ReaderRegistry.Slot
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/**
 * The retire side of an {@link Rcu}: the stack of retired objects, the thread that reclaims them, the callers that
 * help under back-pressure, and {@code barrier()}'s markers.
 *
 * <p><b>Threads.</b> The retire thread exists only while there is work: it is started by the first retire (or
 * {@code startPoll()}, or {@code barrier()}) after it ended, and it ends once it has found nothing to do for
 * {@link #IDLE_NANOS}, so an idle {@code Rcu} (the shared one included) holds no thread, and a class loader that
 * loaded this library can be collected with nothing to call. Ending is a handshake under this object's monitor
 * ({@code running = false}, then a last look for work), so a retire that races with it either is seen by the
 * ending thread, which goes on, or sees {@code running == false} and starts a new thread.
 *
 * <p><b>Fault model: nothing retired is ever dropped and the retire path always recovers.</b>
 * <ul>
 *   <li>A thread that cannot be made or started (the factory throws or returns null, {@code start()} throws
 *       "unable to create native thread", any {@link Error}) is logged; the {@code retire()} that hit it returns
 *       normally after reclaiming the stack on its own thread as a helper does ({@link #noThread}; inside a read
 *       section it cannot: its object waits for the next call); starting is tried again by the next retire,
 *       {@code startPoll()} or {@code barrier()} after {@link #START_RETRY_NANOS} (a retire within that window
 *       reclaims on its own thread too); meanwhile {@code barrier()} and {@code close()} reclaim on their own
 *       thread. A thread from the factory that ends without running this body counts as no thread.</li>
 *   <li>A grace period that throws ({@code heavy()}, an {@link OutOfMemoryError}, anything) keeps its batch: the
 *       retire thread retries it with a back-off; a helper hands it to the retire thread (or to whoever waits in
 *       {@code barrier()}).</li>
 *   <li>A callback that throws anything is logged and the rest of its batch runs. Nothing in the callback loop, in
 *       taking a batch, in releasing the markers or in handing on a batch allocates once the batch is taken (the
 *       lock here is a spin lock, not an AQS lock, which allocates a queue node when contended; failure messages
 *       are built inside the guarded logging call), so an {@link OutOfMemoryError} on a full heap can neither
 *       drop a batch nor release a marker early, and {@code callbacksPending()} stays right. The handlers
 *       themselves are guarded: on a full heap even code that runs for the first time may throw (a string literal,
 *       a call site linked on first use), so a failure while handling a failure is survived too.</li>
 *   <li>A heap full of retired objects, which only their callbacks can free, is freed: taking a batch uses a spare
 *       one ({@link #spare}), and a grace period allocates nothing (the registry's snapshot prunes only when it can;
 *       see {@code ReaderRegistry.snapshot}). Before, the retire thread allocated each batch it took: with the heap
 *       full it backed off and tried again until memory came from elsewhere, perhaps never
 *       ({@code RcuRetireFaultTest.aHeapFullOfRetiredObjectsIsFreedByTheirCallbacks}).</li>
 *   <li>A retire thread that dies all the same hands its batch on, logs why and, if work waits (a retire that saw
 *       it still running, its own batch), starts a successor ({@link #died}).</li>
 *   <li>{@code barrier()} or {@code close()} in a retire callback, on whatever thread runs it (the retire thread or
 *       a helping caller), is an {@link IllegalStateException}: it would wait for its own batch.</li>
 * </ul>
 * A batch is open from its taking until its callbacks ran; a barrier marker opens its latch only when every batch
 * taken before its own has been reclaimed, whichever thread reclaims it.
 */
final class RcuRetirer extends RcuRetirerPad {
    /** How long the retire thread stays with nothing to do before it ends (a new one starts on demand). */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** After the retire thread could not be started, the next try is this much later (barrier() reclaims itself). */
    static final long START_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How often barrier() looks whether the retire thread is still there while it waits. */
    private static final long BARRIER_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private static final VarHandle HEAD;
    private static final VarHandle LOCK;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(RcuRetirer.class, "head", Node.class);
            LOCK = l.findVarHandle(RcuRetirer.class, "lock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        linkAccesses();
    }

    /** Links every VarHandle access this class makes: see {@link VarHandleLinks}. */
    private static void linkAccesses() {
        RcuRetirer none = null;
        RcuGracePeriods noGps = null;
        Node noNode = null;
        VarHandleLinks.link(
                () -> { boolean b = LOCK.compareAndSet(none, 0, 1); },
                () -> { boolean b = HEAD.compareAndSet(none, noNode, noNode); },
                () -> { boolean b = HEAD.compareAndSet(none, noNode, (Object) null); },
                () -> { long l = (long) RcuGracePeriods.COMPLETED.getAcquire(noGps); },
                () -> { long l = (long) RcuGracePeriods.REQUESTED.getVolatile(noGps); },
                () -> { Node n = (Node) HEAD.getVolatile(none); },
                () -> LOCK.setRelease(none, 0));
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

    /**
     * A batch taken off the stack, with its place in the order of taking (for barrier()). Allocated before the stack
     * is taken; all its links are fields, so that nothing is allocated from its taking to its end.
     */
    static final class Batch {
        Node top;
        long ticket;
        /** The next open batch, in ticket order (under the lock). */
        Batch nextOpen;
        /** The next batch waiting for a retry (under the lock). */
        Batch nextOrphan;
        /** The barrier markers met in this batch, chained through Node.next (the runner's, then under the lock). */
        Node markers;
        /** Whether its callbacks ran (under the lock). */
        boolean done;
        /** The thread running its callbacks, or null (written by that thread; read under the lock). */
        Thread runner;
    }

    /** The stack head after close(): pushes fail. */
    static final Node CLOSED = new Node(null, null);
    /** The reclaim of barrier()'s markers; recognised by identity, run only in order (see finish). */
    static final Consumer<Object> MARKER = l -> ((CountDownLatch) l).countDown();

    /** The grace periods this stack's batches wait for. */
    private final RcuGracePeriods gps;
    /** The retire thread's factory; null: {@link LibraryThreads#newThread}. */
    private final ThreadFactory threads;
    private final int id;
    /** The retire thread's body, made once (not on the start path, which may run on a full heap). */
    private final Runnable body = this::run;

    /** Treiber stack of retired objects; CAS by retire(), CAS out under the lock by whoever reclaims. */
    volatile Node head;
    /** The last retire thread started (alive or not), or null before first use. Written under this monitor. */
    volatile Thread worker;
    /** Whether {@link #worker} is running and will look at the stack again. Written under this monitor. */
    volatile boolean running;
    private volatile boolean stopping;
    /** When start() may try again after a failed start ({@link System#nanoTime()}); 0: at once. */
    private volatile long startRetryAt;
    /** Objects taken off the stack whose callbacks have not run yet. */
    final AtomicLong inFlight = new AtomicLong();
    /** Grace periods of batches that failed and were retried. */
    final AtomicLong failures = new AtomicLong();
    /** A spin lock held for a few instructions (take, finish, the orphans): never while user code runs. */
    private volatile int lock;
    private long taken;            // under the lock
    /**
     * Whether a batch was ever taken off the stack: set before the CAS that takes it, so that whoever sees the stack
     * emptied by a taker sees this too (neverUsed()). Volatile; written once per Rcu in practice (checked first).
     */
    private volatile boolean everTaken;
    private Batch openHead;        // under the lock: the open batches in ticket order
    private Batch openTail;        // under the lock
    /** Batches whose grace period failed on a helper or on a dying thread, for a retry: under the lock. */
    private volatile Batch orphans;
    /**
     * Under the lock: a batch for the next take, so that taking needs no heap (the class doc's full heap of retired
     * objects). Made here, refilled by {@link #finish} with a batch that closed.
     */
    private Batch spare = new Batch();

    RcuRetirer(RcuGracePeriods gps, ThreadFactory threads) {
        this.gps = gps;
        this.threads = threads;
        this.id = gps.id;
    }

    private void lock() {
        for (int spins = 0; !LOCK.compareAndSet(this, 0, 1); spins++) { // acquire
            if (spins < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the holder was descheduled inside a few instructions
            }
        }
    }

    private void unlock() {
        LOCK.setRelease(this, 0); // release: what was done under the lock
    }

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

    /**
     * Whether nothing was ever retired (volatile loads): barrier() has nothing to wait for. An empty stack alone does
     * not say so: another thread (a barrier() or a helper, while no retire thread runs) may have taken a batch and
     * still be reclaiming it. The stack is read first: a taker wrote everTaken before its CAS emptied it.
     */
    boolean neverUsed() {
        return (Node) HEAD.getVolatile(this) == null && !everTaken && worker == null && orphans == null;
    }

    /**
     * Takes the whole stack (or, for close(), closes it) and gives the batch its ticket; null if empty. The batch is
     * the spare if there is one (the retire thread's batches come back as the spare in turn: see finish); else one is
     * allocated first, out of the lock: an {@link OutOfMemoryError} then takes nothing.
     */
    Batch take(boolean close) {
        if (!close && (Node) HEAD.getVolatile(this) == null) {
            return null; // the common idle look allocates nothing
        }
        Batch b;
        lock();
        try {
            b = spare;
            spare = null;
        } finally {
            unlock();
        }
        if (b == null) {
            b = new Batch(); // another taker has it, or the batch before is still open behind an older one
        }
        lock();
        try {
            Node h;
            do {
                h = (Node) HEAD.getVolatile(this);
                if (h == CLOSED || h == null && !close) {
                    spare = b; // nothing taken: kept for the next
                    return null;
                }
                if (h != null && !everTaken) {
                    everTaken = true; // volatile store before the CAS below: see neverUsed()
                }
            } while (!HEAD.compareAndSet(this, h, close ? CLOSED : null)); // acquire: the retirers' stores
            if (h == null) {
                spare = b;
                return null;
            }
            b.top = h;
            b.ticket = ++taken;
            if (openTail == null) {
                openHead = b;
            } else {
                openTail.nextOpen = b;
            }
            openTail = b;
            inFlight.addAndGet(h.depth);
            return b;
        } finally {
            unlock();
        }
    }

    /** Hands on a batch whose grace period failed (no allocation). */
    void pushOrphan(Batch b) {
        lock();
        try {
            b.nextOrphan = orphans;
            orphans = b;
        } finally {
            unlock();
        }
    }

    /** A batch whose grace period failed before, or null. */
    Batch popOrphan() {
        if (orphans == null) { // volatile load: the common case takes no lock
            return null;
        }
        lock();
        try {
            Batch b = orphans;
            if (b != null) {
                orphans = b.nextOrphan;
                b.nextOrphan = null;
            }
            return b;
        } finally {
            unlock();
        }
    }

    /** The batch's callbacks ran: release the markers that no older open batch holds back. Never allocates. */
    private void finish(Batch b) {
        Node release = null;
        lock();
        try {
            b.done = true;
            b.runner = null;
            while (openHead != null && openHead.done) {
                Batch o = openHead;
                for (Node m = o.markers; m != null; ) {
                    Node next = m.next;
                    m.next = release;
                    release = m;
                    m = next;
                }
                o.markers = null;
                openHead = o.nextOpen;
                o.nextOpen = null;
                if (spare == null) { // closed, and nobody holds it (its runner returned): the next take's batch
                    o.done = false;
                    o.ticket = 0L;
                    spare = o;
                }
            }
            if (openHead == null) {
                openTail = null;
            }
        } finally {
            unlock();
        }
        for (Node m = release; m != null; m = m.next) {
            ((CountDownLatch) m.object).countDown();
        }
    }

    /**
     * Whether the calling thread is running callbacks of this {@code Rcu} (on the retire thread or as a helper):
     * there barrier() and close() would wait for the batch that called them.
     */
    boolean inCallback() {
        Thread me = Thread.currentThread();
        lock();
        try {
            for (Batch b = openHead; b != null; b = b.nextOpen) {
                if (b.runner == me) { // written by this very thread: no ordering needed
                    return true;
                }
            }
            return false;
        } finally {
            unlock();
        }
    }

    /**
     * Makes sure a retire thread will look at the stack: unparks it, or starts one. Never throws.
     *
     * @return whether a retire thread is running (false: it could not be started, or close() stopped it)
     */
    boolean wake() {
        if (!running || !worker.isAlive()) { // volatile load, after the caller's push (a volatile CAS): see the
            // class doc's handshake; a thread that ended without died() (a factory's thread that never ran our body)
            long retry = startRetryAt;
            if (retry != 0 && System.nanoTime() - retry < 0) {
                return false; // a start failed just now: do not hammer the factory
            }
            if (!start()) {
                return false;
            }
        }
        LockSupport.unpark(worker);
        return true;
    }

    private synchronized boolean start() {
        if (running && worker.isAlive()) {
            return true;
        }
        if (stopping) {
            return false;
        }
        try {
            Thread t = threads == null ? LibraryThreads.newThread(body, "processbarrier-rcu-" + id + "-retire")
                    : threads.newThread(body);
            if (t == null) {
                throw new IllegalStateException("the ThreadFactory given to Rcu.create returned null; it must "
                        + "return a new, unstarted thread");
            }
            t.start();
            worker = t;
            running = true;
            startRetryAt = 0L;
            return true;
        } catch (Throwable e) { // OutOfMemoryError "unable to create native thread", a factory's anything
            startRetryAt = System.nanoTime() + START_RETRY_NANOS;
            RcuLog.error(id, RcuLog.START_FAILED, e);
            return false;
        }
    }

    /** The ending handshake: whether the thread may end (nothing to do, seen after running = false). */
    private synchronized boolean mayEnd() {
        running = false; // volatile store, then the loads below: a retirer that missed it sees running == false
        Node h = (Node) HEAD.getVolatile(this);
        boolean work = (h != null && h != CLOSED) || orphans != null
                || (long) RcuGracePeriods.COMPLETED.getAcquire(gps) < (long) RcuGracePeriods.REQUESTED.getVolatile(gps);
        if (work && !stopping) {
            running = true;
            return false;
        }
        return true;
    }

    /**
     * A dying thread (an Error escaped its loop): the ending handshake as in mayEnd(), then a successor if there is
     * work. A retire that read running == true before the store below did not start a thread; its push is seen by the
     * loads after it, so its object is not left on the stack until some later call. Package-private: for tests.
     */
    synchronized void died(Thread me) {
        if (worker != me) {
            return;
        }
        running = false; // volatile store, then the loads below: a retirer that missed it sees running == false
        Node h = (Node) HEAD.getVolatile(this);
        boolean work = (h != null && h != CLOSED) || orphans != null
                || (long) RcuGracePeriods.COMPLETED.getAcquire(gps) < (long) RcuGracePeriods.REQUESTED.getVolatile(gps);
        if (work && !stopping) {
            start(); // never throws; if it fails, the next retire, startPoll() or barrier() tries again
        }
    }

    /**
     * Called by a retire() whose wake() found no retire thread and could not start one (outside a read section, not
     * on the retire thread): reclaims the stack on the caller's thread until it is empty (the callbacks may retire
     * more), or nothing would until some later call. Not while close() stops the thread (close() reclaims what is
     * left itself), and not from a callback this thread runs: that retire is left to the loop that runs it (this
     * one, or barrier()'s), so a chain of callbacks that retire the next object does not nest one grace period and
     * batch per link on the stack.
     */
    void noThread() {
        if (stopping || inCallback()) { // volatile load; the lock, only in this degraded mode
            return;
        }
        while (!stopping) {
            Batch b;
            try {
                b = take(false);
            } catch (Throwable t) { // no heap for a batch: nothing taken; the next call tries again
                return;
            }
            if (b == null || !reclaimOrHandOn(b, RcuGracePeriods.HELPER)) {
                return; // empty, or its grace period failed: handed on (a failure is not retried in a loop here)
            }
        }
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
        boolean ended = false;
        long idleSince = System.nanoTime();
        try {
            for (int failed = 0; ; ) {
                try {
                    if (mine == null) {
                        mine = popOrphan();
                    }
                    if (mine == null) {
                        mine = take(false);
                    }
                    if (mine != null) {
                        gps.awaitGracePeriod(gps.arrive(), RcuGracePeriods.RETIRE_THREAD); // after the batch's pushes
                        Batch b = mine;
                        mine = null; // the grace period completed: only now may the callbacks run
                        failed = 0;
                        runCallbacks(b);
                        idleSince = System.nanoTime();
                        continue;
                    }
                    long want = (long) RcuGracePeriods.REQUESTED.getVolatile(gps);
                    if ((long) RcuGracePeriods.COMPLETED.getAcquire(gps) < want) {
                        gps.awaitGracePeriod(want, RcuGracePeriods.RETIRE_THREAD);
                        failed = 0;
                        idleSince = System.nanoTime();
                        continue;
                    }
                    if (stopping && mayEnd()) { // close(): nothing is left for this thread (close() takes the rest)
                        ended = true;
                        return;
                    }
                    long idle = System.nanoTime() - idleSince;
                    if (idle >= IDLE_NANOS) {
                        if (mayEnd()) {
                            ended = true;
                            return;
                        }
                        idleSince = System.nanoTime();
                        continue;
                    }
                    Thread.interrupted(); // nobody may interrupt this thread into spinning
                    LockSupport.parkNanos(this, IDLE_NANOS - idle); // woken by a push onto an empty stack, etc.
                } catch (Throwable e) { // heavy() failed, or worse: nothing was reclaimed; the batch is kept
                    try { // and nothing may leave this handler (on a full heap, even a first call may throw)
                        failures.incrementAndGet();
                        RcuLog.error(id, RcuLog.GRACE_PERIOD_FAILED, e);
                        Thread.interrupted();
                        LockSupport.parkNanos(this, backoff(failed++));
                    } catch (Throwable ignored) {
                        // go round again
                    }
                }
            }
        } finally {
            if (mine != null) { // dying all the same (something beyond the handlers above): hand the batch on
                pushOrphan(mine);
            }
            if (!ended) {
                died(Thread.currentThread());
                RcuLog.error(id, RcuLog.RETIRE_THREAD_DIED, null);
            }
        }
    }

    /** 1 ms, doubling up to 1 s: a barrier that fails for a while is not hammered, one that recovers is soon used. */
    static long backoff(int failures) {
        return TimeUnit.MILLISECONDS.toNanos(1L << Math.min(10, failures));
    }

    /** Called by a retire() that found more than MAX_PENDING waiting: reclaims the stack on the caller's thread. */
    void help() {
        Batch b;
        try {
            b = take(false);
        } catch (Throwable t) { // e.g. no heap for the batch: nothing was taken, the retire thread will
            return;
        }
        if (b != null) {
            reclaimOrHandOn(b, RcuGracePeriods.HELPER);
        }
    }

    /** Runs the batch's grace period and callbacks here; if the grace period fails, hands the batch on. */
    private boolean reclaimOrHandOn(Batch b, int who) {
        try {
            gps.awaitGracePeriod(gps.arrive(), who);
        } catch (Throwable t) { // the retire thread (or a barrier() caller) retries it: the caller's retire succeeded
            pushOrphan(b); // first: allocates nothing, and the batch is safe from here on
            failures.incrementAndGet();
            RcuLog.error(id, RcuLog.HELPER_GRACE_PERIOD_FAILED, t);
            wake();
            return false;
        }
        runCallbacks(b);
        return true;
    }

    /**
     * For barrier(): waits until {@code done} opens; while no retire thread runs (it could not be started), reclaims
     * on the calling thread. Not interruptible: the interrupt status is kept.
     */
    void await(CountDownLatch done) {
        boolean interrupted = false;
        while (true) {
            if (!wake()) { // no thread: reclaim here what waits, the marker's batch included
                try {
                    Batch b = popOrphan();
                    if (b == null) {
                        b = take(false);
                    }
                    if (b != null && reclaimOrHandOn(b, RcuGracePeriods.HELPER)) {
                        continue; // more may wait; a failed grace period waits below before the next try
                    }
                } catch (Throwable t) { // no heap for a batch: nothing taken; look again below
                    failures.incrementAndGet();
                }
            }
            try {
                if (done.await(BARRIER_CHECK_NANOS, TimeUnit.NANOSECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** For close(): a grace period (retried until one completes), then the batch's callbacks, on this thread. */
    void reclaimHere(Batch b, int who) {
        gps.retryGracePeriod(gps.arrive(), who);
        runCallbacks(b);
    }

    /** Runs the callbacks of a batch whose grace period completed, oldest first; never throws, never allocates. */
    void runCallbacks(Batch b) {
        b.runner = Thread.currentThread(); // read back by this thread only (inCallback)
        try {
            Node prev = null;
            for (Node n = b.top; n != null; ) {
                Node next = n.next;
                n.next = prev;
                prev = n;
                n = next;
            }
            b.top = null;
            for (Node n = prev; n != null; ) {
                Node next = n.next;
                n.next = null;
                if (n.reclaim == MARKER) {
                    n.next = b.markers;
                    b.markers = n;
                } else {
                    try {
                        n.reclaim.accept(n.object);
                    } catch (Throwable t) {
                        try {
                            RcuLog.callbackFailed(n.reclaim, n.object, t); // the message is built inside its guard
                        } catch (Throwable ignored) {
                            // e.g. a StackOverflowError at the call: the next callbacks run all the same
                        }
                    }
                }
                inFlight.decrementAndGet();
                n = next;
            }
        } finally {
            finish(b);
        }
    }
}
