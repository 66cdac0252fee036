package io.processbarrier.internal.support;

import java.util.ArrayDeque;

/**
 * How the api and the providers write their log records (logger {@code io.processbarrier}, see
 * {@link Settings#GROUP_ID}): {@link #write} on the caller (selection's WARNINGs: a misconfiguration must never be
 * lost), {@link #submit} off it (the DEBUG line of a correct selection, whose caller must not pay for initializing
 * logging: about 75 ms for {@code java.util.logging} on a 2-vCPU VM, more for Log4j).
 *
 * <p>{@link #submit} queues the record and returns: no logging class is touched on the caller. A daemon thread
 * ({@code processbarrier-log}; it inherits nothing from the caller: {@link LibraryThreads#newThread}) writes the queue
 * in order and ends when it is empty. It holds off its first write for
 * {@link #HOLD_OFF_MILLIS}: an application initializes its logging at startup, about when it calls {@code get()}, and
 * a second thread initializing Log4j at the same moment gets its record dropped (Log4j configures a context on one
 * thread and lets the others log through the default configuration meanwhile: the DEBUG line was lost in 2 of 6 runs).
 * A daemon alone could lose a record when a short program exits first, so while records wait a shutdown hook is
 * registered that writes, on the hook's thread, every record still queued; it is removed once the queue is empty (so
 * that it does not pin a redeployed application's class loader). A record is taken from the queue and written under
 * one lock, so each is written exactly once, by the daemon or by the hook, and the hook waits for a write the daemon
 * is in. A record submitted while the JVM is already shutting down is written on the caller. No thread of this class
 * keeps the JVM alive.
 *
 * <p>What the hook cannot promise: a backend initialized before the exit has a shutdown hook of its own that closes
 * its handlers or appenders, and the JVM runs shutdown hooks concurrently, so a record still queued when a program
 * that already logged exits within {@link #HOLD_OFF_MILLIS} of {@code get()} may be lost (a DEBUG line, never a
 * WARNING of selection, which is written on the caller). A backend the hook initializes during the exit registers no
 * hook of its own, so a program that had not logged yet shows the record when its {@code main} returns. Not after
 * {@code System.exit} on JDK 21 and later: there {@code Runtime.exit} logs (JDK-8301627) before the hooks run, which
 * initializes a configured java.util.logging and its closing hook, and a DEBUG line still queued is written only if
 * this hook wins that race (1 of 10 runs of Temurin 25 on this project's CI machine; 10 of 10 when {@code main}
 * returns, and on OpenJDK 17 either way: {@code ExitLoggingProbe} in the tests). WARNINGs are not exposed to it:
 * once the JVM exits, {@link #write} sends them to standard error.
 *
 * <p>Fault model: whatever the logger throws (a broken handler, an {@code OutOfMemoryError}) is caught per record
 * and never reaches the code that submitted it; the writer goes on with the next record. If the writer thread cannot
 * be started (no native threads left), the records wait for the next submit or the shutdown hook. The writer holds no
 * lock of its caller and runs no callback of it.
 */
public final class LogHandoff {
    /** Guarded by itself: records not yet written. */
    private static final ArrayDeque<Object[]> QUEUE = new ArrayDeque<>();
    /** Under QUEUE's lock: the writer thread, null when none runs. */
    private static Thread writer;
    /** Under QUEUE's lock: the shutdown hook, registered only while records wait (it pins this class loader). */
    private static Thread hook;
    /** Under QUEUE's lock: the hook has started; later records are written on their caller. */
    private static boolean shuttingDown;
    /** Held while a record is taken and written: the hook takes it to wait for a write in progress. */
    private static final Object WRITING = new Object();

    private LogHandoff() {
    }

    /** Queues one record for the logger {@code io.processbarrier}; never blocks on logging, never throws. */
    public static void submit(System.Logger.Level level, String message) {
        boolean now;
        synchronized (QUEUE) {
            now = shuttingDown || !installHook();
            if (!now) {
                QUEUE.add(new Object[] {level, message});
                startWriter();
            }
        }
        if (now) {
            write(level, message);
        }
    }

    /** Under QUEUE's lock. False when the JVM is shutting down (the caller then writes at once). */
    private static boolean installHook() {
        if (hook != null) {
            return true;
        }
        Thread h = thread(new Task(true), "processbarrier-log-at-exit");
        try {
            Runtime.getRuntime().addShutdownHook(h);
        } catch (IllegalStateException shutdownInProgress) {
            shuttingDown = true;
            return false;
        } catch (RuntimeException e) {
            return true; // a security manager said no: the daemon alone, better than nothing
        }
        hook = h;
        return true;
    }

    /**
     * Under QUEUE's lock, once the queue is empty: nothing left to save at exit, so the hook goes, and with it the
     * only strong reference from the JVM to this class loader (a redeployed application's loader can be collected).
     */
    private static void removeHook() {
        Thread h = hook;
        hook = null;
        if (h != null && !shuttingDown) {
            try {
                Runtime.getRuntime().removeShutdownHook(h);
            } catch (IllegalStateException shutdownInProgress) {
                // the hook runs, finds the queue empty and returns
            }
        }
    }

