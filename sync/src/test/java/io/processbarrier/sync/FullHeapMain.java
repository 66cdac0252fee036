package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The child JVM of {@link ReadMostlyLockFullHeapTest}: runs one scenario with its (small) heap full and prints what
 * happened as {@code key=value} lines, once the heap is free again. Everything the scenario's threads use is built and
 * run once (warm-up: classes loaded, the membarrier registered) before the heap is filled; from then on the threads and
 * this one allocate nothing of their own until the heap is released, so whatever fails to allocate is the lock's.
 *
 * <p>Arguments: {@code alternate|writer LOCK platform|virtual} or {@code burst-ticking|burst-fault}. {@code alternate}: two threads take
 * turns through the write lock and its condition ({@code while (turn != me) await(); turn = other; signalAll()}), the
 * shape of OpenJDK's OOMEInAQS test. {@code writer}: two threads take the write lock in turn without a condition, by
 * contention alone. {@code cold}: as {@code writer}, but the warm-up runs one thread after the other, so that every
 * contended path of the lock runs for the first time with the heap full (a library's user cannot warm them).
 * {@code burst-...}: the burst timer's thread meets a full heap (issue 30 item 13, see
 * {@link #burst}).
 * {@code LOCK}: {@code rrwl} (ReentrantReadWriteLock, the control) or {@code rml} (ReadMostlyLock).
 */
final class FullHeapMain {
    /** Turns per thread before the heap is filled. */
    static final int WARM_UP_TURNS = 300;
    /** Turns per thread with the heap full. */
    static final int TURNS = 100;
    /**
     * How long the threads may take no turn at all, the heap full, before the scenario counts as hung: a hang is a
     * stop, not a slow run. With the heap full every failed allocation is a full collection, and a turn of
     * {@code alternate} costs about six of them (a condition's waiter, a writer's queue node, a virtual thread's timed
     * park: {@code -Xlog:exceptions}). Measured with {@code rml} on virtual threads (Temurin 25, 2 vCPU AMD EPYC,
     * Firecracker, shared): 100 turns each took 40-60 s with three such JVMs at once and 88-140 s with two CPU burners
     * beside, as long on de1351f (writers spun 10 µs before they queued) as on d16f125 (they look once more). The
     * former bound of 120 s on the whole scenario therefore called a run "hung" on a busy machine (seen once, in a
     * full {@code mvn test}) whether or not its threads were still taking turns.
     */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** How long the scenario may take in all: turning all the while, but slower than this counts as {@code slow}. */
    static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(240);
    /**
     * How long the warm-up may take (the heap not yet full: a second or two) and, apart, the filling of the heap. With
     * {@link #BOUND_NANOS} and {@link #RECOVERY_SECONDS} they bound the child's whole run below the test's timeout, so
     * that a child always reports: the warm-up was once bounded by {@link #BOUND_NANOS} too, and a child that spent
     * it there could reach the test's timeout before it printed a line (CI of a4931ba: no output in 400 s).
     */
    static final long PHASE_BOUND_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Turns taken with the heap full, by both threads: the progress the main thread watches (allocates nothing). */
    private static final AtomicInteger progress = new AtomicInteger();

    /** What fills the heap: arrays linked through their element 0. */
    private static volatile Object filler;
    private static volatile boolean go;
    /** Whose turn it is; under the write lock. */
    private static int turn;
    private static final int[] turnsDone = new int[2];
    private static final AtomicInteger finished = new AtomicInteger();
    /** The threads whose warm-up is over ({@code cold}: the next one starts its own then). */
    private static final AtomicInteger warmUps = new AtomicInteger();
    private static final Throwable[] failures = new Throwable[2];

    private FullHeapMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("is-virtual")) { // no barrier: nothing of the api's runs beside it
            isVirtual(args[1].equals("handle"));
            return;
        }
        // the selection over first (since issue 29 it runs in the background after the first get()): a lock made
        // before it ends exchanges its barrier on a later write, whose first heavy() would then run with the heap full
        io.processbarrier.ProcessBarrier.get().name();
        if (args[0].startsWith("burst-")) {
            burst(args[0].equals("burst-ticking"));
            return;
        }
        boolean alternate = args[0].equals("alternate");
        boolean cold = args[0].equals("cold");
        ReadWriteLock rw = args[1].equals("rrwl") ? new ReentrantReadWriteLock() : new ReadMostlyLock();
        Lock w = rw.writeLock();
        Condition c = w.newCondition();
        boolean virtual = args[2].equals("virtual");
        Thread main = Thread.currentThread();
        Thread[] threads = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int me = i;
            threads[i] = ReadMostlyLockThreads.newThread(virtual, "turns-" + i, () -> {
                try {
                    // warm-up, heap not yet full: enough turns that the contended paths (spin, park, the queue, the
                    // condition's) have run once, so that no class is first loaded or linked with the heap full (a
                    // first use allocates in the heap; seen as an OutOfMemoryError without a stack on a loaded
                    // machine after 3 turns). What allocates on every use still fails: it is not warmed away.
                    while (cold && warmUps.get() != me) {
                        Thread.onSpinWait(); // cold: one thread at a time, so that no contended path runs yet
                    }
                    turns(alternate, w, c, me, WARM_UP_TURNS);
                    warmUps.incrementAndGet();
                    // one timed park that runs out, so that the JDK's own timer thread has submitted a wake-up
                    // before the heap is full: its first one creates a submission queue, and on a full heap
                    // Temurin 25's DelayScheduler cancels a wake-up whose submission fails (the virtual thread then
                    // never wakes, whatever lock it waits on: seen with -Xlog:exceptions, OutOfMemoryError in
                    // WorkQueue.<init> on ForkJoinPool-1-delayScheduler). The lock's own waits after an
                    // OutOfMemoryError need no timer (FullHeapPause); its other timed parks do.
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    finished.incrementAndGet();
                    LockSupport.unpark(main);
                    while (!go) {
                        Thread.onSpinWait(); // no park: waking a parked virtual thread allocates (its scheduling)
                    }
                    turns(alternate, w, c, me, TURNS);
                } catch (Throwable e) {
                    failures[me] = e; // no allocation: the error is already there
                } finally {
                    finished.incrementAndGet();
                    LockSupport.unpark(main);
                }
            });
        }
        for (Thread t : threads) {
            t.start();
        }
        long start = System.nanoTime();
        long deadline = start + PHASE_BOUND_NANOS;
        while (finished.get() < 2 && System.nanoTime() - deadline < 0L) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        boolean warm = finished.get() == 2 && failures[0] == null && failures[1] == null;
        // said now, while the heap has room: a child that goes no further has said how far it got
        System.out.println("warm=" + warm);
        System.out.println("warmMs=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        if (!warm) {
            System.out.println("diag=" + diagnose(rw));
            report(threads, true);
            System.out.println("result=failed");
            System.out.flush();
            System.exit(0);
        }
        System.out.flush();
        finished.set(0);
        start = System.nanoTime();
        boolean full = fill(start + PHASE_BOUND_NANOS) != null;
        long fillNanos = System.nanoTime() - start;
        go = true;
        start = System.nanoTime();
        deadline = start + BOUND_NANOS;
        int seen = 0;
        long lastTurn = System.nanoTime();
        boolean stalled = false;
        while (finished.get() < 2) {
            long now = System.nanoTime();
            int p = progress.get();
            if (p != seen) {
                seen = p;
                lastTurn = now;
            } else if (now - lastTurn >= STALL_NANOS) {
                stalled = true; // no turn for STALL_NANOS: hung
                break;
            }
            if (now - deadline >= 0L) {
                break; // still turning, but too slow
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        boolean ended = finished.get() == 2;
        long fullNanos = System.nanoTime() - start;
        long sinceLastTurn = System.nanoTime() - lastTurn;
        filler = null; // the heap is free again: now report
        // first, where the threads stand, before a wake-up that waited for memory completes (the JDK retries one
        // every 100 ms: see waitedForMemory); a best effort, as the capture itself needs the collection that follows.
        // Taking the stack of a runnable virtual thread that is not mounted submits it again (JDK source:
        // VirtualThread.tryGetStackTrace): one that the JDK lost (ReadMostlyLockFullHeapTest's jdkLostAThread) may
        // then finish after the release
        Thread.State[] stateAtRelease = new Thread.State[2];
        StackTraceElement[][] stackAtRelease = new StackTraceElement[2][];
        if (!ended) {
            for (int i = 0; i < 2; i++) {
                stateAtRelease[i] = threads[i].getState();
                stackAtRelease[i] = stackOf(threads[i]);
            }
        }
        String diag = ended ? "" : diagnose(rw);
        System.gc();
        boolean starved = false;
        if (!ended) {
            // the heap is free: a lock whose own state is sound lets the threads finish now, unless the JDK's
            // scheduler lost one (below)
            long d2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(RECOVERY_SECONDS);
            while (finished.get() < 2 && System.nanoTime() - d2 < 0L) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            starved = finished.get() < 2 && lostByTheScheduler(threads);
            System.out.println("diag=" + diag);
            for (int i = 0; i < 2; i++) {
                System.out.println("atRelease" + i + "=" + stateAtRelease[i] + " at " + frames(stackAtRelease[i]));
            }
            System.out.println("turnsWithTheHeapFull=" + seen + " lastTurnMsAgo="
                    + TimeUnit.NANOSECONDS.toMillis(sinceLastTurn));
            System.out.println("recoveredAfterRelease=" + (finished.get() == 2) + " turns=" + turnsDone[0] + ","
                    + turnsDone[1] + " lostByTheScheduler=" + starved);
        }
        System.out.println("premise=" + (full ? "full" : "not full"));
        System.out.println("fillMs=" + TimeUnit.NANOSECONDS.toMillis(fillNanos) + " fullMs="
                + TimeUnit.NANOSECONDS.toMillis(fullNanos));
        System.out.println("turns=" + turnsDone[0] + "," + turnsDone[1]);
        report(threads, !ended);
        boolean allTurns = failures[0] == null && failures[1] == null && turnsDone[0] == TURNS
                && turnsDone[1] == TURNS;
        boolean ok = ended && allTurns;
        boolean recovered = !ended && stalled && allTurns && finished.get() == 2;
        boolean waitedForMemory = recovered
                && (waitedForMemory(stackAtRelease[0]) || waitedForMemory(stackAtRelease[1]));
        System.out.println("result=" + (ok ? "ok" : ended ? "failed" : starved ? "lost-by-the-scheduler"
                : waitedForMemory ? "waited-for-memory" : stalled ? "hung" : "slow"));
        System.out.flush();
        System.exit(0); // a hung thread must not keep the child alive
    }

    /** Prints the failures of the scenario's threads and, if {@code stacks}, where each thread is. */
    private static void report(Thread[] threads, boolean stacks) {
        for (int i = 0; i < 2; i++) {
            if (failures[i] != null) {
                System.out.println("failure" + i + "=" + failures[i]);
                failures[i].printStackTrace(System.out);
            }
            if (stacks) {
                System.out.println("thread" + i + "=" + threads[i].getState() + " at " + frames(stackOf(threads[i])));
            }
        }
    }

    /**
     * Whether a thread's stack, taken right after the heap was freed, is in the JDK's own wait for memory: on
     * Temurin 25 the wake-up of a virtual thread ({@code VirtualThread.unpark}) submits its continuation to the
     * scheduler, and when that throws an OutOfMemoryError, {@code VirtualThread.submitRunContinuation} parks its
     * caller 100 ms and tries again, for ever (JDK source, {@code retryOnOOME}). On a heap kept full, with no other
     * thread making garbage, the thread that wakes another (a writer releasing to the queued one) then waits until
     * memory is freed, as it would with any lock; no lock can cause or prevent that wait. (It was the first guess at
     * the stall of CI of 55da0ac; the stacks later taken showed another loss of the JDK's, which the test reads from
     * the child's exception log: {@code ReadMostlyLockFullHeapTest}'s {@code jdkLostAThread}.) Only a stack that shows
     * this wait counts: any other stall still fails the case.
     */
    private static boolean waitedForMemory(StackTraceElement[] stackAtRelease) {
        for (StackTraceElement e : stackAtRelease == null ? new StackTraceElement[0] : stackAtRelease) {
            if (e.getClassName().equals("java.lang.VirtualThread")
                    && e.getMethodName().equals("submitRunContinuation")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The stack of {@code t}, or null if it could not be taken within {@link #STACK_BOUND_MILLIS}: taken on a thread of
     * its own, as {@code getStackTrace()} of a virtual thread that stays in a transition of the JDK's (parking,
     * yielding) retries for ever (JDK source: {@code VirtualThread.asyncGetStackTrace}). Seen with the heap full on
     * Temurin 25.0.3 (3 of about 265 children of {@code alternate rml virtual} here, none in CI): a timed park of a
     * virtual thread yielded, and its carrier's scheduling of the timeout ({@code VirtualThread.afterYield}, then
     * {@code ForkJoinPool.schedule}) threw an OutOfMemoryError out of the carrier's task ({@code -Xlog:exceptions}):
     * the thread stayed in {@code TIMED_PARKING} with no carrier and no timer, which no unpark can end (JDK source:
     * {@code VirtualThread.unpark} acts only on a parked or pinned thread), and this child's main thread, taking its
     * stack, looped until the test's timeout killed it. A thread in such a transition for seconds runs none of the
     * lock's code: the JDK lost it.
     */
    private static StackTraceElement[] stackOf(Thread t) {
        if (noStack.contains(t)) {
            return null; // its taker still retries: one such thread is enough to burn a CPU
        }
        java.util.concurrent.atomic.AtomicReference<StackTraceElement[]> taken =
                new java.util.concurrent.atomic.AtomicReference<>();
        Thread taker = new Thread(() -> taken.set(t.getStackTrace()), "stack-of-" + t.getName());
        taker.setDaemon(true); // one that never returns must not keep the child alive
        taker.start();
        try {
            taker.join(STACK_BOUND_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        StackTraceElement[] stack = taken.get();
        if (stack == null) {
            noStack.add(t);
        }
        return stack;
    }

    /** The threads whose stack {@link #stackOf} could not take: asked again, they have none. Main thread only. */
    private static final java.util.Set<Thread> noStack = new java.util.HashSet<>();

    /** How long {@link #stackOf} waits for a stack: a transition takes microseconds, even on a loaded machine. */
    private static final long STACK_BOUND_MILLIS = 5_000;

    /** {@link ReadMostlyLockThreads#frames}, or why there is no stack ({@link #stackOf} returned null). */
    private static String frames(StackTraceElement[] stack) {
        return stack != null ? ReadMostlyLockThreads.frames(stack)
                : "(no stack within " + STACK_BOUND_MILLIS + " ms: in a transition of the JDK's, see stackOf)";
    }

    /** How long the threads of a hung scenario get to finish once the heap is free again. */
    static final long RECOVERY_SECONDS = 30;

    /**
     * Whether the JDK's virtual-thread scheduler lost one of {@code threads}: it is runnable but not mounted (its
     * stack ends where it unmounted, in VirtualThread's park, parkNanos or tryYield), or stuck in a transition (no
     * stack: {@link #stackOf}), still, a second later, after the heap has been free for {@link #RECOVERY_SECONDS}.
     * Seen with -Xlog:exceptions on Temurin 25 with the heap full: a carrier (ForkJoinPool worker) died of an
     * OutOfMemoryError thrown in the pool's own code, its replacement could not be created (OutOfMemoryError in
     * createWorker), and a virtual thread that had yielded was never run again; its state stays RUNNABLE. No lock
     * can cause that: a thread of a lock that lost a wake-up is parked (WAITING), one that spins on a state of the
     * lock is mounted, its stack ends in the lock's code.
     */
    private static boolean lostByTheScheduler(Thread[] threads) {
        for (int look = 0; look < 2; look++) {
            boolean lost = false;
            for (Thread t : threads) {
                StackTraceElement[] s = stackOf(t);
                lost |= s == null || t.getState() == Thread.State.RUNNABLE && s.length > 0
                        && s[0].getClassName().equals("java.lang.VirtualThread")
                        && (s[0].getMethodName().equals("park") || s[0].getMethodName().equals("parkNanos")
                        || s[0].getMethodName().equals("tryYield"));
            }
            if (!lost) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
        }
        return true;
    }

    private static String diagnose(Object rw) {
        try {
            StringBuilder b = new StringBuilder(String.valueOf(rw));
            if (rw instanceof ReadMostlyLock) {
                Object q = ((ReadMostlyLock) rw).queue;
                b.append(" mutex=").append(((ReadMostlyLock) rw).queue.mutex);
                for (String f : new String[] {"state", "contenders", "reserved", "head", "firstWaiter", "queued"}) {
                    java.lang.reflect.Field fl = q.getClass().getDeclaredField(f);
                    fl.setAccessible(true);
                    Object v = fl.get(q);
                    b.append(' ').append(f).append('=').append(v instanceof Thread ? ((Thread) v).getName() : v);
                }
            }
            return b.toString();
        } catch (Throwable e) {
            return "diag failed " + e;
        }
    }

    /** {@code n} turns of thread {@code me} (0 or 1), with the condition ({@code alternate}) or by contention. */
    private static void turns(boolean alternate, Lock w, Condition c, int me, int n) throws InterruptedException {
        for (int k = 0; k < n; k++) {
            w.lock();
            try {
                if (alternate) {
                    while (turn != me) {
                        c.await();
                    }
                    turn = 1 - me;
                    c.signalAll();
                }
                if (n == TURNS) {
                    turnsDone[me]++;
                    progress.incrementAndGet();
                }
            } finally {
                w.unlock();
            }
        }
    }

    /**
     * Fills the heap and keeps it full: arrays, halving the size on each failure down to one element, until the
     * smallest array fails three times in a row (a collection after a failure may move objects to a survivor space
     * and free a little room); then again after a pause, until a round finds no room at all (the collection that
     * precedes an OutOfMemoryError clears soft references, and the reference handler thread then drops what they
     * kept: room that appears only after the fill); then the probe, and all that again until the probe fails (a
     * thread that ended meanwhile, such as the burst timer's after its linger, left room).
     *
     * @param deadline when to give up ({@link System#nanoTime()}): a heap that keeps freeing room, by a thread of the
     *        JVM's that allocates and drops, never proves full
     * @return the error of the probe, an allocation of the smallest array right at the end: the premise, the heap
     *         is full; null if {@code deadline} passed first
     */
    private static OutOfMemoryError fill(long deadline) {
        Object[] head = (Object[]) filler;
        while (System.nanoTime() - deadline < 0L) {
            for (boolean found = true; found && System.nanoTime() - deadline < 0L; ) {
                found = false;
                for (int failedInARow = 0; failedInARow < 3; ) {
                    for (int size = 1 << 20; size > 0; ) {
                        try {
                            Object[] a = new Object[size];
                            a[0] = head;
                            head = a;
                            found = true;
                        } catch (OutOfMemoryError e) {
                            size >>>= 1;
                        }
                    }
                    for (failedInARow = 0; failedInARow < 3; failedInARow++) {
                        try {
                            Object[] a = new Object[1];
                            a[0] = head;
                            head = a;
                            found = true;
                            break; // room was found: fill on
                        } catch (OutOfMemoryError e) {
                            // once more
                        }
                    }
                }
                filler = head;
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // the reference handler's turn
            }
            try {
                head = new Object[] {head}; // the probe: right before the scenario, an allocation fails
                filler = head; // it did not: fill on
            } catch (OutOfMemoryError e) {
                return e;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ isVirtual

    /** How many times the scenario {@code is-virtual} asks, the heap full: well past the handle's count of 127. */
    static final int IS_VIRTUAL_CALLS = 1_000;

    /**
     * Whether a thread is virtual, asked {@link #IS_VIRTUAL_CALLS} times with the heap full, as a waiting writer asks
     * on every wait for the lock's mutex ({@code VirtualThreadsFullHeapTest}): by {@code VirtualThreads.isVirtual}, or
     * ({@code handle}) through the method handle as it did before. Prints how many calls threw.
     */
    private static void isVirtual(boolean handle) {
        Thread me = Thread.currentThread();
        ask(handle, me); // warm-up: the class initialized and the call site linked, with room
        LockSupport.parkNanos(1L); // and fill()'s own pause: its class loaded with room
        boolean full = fill(System.nanoTime() + PHASE_BOUND_NANOS) != null;
        int errors = 0;
        boolean answer = true;
        for (int i = 0; i < IS_VIRTUAL_CALLS; i++) {
            try {
                answer &= !ask(handle, me);
            } catch (OutOfMemoryError e) {
                errors++;
            }
        }
        filler = null;
        System.out.println("premise=" + (full ? "full" : "not full"));
        System.out.println("errors=" + errors);
        System.out.println("answer=" + (answer ? "platform" : "wrong"));
        System.out.println("byClass=" + io.processbarrier.sync.internal.VirtualThreads.isVirtualByClass());
        System.out.flush();
    }

    private static boolean ask(boolean handle, Thread t) {
        return handle ? io.processbarrier.sync.internal.VirtualThreads.isVirtualThroughHandle(t)
                : io.processbarrier.sync.internal.VirtualThreads.isVirtual(t);
    }

    // ------------------------------------------------------------------------------------------------ burst timer

    /** The burst timer's thread, as the lock's clock sees it. */
    private static volatile Thread ticker;
    /** Whether the clock, called by the timer, fills the heap and throws. */
    private static volatile boolean fillOnTick;
    /** Set once fill() returned, cleared before the heap is freed: the clock counts the timer's calls meanwhile. */
    private static volatile boolean heapFull;
    /** The timer's clock calls while {@link #heapFull} (an increment allocates nothing). */
    private static final AtomicInteger ticksWhileFull = new AtomicInteger();

    /**
     * The burst timer meets a full heap (issue 30 item 13). {@code ticking}: the heap fills while the timer ticks
     * for a burst whose last write is recent (the test's clock stands still), and stays full for 20 of its ticks;
     * any allocation of the timer's then fails. {@code fault}: the lock's clock, called by the timer, fills the heap
     * and throws the {@link OutOfMemoryError} it met, so the timer's failure path runs with the heap full. In both,
     * the heap is then freed, the clock moved past the burst and the lock written once more: the timer must end
     * that burst (a timer that died must have told the lock, so that this write arms it again).
     */
    private static void burst(boolean ticking) {
        long ms = TimeUnit.MILLISECONDS.toNanos(1);
        AtomicLong time = new AtomicLong(1_000 * ms);
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get(), ms, () -> {
            if (Thread.currentThread().getName().startsWith("processbarrier-rml-burst-end-")) {
                ticker = Thread.currentThread();
                if (heapFull) {
                    ticksWhileFull.incrementAndGet();
                }
                if (fillOnTick) {
                    fillOnTick = false;
                    OutOfMemoryError full = fill(System.nanoTime() + PHASE_BOUND_NANOS);
                    if (full != null) {
                        throw full; // as an allocation of the timer would; its failure path runs on the full heap
                    }
                    throw new IllegalStateException("the heap did not fill up");
                }
            }
            return time.get();
        }, null);
        write(lock); // warm-up: the timer starts and ends a burst
        long deadline = System.nanoTime() + BOUND_NANOS;
        while (lock.flagRaised() && System.nanoTime() - deadline < 0L) {
            time.addAndGet(50 * ms); // as below: the timer's look stamps the exit
            LockSupport.parkNanos(ms);
        }
        boolean warm = !lock.flagRaised();
        Thread before = ticker;
        boolean full;
        if (ticking) {
            write(lock); // armed again; the timer looks every 10 ms and sees a recent write
            full = fill(System.nanoTime() + PHASE_BOUND_NANOS) != null;
            heapFull = true;
            // the premise: the timer ticked (called the clock) with the heap full; bounded wait for the first tick,
            // then 20 more tick periods in which a timer that allocates per tick would die
            while (ticksWhileFull.get() == 0 && System.nanoTime() - deadline < 0L) {
                LockSupport.parkNanos(ms);
            }
            long end = System.nanoTime() + 20 * ReadMostlyLock.BURST_END_DELAY_NANOS;
            while (System.nanoTime() - end < 0L) {
                LockSupport.parkNanos(ms);
            }
            heapFull = false;
            full &= ticksWhileFull.get() > 0 && filler != null;
        } else {
            fillOnTick = true;
            write(lock); // armed again; its next look calls the clock
            while ((fillOnTick || ticker.isAlive()) && System.nanoTime() - deadline < 0L) {
                LockSupport.parkNanos(ms);
            }
            full = !fillOnTick && !ticker.isAlive() && filler != null;
        }
        filler = null;
        System.gc();
        boolean died = !before.isAlive();
        // a plain read: if the timer died, it wrote the flag before it ended (isAlive)
        boolean armedAfterDeath = died && lock.burstTimerArmed;
        time.addAndGet(50 * ms);
        write(lock); // a later write: if the timer died, this arms it again
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // the timer looks every 10 ms
        while (lock.flagRaised() && System.nanoTime() - deadline < 0L) {
            // the clock moves on while we wait: a release inside a burst reads no clock, and the timer stamps an exit
            // it had not seen with its own look's time (issue 28), so a clock that stood still would never end it
            time.addAndGet(50 * ms);
            LockSupport.parkNanos(ms);
        }
        System.out.println("warm=" + warm);
        System.out.println("premise=" + (full ? "full" : "not full"));
        System.out.println("ticksWhileFull=" + ticksWhileFull.get());
        System.out.println("timerDied=" + died);
        System.out.println("armedAfterDeath=" + armedAfterDeath);
        System.out.println("flagLowered=" + !lock.flagRaised());
        System.out.println("result=" + (!lock.flagRaised() && !armedAfterDeath ? "ok" : "failed"));
        System.out.flush();
        System.exit(0);
    }

    private static void write(ReadMostlyLock lock) {
        lock.writeLock().lock();
        lock.writeLock().unlock();
    }
}
