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
 * that fails after selection. Usage: {@code RegistrationWindowChild window|fail|fail-fence-control TRIALS}.
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
 * Prints key=value lines: {@code heavyWaited}, {@code preparation}, {@code trials}, {@code forbidden}.
 */
public final class RegistrationWindowChild {
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private RegistrationWindowChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int trials = Integer.parseInt(args[1]);
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
        ProcessBarrier litmusBarrier = mode.equals("fail-fence-control") ? new FenceOnlyAfterFailure(barrier, provider)
                : barrier;
        long[] forbidden = {-1};
        Thread litmus = new Thread(() -> {
            try {
                forbidden[0] = storeBuffering(litmusBarrier, trials);
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
        release.countDown();
        litmus.join(TimeUnit.SECONDS.toMillis(300));
        System.out.println("preparation=" + provider.preparation(true));
        System.out.println("toStringAfter=" + barrier);
        System.out.println("trials=" + trials);
        System.out.println("forbidden=" + forbidden[0]);
    }

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

    /**
     * Store buffering, one trial at a time, two threads that start trial i once both have finished trial i-1 (no
     * third spinning thread: 2 CPUs here); reader: x=1 (opaque), light(), r1=y (opaque); writer: y=1 (opaque),
     * heavy(), r2=x (opaque). Counts r1==0 && r2==0, which the contract forbids.
     */
    static long storeBuffering(ProcessBarrier b, int trials) throws InterruptedException {
        int[] xs = new int[trials];
        int[] ys = new int[trials];
        int[] r1 = new int[trials];
        int[] r2 = new int[trials];
        int[] done = new int[2]; // trials finished by the reader (0) and the writer (1): release/acquire
        Thread reader = new Thread(() -> {
            for (int i = 0; i < trials; i++) {
                while ((int) INTS.getAcquire(done, 1) < i) {
                    Thread.onSpinWait();
                }
                INTS.setOpaque(xs, i, 1);
                b.light();
                r1[i] = (int) INTS.getOpaque(ys, i);
                INTS.setRelease(done, 0, i + 1);
            }
        }, "litmus-reader");
        Thread writer = new Thread(() -> {
            for (int i = 0; i < trials; i++) {
                while ((int) INTS.getAcquire(done, 0) < i) {
                    Thread.onSpinWait();
                }
                INTS.setOpaque(ys, i, 1);
                b.heavy();
                r2[i] = (int) INTS.getOpaque(xs, i);
                INTS.setRelease(done, 1, i + 1);
            }
        }, "litmus-writer");
        reader.setDaemon(true);
        writer.setDaemon(true);
        WRITER[0] = writer;
        reader.start();
        writer.start();
        reader.join();
        writer.join();
        long forbidden = 0;
        for (int i = 0; i < trials; i++) {
            if (r1[i] == 0 && r2[i] == 0) {
                forbidden++;
            }
        }
        return forbidden;
    }

    /**
     * The forbidden fallback, as a control: light() stays a compiler barrier and, once the registration has failed,
     * heavy() is the writer's own fence only (before, the real heavy(), which waits for the registration).
     */
    private static final class FenceOnlyAfterFailure implements ProcessBarrier {
        private final ProcessBarrier real;
        private final MembarrierProvider provider;

        FenceOnlyAfterFailure(ProcessBarrier real, MembarrierProvider provider) {
            this.real = real;
            this.provider = provider;
        }

        @Override
        public void heavy() {
            if (provider.registrationFailure() == null) {
                real.heavy(); // waits for the registration, which then fails: this heavy() uses GLOBAL
            } else {
                VarHandle.fullFence();
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
