package io.processbarrier.membarrier;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.internal.support.Settings;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs in a fresh JVM (registration is per process and permanent): the window between {@code prepare()} (which
 * returns at once, the registration running in the background) and the end of the registration, and a registration
 * that fails after selection. Usage: {@code RegistrationWindowChild window|fail|fail-fence-control ROUNDS}.
 * <ul>
 *   <li>{@code window}: the registration is held (the test's registrar waits on a latch) until a heavy() is seen
 *       waiting for it; then released; then a store-buffering litmus (reader: store x, light(), load y; writer:
 *       store y, heavy(), load x) from the first heavy() on, while a fresh registration of the real kind runs.</li>
 *   <li>{@code fail}: the registration fails (EPERM, as a seccomp rule on REGISTER alone would make it) after a
 *       heavy() is seen waiting for it: every heavy() then uses MEMBARRIER_CMD_GLOBAL; the same litmus.</li>
 *   <li>{@code fail-fence-control}: the broken fallback the design forbids: after the failure, heavy() is a plain
 *       fence (the writer's full fence only). The litmus is expected to find forbidden outcomes: it shows that the
 *       litmus can fail.</li>
 * </ul>
 * Prints key=value lines: {@code heavyWaited}, {@code preparation}, {@code rounds}, {@code forbidden}.
 */
public final class RegistrationWindowChild {
    private RegistrationWindowChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int rounds = Integer.parseInt(args[1]);
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        boolean fail = mode.startsWith("fail");
        Runnable registrar = () -> {
            claimed.countDown();
            awaitQuietly(release);
            if (fail) {
                throw new ErrnoException("membarrier(cmd=16, flags=0)", ErrnoException.EPERM);
            }
            Membarrier.call(Membarrier.CMD_REGISTER_PRIVATE_EXPEDITED, 0);
        };
        warmUp();
        MembarrierProvider provider = new MembarrierProvider(Settings.system(), registrar);
        if (!provider.probe().isAvailable() || provider.command() != Membarrier.CMD_PRIVATE_EXPEDITED) {
            throw new IllegalStateException("this kernel offers no PRIVATE_EXPEDITED: " + provider.probe());
        }
        provider.prepare(); // returns at once: the registration runs on processbarrier-membarrier-register
        if (!claimed.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the background registration never started");
        }
        AsymmetricProcessBarrier barrier = new AsymmetricProcessBarrier(provider, true);
        System.out.println("registering=" + provider.isRegistering());
        System.out.println("toString=" + barrier);

        // the litmus starts inside the window: its writer's first heavy() must wait for the registration, never
        // return before it can order every thread (the reader's light() is already a compiler barrier)
        ProcessBarrier litmusBarrier = mode.equals("fail-fence-control") ? new FenceAfterFirstHeavy(barrier)
                : barrier;
        long[] forbidden = {-1};
        Thread litmus = new Thread(() -> {
            try {
                forbidden[0] = storeBuffering(litmusBarrier, rounds);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "litmus");
        litmus.setDaemon(true);
        litmus.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!waitingForRegistration(WRITER)) {
            if (System.nanoTime() > deadline || !litmus.isAlive()) {
                throw new IllegalStateException("the litmus writer's first heavy() did not wait for the registration: "
                        + (WRITER[0] == null ? "no writer" : WRITER[0].getState()));
            }
            Thread.onSpinWait();
        }
        System.out.println("heavyWaited=true");
        System.out.println("registeringWhileWaiting=" + provider.isRegistering());
        long started = System.nanoTime();
        release.countDown();
        litmus.join(TimeUnit.SECONDS.toMillis(300));
        long litmusMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        int attempts = 1;
        if (litmusBarrier != barrier) {
            // the control, again at the same count while it finds nothing: on a loaded 2-vCPU machine the reader is
            // often not running beside the writer, and a run of a few hundred rounds then sees no race at all (seen: 6
            // of 10 runs of 300 rounds found none, the others 39-89)
            while (forbidden[0] == 0 && attempts < CONTROL_ATTEMPTS) {
                attempts++;
                forbidden[0] = storeBuffering(litmusBarrier, rounds);
            }
        }
        System.out.println("attempts=" + attempts);
        System.out.println("preparation=" + provider.preparation(true));
        System.out.println("toStringAfter=" + barrier);
        System.out.println("rounds=" + rounds);
        System.out.println("forbidden=" + forbidden[0]);
        System.out.println("litmusMillis=" + litmusMillis);
    }

    /**
     * Compiles both sides of the litmus before it starts (a few hundred rounds of GLOBAL are too few for the JIT,
     * and interpreted, the writer puts so much time between its fence and its load that the control sees nothing):
     * rounds against three barriers that do nothing, so that the calls of light() and heavy() are compiled as virtual
     * calls and the real barrier deoptimises nothing, and through the control's barrier, both of its paths.
     */
    static void warmUp() throws InterruptedException {
        ProcessBarrier[] noops = {new Noop(), new Noop() { }, new Noop() { }};
        for (int i = 0; i < 30; i++) {
            ProcessBarrier noop = noops[i % noops.length];
            storeBuffering(i % 2 == 0 ? noop : new FenceAfterFirstHeavy(noop), 2_000); // the control's code too
        }
        WRITER[0] = null;
    }

    private static class Noop implements ProcessBarrier {
        @Override
        public void heavy() {
        }

        @Override
        public void light() {
        }

        @Override
        public String name() {
            return "noop";
        }

        @Override
        public boolean isAsymmetric() {
            return true;
        }
    }

    /** How many runs of the litmus the control may take to find a forbidden outcome. */
    static final int CONTROL_ATTEMPTS = 20;

    /** The litmus writer thread, once started. */
    private static final Thread[] WRITER = new Thread[1];

    private static boolean waitingForRegistration(Thread[] holder) {
        Thread t = holder[0];
        return t != null && waitingForRegistration(t);
    }

    private static boolean waitingForRegistration(Thread t) {
        if (t.getState() != Thread.State.WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals("awaitRegistration")) {
                return true;
            }
        }
        return false;
    }

    private static void awaitQuietly(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The reader's trial number (X), the writer's round (Y): 128 bytes apart, never on one cache line. */
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int X = 16;
    private static final int Y = 48;

    /**
     * Store buffering with a reader that never waits for the writer (the lock-step form, one reader trial per
     * writer trial, needs about 750 trials per forbidden outcome of a writer-only fence here: at a few hundred
     * trials it could not fail). Reader, trial after trial {@code k = 1, 2, ...}: X=k (opaque), light(), read Y
     * (opaque). Writer, round after round {@code j = 1..rounds}: read X until the reader has run two more trials
     * (the reader is running, and X's cache line is shared, so the reader's next store waits in its store buffer),
     * then Y=j (opaque), heavy(), r2[j]=X (opaque). For each round, the trial right after the last one the writer saw,
     * {@code k = r2[j] + 1}, is a store-buffering pair with it: the writer did not see its store, so it must have seen
     * Y=j; the reader records, per round, the first trial that saw it ({@code firstSeen[j]}, Y only grows). A round
     * is forbidden when {@code r2[j] + 1 < firstSeen[j]}. A slow heavy() (GLOBAL: 10-15 ms) covers millions of reader
     * trials per round, a fence a few: the count is of writer rounds. Before its store, the writer waits 0-15 more reads
     * of X, a different delay each round: with one fixed delay, whether the writer's store meets the reader's buffered
     * store depended on the run (on the loaded 2-vCPU VM, JDK 17, 300 rounds of the fence-only control found 0-1 in 2
     * of 6 runs without it, 7-35 in 6 of 6 with it; a later batch of 10 with it found none in 6, in which the reader
     * mostly took hundreds to a million spins to advance after a round: it was not running beside the writer).
     */
    static long storeBuffering(ProcessBarrier b, int rounds) throws InterruptedException {
        long[] m = new long[64];
        long[] r2 = new long[rounds + 1];
        long[] firstSeen = new long[rounds + 1];
        Thread reader = new Thread(() -> reader(b, m, firstSeen, rounds), "litmus-reader");
        Thread writer = new Thread(() -> writer(b, m, r2, rounds), "litmus-writer");
        reader.setDaemon(true);
        writer.setDaemon(true);
        WRITER[0] = writer;
        reader.start();
        writer.start();
        writer.join();
        reader.join();
        long forbidden = 0;
        for (int j = 1; j <= rounds; j++) {
            if (r2[j] + 1 < firstSeen[j]) {
                forbidden++;
            }
        }
        return forbidden;
    }

    /**
     * The reader's loop. Each trial, and each writer round, is a method of its own: called thousands of times by the
     * warm-up, it is compiled for a normal call (a loop alone would run interpreted until its backedge counter
     * overflows, and the writer's loop only runs a few hundred rounds).
     */
    private static void reader(ProcessBarrier b, long[] m, long[] firstSeen, int rounds) {
        int seen = 0;
        for (long k = 1; seen < rounds; k++) { // ends once it has seen the last round's Y
            int y = trial(b, m, k);
            while (seen < y) {
                firstSeen[++seen] = k; // plain: read by the main thread after join()
            }
        }
    }

    private static int trial(ProcessBarrier b, long[] m, long k) {
        LONGS.setOpaque(m, X, k);
        b.light();
        return (int) (long) LONGS.getOpaque(m, Y);
    }

    /** Called by the litmus writer before each round when set (SelectionWindowChild opens the window from it). */
    static volatile java.util.function.IntConsumer roundHook;

    private static void writer(ProcessBarrier b, long[] m, long[] r2, int rounds) {
        java.util.function.IntConsumer hook = roundHook;
        for (int j = 1; j <= rounds; j++) {
            if (hook != null) {
                hook.accept(j); // between rounds: never between a round's store and its heavy()
            }
            r2[j] = round(b, m, j); // plain store: read by the main thread after join()
        }
    }

    private static long round(ProcessBarrier b, long[] m, int j) {
        long x0 = (long) LONGS.getOpaque(m, X);
        while ((long) LONGS.getOpaque(m, X) < x0 + 2) {
            Thread.onSpinWait(); // the reader is running: 2 CPUs, no third thread spins
        }
        for (int d = j & 15; d > 0; d--) {
            LONGS.getOpaque(m, X); // a delay of 0-15 reads that differs from round to round: see storeBuffering
        }
        LONGS.setOpaque(m, Y, (long) j);
        b.heavy();
        return (long) LONGS.getOpaque(m, X);
    }

    /**
     * The forbidden fallback, as a control: light() stays a compiler barrier; the first heavy() is the real one (it
     * waits for the registration, which fails in this mode, then uses GLOBAL), every later one is the writer's own
     * fence only. The child prints {@code preparation}, which says the registration failed.
     */
    private static final class FenceAfterFirstHeavy implements ProcessBarrier {
        private final ProcessBarrier real;
        /** Written and read by the litmus writer only. */
        private boolean fenceOnly;

        FenceAfterFirstHeavy(ProcessBarrier real) {
            this.real = real;
        }

        @Override
        public void heavy() {
            if (fenceOnly) {
                VarHandle.fullFence();
            } else {
                real.heavy();
                fenceOnly = true;
            }
        }

        @Override
        public void light() {
            real.light();
        }

        @Override
        public String name() {
            return "fence-only-after-failure";
        }

        @Override
        public boolean isAsymmetric() {
            return true;
        }
    }
}
