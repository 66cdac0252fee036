package io.processbarrier.internal;

import io.processbarrier.internal.support.LibraryThreads;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The class-path-wide {@link ServiceLoader} scan for providers, off the caller of {@code get()}: it costs 8-10 ms of
 * a fresh JVM on JDK 17 and 20-22 ms on Temurin 25 (2-vCPU VM; mostly the platform class loader opening the JDK's
 * module image to look for the service file), while the project's own providers are found by name in microseconds.
 * It runs on a daemon thread of its own ({@code processbarrier-providers}, inheriting nothing from the caller), and
 * anyone who needs its answer ({@link #await()}) waits for it, or runs it on their own thread if the daemon has not
 * claimed it yet (it could not be started, or has not been scheduled): exactly one thread scans.
 *
 * <p>Fault model: a broken service entry ({@link ServiceConfigurationError}, a {@link LinkageError}) is kept as a
 * load failure, as selection always did; any other throwable of the scan ends it with what it found so far, kept as a
 * failure too, so a waiter never waits for a scan that died. The waiter's interrupt status is kept, not thrown.
 */
final class ProviderScan {
    private static final int UNCLAIMED = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;

    private final ClassLoader loader;
    /** Guarded by this. */
    private int state = UNCLAIMED;
    /** Written before DONE under this; read after seeing DONE under this. */
    private final List<ProcessBarrierProvider> found = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    /** Run once the scan is done, on the thread that ran it (selection's late check); may be null. */
    private volatile Runnable onDone;

    /** Runs first on the thread that scans (tests hold the scan back with it); null: none. */
    private final Runnable before;

    ProviderScan(ClassLoader loader) {
        this(loader, null);
    }

    ProviderScan(ClassLoader loader, Runnable before) {
        this.loader = loader;
        this.before = before;
    }

    /**
     * Starts the daemon (selection does so once the first get() has chosen); if it cannot start, the first
     * {@link #await()} scans on its own thread.
     */
    void start(Runnable whenDone) {
        onDone = whenDone; // volatile: set before the thread that reads it starts
        try {
            LibraryThreads.newThread(new Body(this), "processbarrier-providers").start(); // inherits nothing
        } catch (OutOfMemoryError | RuntimeException e) {
            // await() runs it
        }
    }

    private static final class Body implements Runnable {
        private final ProviderScan scan;

        Body(ProviderScan scan) {
            this.scan = scan;
        }

        @Override
        public void run() {
            scan.runIfUnclaimed();
        }
    }

    /** Whether the scan is done (then {@link #found()} and {@link #failures()} are final). */
    synchronized boolean isDone() {
        return state == DONE;
    }

    /** Waits until the scan is done, scanning here if nobody has started; never throws. */
    void await() {
        runIfUnclaimed();
        boolean interrupted = false;
        synchronized (this) {
            while (state != DONE) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void runIfUnclaimed() {
        synchronized (this) {
            if (state != UNCLAIMED) {
                return;
            }
            state = RUNNING;
        }
        List<ProcessBarrierProvider> f = new ArrayList<>();
        List<Throwable> e = new ArrayList<>();
        try {
            if (before != null) {
                before.run();
            }
            scan(f, e);
        } catch (Throwable t) {
            e.add(t); // what was found so far stands; the cause is reported as a load failure
        } finally {
            synchronized (this) {
                found.addAll(f);
                failures.addAll(e);
                state = DONE;
                notifyAll();
            }
        }
        Runnable r = onDone;
        if (r != null) {
            try {
                r.run();
            } catch (RuntimeException | LinkageError ignored) {
                // the late check only logs: nothing to undo
            }
        }
    }

    private void scan(List<ProcessBarrierProvider> f, List<Throwable> e) {
        Iterator<ProcessBarrierProvider> it = ServiceLoader.load(ProcessBarrierProvider.class, loader).iterator();
        // hasNext()/next() throw ServiceConfigurationError for a broken entry and move past it; the bound keeps a
        // loader that fails forever from spinning forever.
        for (int guard = 0; guard < 1000; guard++) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                f.add(it.next());
            } catch (ServiceConfigurationError | LinkageError err) {
                e.add(err);
            }
        }
    }

    synchronized List<ProcessBarrierProvider> found() {
        return new ArrayList<>(found);
    }

    synchronized List<Throwable> failures() {
        return new ArrayList<>(failures);
    }
}
