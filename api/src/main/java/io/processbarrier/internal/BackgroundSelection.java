package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;
import io.processbarrier.internal.support.LibraryThreads;
import io.processbarrier.internal.support.LogHandoff;
import io.processbarrier.internal.support.Settings;

import java.util.concurrent.TimeUnit;

/**
 * The first {@code ProcessBarrier.get()} off its caller's path. Selecting costs tens of milliseconds in a fresh JVM
 * (loading and verifying the providers' classes, extracting or checking the natives, loading them, probing, creating
 * the barrier, and, at WARNING, initializing logging), and none of it has to happen before the caller can go on:
 * the caller gets a {@link DeferredBarrier}, correct from its first call (a full fence on both sides until the
 * selection is over, see its javadoc), and the selection runs on a library thread ({@code processbarrier-select},
 * inheriting nothing of the caller: {@link LibraryThreads}).
 *
 * <p><b>When the caller waits instead.</b> With {@code processbarrier.*} settings given, the caller selects, as
 * before: a setting may make {@code get()} throw ({@code requireAsymmetric}, a forced provider that is absent, a bad
 * value, a value a provider refuses when probed), and an exception that a background thread found could not be
 * thrown by the {@code get()} that started it. Without settings the selection cannot fail (it ends in {@code fence} at
 * worst), nor with valid settings that force {@code fence} (nothing else is probed). If the thread cannot be started,
 * the caller selects. Every other question ({@code of}, {@code providers}, {@code choice}, {@code isAvailable}, and
 * the deferred barrier's {@code name()} and {@code isAsymmetric()}) first waits for a selection in progress: they
 * report what it found.
 *
 * <p><b>Its log records.</b> Its WARNINGs (a misconfiguration) are not written on its thread, which must neither
 * race the application's own logging initialization nor initialize logging itself (a backend whose initialization
 * waits for the caller of {@code get()} would deadlock with it): a thread that waits for the selection (it asked
 * {@code name()}, {@code of()}, {@code providers()}...) writes them on its own thread when it wakes, as a selection on
 * it would have; if nobody waits, they go through {@link LogHandoff}'s queue, as the DEBUG line: written by that
 * daemon after its hold-off, or by the queue's shutdown hook. So that a program that exits at once still
 * shows them, a shutdown hook of this class waits (up to {@link #EXIT_WAIT_SECONDS}) for the selection to end; it is
 * registered before the selection's thread starts (a first {@code get()} made while the JVM exits selects on its
 * caller) and removed when the selection ends, so that it pins no class loader. A WARNING written once the JVM is
 * exiting goes to standard error ({@code LogHandoff.write}): by then the application's backend may be closing in its
 * own shutdown hook (java.util.logging's closes its handlers, and the JVM runs hooks concurrently) or refuse to start
 * (Log4j drops the record: "already shutting down"). The selection's thread has no context class loader: a logging
 * setup per class loader (a servlet container's) files the record under the container, not the application.
 *
 * <p><b>Fault model.</b> Whatever the selection throws (an {@link Error} included) leaves the deferred barrier a
 * fence for good and makes the next {@code get()} select on its caller, which then sees the exception. A caller
 * interrupted while it waits for the selection keeps waiting (the selection is bounded and short) and returns with
 * its interrupt status set.
 */
public final class BackgroundSelection {
    /** How long a shutdown hook waits for a selection in progress so that its WARNING is written. */
    static final long EXIT_WAIT_SECONDS = 10;

    private static final Object LOCK = new Object();
    /** Once the background selection has ended well: what {@code get()} returns from then on. */
    private static volatile ProcessBarrier selected;
    /** Under LOCK: the deferred barrier, while its selection runs or after it ended (null before or without one). */
    private static DeferredBarrier deferred;
    /** Written under LOCK, read without it by keepWarning: the thread selecting, null when none does. */
    private static volatile Thread running;
    /** Under LOCK: the caller selects (settings are given, the thread could not start, or the selection failed). */
    private static boolean onCaller;

    private BackgroundSelection() {
    }

    /** {@code ProcessBarrier.get()}. */
    public static ProcessBarrier get() {
        ProcessBarrier s = selected;
        return s != null ? s : getSlow();
    }

    private static ProcessBarrier getSlow() {
        synchronized (LOCK) {
            if (selected != null) {
                return selected;
            }
            if (!onCaller) {
                if (deferred != null) {
                    return deferred; // still selecting
                }
                if (anySetting() && !onlyFenceForced(Settings.system())) {
                    onCaller = true;
                } else {
                    DeferredBarrier d = start();
                    if (d != null) {
                        return d;
                    }
                }
            }
        }
        ProcessBarrier b = Selector.instance().defaultBarrier();
        synchronized (LOCK) {
            if (deferred != null && !deferred.isSettled()) {
                deferred.settle(b); // after a failed background selection: the first get()'s barrier takes b now
            }
            selected = b; // get() returns b from now on (selection chooses once; a failure was thrown above)
        }
        return b;
    }