    /** Under QUEUE's lock. */
    private static void startWriter() {
        if (writer != null) {
            return; // it has not yet seen the queue empty: it writes this record too
        }
        try {
            Thread t = thread(new Task(false), "processbarrier-log");
            t.start();
            writer = t;
        } catch (OutOfMemoryError | RuntimeException e) {
            writer = null; // the next submit or the shutdown hook writes the queue
        }
    }

    /** A daemon that inherits nothing from whoever caused it: {@link LibraryThreads#newThread}. */
    private static Thread thread(Runnable r, String name) {
        return LibraryThreads.newThread(r, name);
    }

    /** Writes the queue until it is empty: the daemon writer, or the shutdown hook. */
    private static final class Task implements Runnable {
        private final boolean atExit;

        Task(boolean atExit) {
            this.atExit = atExit;
        }

        @Override
        public void run() {
            if (atExit) {
                synchronized (QUEUE) {
                    shuttingDown = true;
                    QUEUE.notifyAll(); // a daemon holding off stops waiting: the hook writes, the daemon finds none
                }
            }
            if (!atExit) {
                holdOff();
            }
            while (true) {
                // taken and written under WRITING: the hook, once it holds it, sees no write in progress
                synchronized (WRITING) {
                    Object[] r;
                    synchronized (QUEUE) {
                        r = QUEUE.poll();
                        if (r == null) {
                            if (!atExit) {
                                writer = null;
                                removeHook();
                            }
                            return; // every record queued so far is written
                        }
                    }
                    write((System.Logger.Level) r[0], (String) r[1]);
                }
            }
        }
    }

    /**
     * The daemon's first write waits {@link #HOLD_OFF_MILLIS} after it started, unless the JVM starts to shut down
     * first (the hook then writes everything). Why: the first write initializes the logging backend, and under
     * {@code java.util.logging} that registers the backend's own shutdown hook, which closes every handler; a program
     * that exits right after {@code get()} would then race two hooks, and a record written after the handlers closed
     * is lost (seen in 4-5 of 6 runs). Written by this class's hook during the shutdown instead, the backend is
     * initialized without a hook of its own and the record reaches the log. A process that lives longer sees its
     * records that much later.
     */
    private static void holdOff() {
        long end = System.nanoTime() + holdOffMillis * 1_000_000L;
        synchronized (QUEUE) {
            long left;
            while (!shuttingDown && (left = end - System.nanoTime()) > 0) {
                try {
                    QUEUE.wait(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    // nobody interrupts this thread on purpose: carry on
                }
            }
        }
    }

    /** See {@link #holdOff()}. */
    static final long HOLD_OFF_MILLIS = 1000;
    /**
     * {@link #HOLD_OFF_MILLIS}, or longer for a test that must exit within the hold-off whatever the machine's load
     * (a program that exits at once); set before the first {@code get()}, read by the daemon only.
     */
    static volatile long holdOffMillis = HOLD_OFF_MILLIS;

    /** Writes one record now, on the caller's thread; never throws. */
    public static void write(System.Logger.Level level, String message) {
        if (level.getSeverity() >= System.Logger.Level.WARNING.getSeverity() && jvmExiting()) {
            // the JVM is exiting: the backend may refuse to start now (Log4j: "Cannot start ShutdownCallbackRegistry,
            // already shutting down", the record dropped) or be closing in its own hook; standard error is still open
            System.err.println(level.getName() + " " + Settings.GROUP_ID + ": " + message
                    + " [written to standard error: the JVM was exiting]");
            System.err.flush();
            return;
        }
        try {
            System.getLogger(Settings.GROUP_ID).log(level, message);
        } catch (Throwable t) {
            // a logger that fails must not take the library down with it; there is nowhere else to report it
        }
    }

    /**
     * Whether the JVM has begun to exit: the one reliable test is that a shutdown hook can no longer be added (asked
     * for a WARNING only, which is rare: it makes an unstarted thread and adds and removes it).
     */
    private static boolean jvmExiting() {
        try {
            Thread probe = LibraryThreads.newThread(new NoOp(), "processbarrier-exit-probe");
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException shutdownInProgress) {
            return true;
        } catch (Throwable t) {
            return false; // a security manager, or no memory for the probe: write through the logger, as before
        }
    }

    private static final class NoOp implements Runnable {
        @Override
        public void run() {
        }
    }

    /** Waits until every record submitted so far is written (tests). */
    static void drainForTests() throws InterruptedException {
        while (true) {
            synchronized (WRITING) {
                synchronized (QUEUE) {
                    if (QUEUE.isEmpty()) {
                        return;
                    }
                }
            }
            Thread.sleep(1);
        }
    }
}