    /**
     * Whether a system property named {@code processbarrier.*} exists now: then the caller selects (class doc). Here,
     * not in {@link Settings}: the first get() asks on its caller's thread, where loading and initializing Settings
     * and its table takes about 2 ms (a 2-vCPU VM), and even a class of its own would be one more load from the jar
     * (about 0.3 ms each there); the values themselves are read by {@link Settings#system()}, later.
     */
    private static boolean anySetting() {
        for (Object k : System.getProperties().keySet()) {
            if (k instanceof String && ((String) k).startsWith(Settings.PREFIX)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the settings, all valid, force {@code fence} and nothing contradicts it ({@code requireAsymmetric},
     * {@code fence} excluded): then selection probes nothing else and cannot fail, and its result is known now (a full
     * fence on both sides, which is what the deferred barrier is until then), so the caller need not wait for it.
     * Selector reads the same settings the same way (Settings' providerName and providerNames); Selector itself is
     * not loaded here (its constants are inlined).
     */
    private static boolean onlyFenceForced(Settings s) {
        try {
            s.judge();
            if (s.bool(Selector.REQUIRE_ASYMMETRIC_PROPERTY)) {
                return false;
            }
        } catch (RuntimeException bad) {
            return false; // the caller selects and throws it
        }
        return FenceBarrier.NAME.equals(s.providerName(Selector.PROVIDER_PROPERTY))
                && !s.providerNames(Selector.EXCLUDE_PROPERTY).contains(FenceBarrier.NAME);
    }

    /** Under LOCK: starts the selection thread and its exit hook; null (and {@link #onCaller}) if it cannot. */
    private static DeferredBarrier start() {
        Task await = new Task(Task.AWAIT, null, null);
        DeferredBarrier d = new DeferredBarrier(await, await);
        try {
            Thread t = LibraryThreads.newThread(new Task(Task.SELECT, d, null), "processbarrier-select");
            Thread hook = LibraryThreads.newThread(new Task(Task.AT_EXIT, null, t), "processbarrier-select-at-exit");
            if (exitHookForTest) {
                // before the thread starts: a JVM already exiting (a first get() from a shutdown hook) would halt the
                // daemon before its WARNING is written, so then the caller selects
                Runtime.getRuntime().addShutdownHook(hook);
                exitHook = hook;
            }
            running = t;
            deferred = d;
            t.start();
        } catch (VirtualMachineError | RuntimeException e) {
            // no thread (out of memory, or of native threads), the JVM exiting (IllegalStateException), a security
            // manager's refusal: the caller selects, as before. (One catch of RuntimeException: each exception class
            // named here is loaded when the first get() is verified.)
            undoStart();
            return null;
        }
        return d;
    }

    /** Under LOCK: what a start that failed half way leaves. */
    private static void undoStart() {
        Thread hook = exitHook;
        exitHook = null;
        running = null;
        deferred = null;
        onCaller = true;
        endWaits();
        removeHook(hook);
    }

    /** Removes the exit hook of a selection that is over, if there is one. */
    private static void removeHook(Thread hook) {
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (RuntimeException exiting) {
                // IllegalStateException: the hook is running or about to, and finds the selection over
            }
        }
    }

    /** Under LOCK: the shutdown hook of the running selection, removed when it ends. */
    private static Thread exitHook;
    /** Under LOCK: the running selection's WARNINGs not yet written (null: none). */
    private static java.util.List<String> pendingWarnings;
    /** Under LOCK: how many threads wait for the running selection (the first to wake writes its WARNINGs). */
    private static int waiters;
    /**
     * Under LOCK (the field): counted down when the running selection ends; waited on without the lock. Made by the
     * first thread that waits, not by the first get(): CountDownLatch is not in the JDK's class-data archive, and
     * the two classes it loads from the runtime image cost the first get() a few hundred microseconds.
     */
    private static java.util.concurrent.CountDownLatch done;

    /** Under LOCK: the running selection is over (or never started): its waiters go on. */
    private static void endWaits() {
        java.util.concurrent.CountDownLatch l = done;
        if (l != null) {
            l.countDown();
        }
    }

    /**
     * Waits until no selection runs; returns at once on the selection's own thread (a provider that asks). Parks on
     * a latch, not in {@code Object.wait}: a virtual thread waiting here does not pin its carrier (JDK 21-23).
     */
    public static void awaitSelection() {
        java.util.concurrent.CountDownLatch l;
        synchronized (LOCK) {
            if (running == null || running == Thread.currentThread()) {
                return;
            }
            l = done;
            if (l == null) {
                done = l = new java.util.concurrent.CountDownLatch(1);
            }
            waiters++;
        }
        boolean interrupted = false;
        java.util.List<String> warnings;
        try {
            while (true) {
                try {
                    l.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the selection is short and bounded: wait on, and keep the interrupt
                }
            }
        } finally {
            synchronized (LOCK) {
                waiters--;
                warnings = pendingWarnings;
                pendingWarnings = null;
            }
        }
        if (warnings != null) {
            for (String w : warnings) {
                LogHandoff.write(System.Logger.Level.WARNING, w); // on a thread that asked: as a selection on it would
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Called by Selector for a WARNING: on the background selection's thread it is kept (true), for a thread that
     * waits for the selection to write on its own thread when it wakes (as when it selected itself), or, if nobody
     * waits when the selection ends, for {@link LogHandoff}'s queue; on any other thread false (write it there).
     */
    static boolean keepWarning(String message) {
        if (running != Thread.currentThread()) {
            return false;
        }
        synchronized (LOCK) {
            if (pendingWarnings == null) {
                pendingWarnings = new java.util.ArrayList<>();
            }
            pendingWarnings.add(message);
            return true;
        }
    }

    /** The selector, after any selection in progress: for every question but {@code get()}. */
    public static Selector selector() {
        awaitSelection();
        return Selector.instance();
    }

    /**
     * The three jobs of a background selection: what the deferred barrier calls to wait for it ({@link #AWAIT}: its
     * {@code run()} waits, its {@code getAsBoolean()} says whether it is over), the selection itself on its thread
     * ({@link #SELECT}), and the shutdown hook that lets a program that exits at once still show its WARNING
     * ({@link #AT_EXIT}). One class for the three, and named rather than lambdas: all are made inside the first
     * get(), where a lambda's bootstrap costs milliseconds and every class loaded from the jar about 0.3 ms.
     */
    private static final class Task implements Runnable, java.util.function.BooleanSupplier {
        static final int AWAIT = 0;
        static final int SELECT = 1;
        static final int AT_EXIT = 2;

        private final int job;
        /** SELECT: the barrier to settle. */
        private final DeferredBarrier deferred;
        /** AT_EXIT: the selection's thread, to wait for. */
        private final Thread selection;

        Task(int job, DeferredBarrier deferred, Thread selection) {
            this.job = job;
            this.deferred = deferred;
            this.selection = selection;
        }

        @Override
        public void run() {
            if (job == AWAIT) {
                awaitSelection();
            } else if (job == SELECT) {
                select(deferred);
            } else {
                try {
                    selection.join(TimeUnit.SECONDS.toMillis(EXIT_WAIT_SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** AWAIT: whether no selection runs now (then the deferred barrier's has ended, or it never started). */
        @Override
        public boolean getAsBoolean() {
            synchronized (LOCK) {
                return running == null;
            }
        }
    }

    /** The selection's thread: selects, settles {@code deferred}, and hands on its WARNINGs. */
    private static void select(DeferredBarrier deferred) {
        ProcessBarrier b = null;
        try {
            java.util.concurrent.CountDownLatch hold = holdForTest;
            if (hold != null) {
                hold.await();
            }
            b = Selector.instance().defaultBarrier();
            if (b.isAsymmetric()) {
                warmUp(b);
            }
            deferred.settle(b); // readers of the deferred barrier may now use b's light()
        } catch (Throwable t) {
            b = null; // the deferred barrier stays a fence; the next get() selects on its caller and throws
        } finally {
            Thread hook;
            java.util.List<String> warnings = null;
            synchronized (LOCK) {
                if (b != null) {
                    selected = b; // only now: after settle(), see DeferredBarrier
                } else {
                    onCaller = true;
                }
                running = null;
                hook = exitHook;
                exitHook = null;
                if (waiters == 0) {
                    warnings = pendingWarnings; // nobody asked: the queue writes them (else a waiter does)
                    pendingWarnings = null;
                }
                endWaits();
            }
            try {
                if (warnings != null) {
                    Runnable h = handOffForTest;
                    if (h != null) {
                        h.run();
                    }
                    for (String w : warnings) {
                        LogHandoff.submit(System.Logger.Level.WARNING, w);
                    }
                }
            } finally {
                // whatever the hand-off threw: an application undeployed while its selection ran has its loader
                // closed, and loading LogHandoff then fails (seen in RcuRedeployTest); a hook left registered would
                // keep that loader reachable for ever
                removeHook(hook);
            }
        }
    }

    /**
     * One heavy() of the selected barrier here, before it settles: it waits for what is left of membarrier's
     * registration, and loads and initializes what a first heavy() needs, off the caller's path (so that the first
     * heavy() of a construct made in the window, perhaps with the heap full, is an ordinary one). What it throws is
     * left to the callers' own heavy(), which will throw it again.
     */
    private static void warmUp(ProcessBarrier b) {
        try {
            b.heavy();
        } catch (RuntimeException e) {
            // an ErrnoException or ProcessBarrierException: each caller's heavy() reports its own
        }
    }

    /** Tests: when set, the selection waits for it before it begins (to hold the window open). */
    static volatile java.util.concurrent.CountDownLatch holdForTest;
    /** Tests: false leaves out the shutdown hook (the control of the exit test). */
    static volatile boolean exitHookForTest = true;
    /** Tests: run by the selection's thread right before it hands its WARNINGs to the log (to make that throw). */
    static volatile Runnable handOffForTest;

    /** Tests: the running selection's thread and its exit hook (either may be null). */
    static Thread[] runningForTest() {
        synchronized (LOCK) {
            return new Thread[] {running, exitHook};
        }
    }

    /** Tests: the deferred barrier of this JVM, or null. */
    static DeferredBarrier deferredForTest() {
        synchronized (LOCK) {
            return deferred;
        }
    }
}
