package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A store-buffering (Dekker) litmus harness with no dependency beyond the JDK: the doctor's own version of the
 * project's jcstress suite, for users' hosts and containers.
 *
 * <pre>
 *   reader (a helper thread):  x[i] = 1; barrier.light(); r1[i] = y[i];
 *   writer (the caller):       y[i] = 1; barrier.heavy(); r2[i] = x[i];
 * </pre>
 * Outcome {@code r1[i] == 0 && r2[i] == 0} is forbidden for a working barrier. Each trial has fresh slots and both
 * threads pass a two-party gate right before it, so that they start every trial within a cache-line transfer of each
 * other: the closest race the hardware allows, trial after trial (a batch design without the gate would let the
 * fast reader run ahead of a writer that spends microseconds in heavy(), and race only once per batch).
 *
 * <p>What it can and cannot catch: with a barrier that does nothing, or only fences its caller, the forbidden outcome
 * shows within milliseconds on any multi-CPU machine (the no-barrier control proves it in the same run). A barrier
 * that does nothing but takes microseconds is not caught: a store leaves the store buffer sooner than that. One CPU
 * gives no race at all, which the control shows as zero (inconclusive, never "verified").
 */
final class StoreBuffering implements AutoCloseable {
    /** Outcome counts of one or more runs. */
    record Counts(long trials, long forbidden) {
        Counts plus(Counts o) {
            return new Counts(trials + o.trials, forbidden + o.forbidden);
        }
    }

    /** A "barrier" that does nothing: the control. Same harness code, same call shape as a real provider. */
    static final ProcessBarrier NONE = new ProcessBarrier() {
        @Override
        public void heavy() {
        }

        @Override
        public void light() {
        }

        @Override
        public String name() {
            return "none (control)";
        }

        @Override
        public boolean isAsymmetric() {
            return true;
        }
    };

    /**
     * Two more barriers that do nothing, for {@link #warmUp}: with three receiver types seen, the JIT compiles the
     * calls of light() and heavy() as virtual calls, so that the first real provider does not deoptimise the trial
     * loops back into the interpreter (which separates the store from the load by so long that the control would go
     * blind for the rest of the run).
     */
    private static final ProcessBarrier[] WARM_UP = {NONE, new Noop(), new Noop() { }};

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

    private static final VarHandle GATE = MethodHandles.arrayElementVarHandle(long[].class);
    /** Gate slots in one array, 128 bytes apart: the two counters never share a cache line (nor an adjacent one). */
    private static final int READER = 16;
    private static final int WRITER = 32;
    private static final int SPINS_BEFORE_YIELD = 1 << 12;
    /** About a millisecond or two of spinning and yielding for the next job before the reader parks. */
    private static final int SPINS_BETWEEN_JOBS = 1 << 15;

    /** One batch of trials, handed to the reader thread. */
    private static final class Job {
        final ProcessBarrier barrier;
        final int n;
        final int[] x;
        final int[] y;
        final int[] r1;
        final int[] r2;
        final long[] gate = new long[48];
        volatile boolean readerDone;
        volatile Throwable readerFailure;

        Job(ProcessBarrier barrier, int n) {
            this.barrier = barrier;
            this.n = n;
            x = new int[n];
            y = new int[n];
            r1 = new int[n];
            r2 = new int[n];
        }
    }

    private final Thread reader;
    private volatile Job posted;
    private volatile boolean closed;
    /** Set when either side gives up, so that the other never spins forever at a gate. */
    private volatile boolean abort;

    StoreBuffering() {
        reader = new Thread(this::readerLoop, "processbarrier-verify-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Runs {@code n} trials against {@code barrier}, the calling thread being the writer.
     *
     * @throws RuntimeException whatever heavy() or light() threw (the trials so far are lost: a barrier that throws
     *                          has not been verified)
     */
    Counts run(ProcessBarrier barrier, int n) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        Job job = new Job(barrier, n);
        abort = false;
        posted = job;
        LockSupport.unpark(reader);
        try {
            writer(job);
        } catch (RuntimeException | Error e) {
            abort = true; // the reader leaves its gate and the job; wait for that before the next job resets abort
            for (int spins = 0; !job.readerDone && spins < 1_000_000; spins++) {
                pause(spins);
            }
            throw e;
        }
        // wait for the reader to finish its side (it is at most one trial behind)
        for (int spins = 0; !job.readerDone; spins++) {
            pause(spins);
        }
        if (job.readerFailure != null) {
            Throwable t = job.readerFailure;
            throw t instanceof RuntimeException ? (RuntimeException) t : new IllegalStateException(t);
        }
        long forbidden = 0;
        for (int i = 0; i < n; i++) {
            if (job.r1[i] == 0 && job.r2[i] == 0) {
                forbidden++;
            }
        }
        return new Counts(n, forbidden);
    }

    /**
     * Runs no-barrier trials until the trial loops are compiled (about {@code trials} in all, at most {@code maxNanos}):
     * interpreted, they put so much time between the store and the load that the control would see nothing.
     */
    void warmUp(long trials, long maxNanos) {
        long end = System.nanoTime() + maxNanos;
        for (long done = 0, k = 0; done < trials && System.nanoTime() < end; k++) {
            done += run(WARM_UP[(int) (k % WARM_UP.length)], 1024).trials();
        }
    }

    private void writer(Job job) {
        final ProcessBarrier b = job.barrier;
        final int[] x = job.x;
        final int[] y = job.y;
        final int[] r2 = job.r2;
        final long[] gate = job.gate;
        for (int i = 0; i < job.n; i++) {
            GATE.setRelease(gate, WRITER, (long) i + 1);
            awaitGate(gate, READER, i + 1);
            y[i] = 1;
            b.heavy();
            r2[i] = x[i];
        }
    }

    private void readerLoop() {
        int idle = 0;
        while (!closed) {
            Job job = posted;
            if (job == null) {
                // Between the batches of a run, stay on this CPU: a parked reader may be woken on the writer's CPU
                // (wake-affine scheduling, or a busy machine), and two threads on one CPU never race.
                if (++idle < SPINS_BETWEEN_JOBS) {
                    pause(idle);
                } else {
                    LockSupport.parkNanos(this, 1_000_000);
                }
                continue;
            }
            idle = 0;
            posted = null;
            try {
                reader(job);
            } catch (Throwable t) {
                job.readerFailure = t;
                abort = true;
            } finally {
                job.readerDone = true;
            }
        }
    }

    /** One method per side and job, so that the JIT compiles the trial loops early and as a whole. */
    private void reader(Job job) {
        final ProcessBarrier b = job.barrier;
        final int[] x = job.x;
        final int[] y = job.y;
        final int[] r1 = job.r1;
        final long[] gate = job.gate;
        for (int i = 0; i < job.n; i++) {
            GATE.setRelease(gate, READER, (long) i + 1);
            awaitGate(gate, WRITER, i + 1);
            x[i] = 1;
            b.light();
            r1[i] = y[i];
        }
    }

    private void awaitGate(long[] gate, int slot, long value) {
        for (int spins = 0; (long) GATE.getAcquire(gate, slot) < value; spins++) {
            if (abort) {
                throw new IllegalStateException("the other side of the litmus test gave up");
            }
            pause(spins);
        }
    }

    /** Spin while the other thread is running; yield when it seems not to be (fewer CPUs than threads). */
    private static void pause(int spins) {
        if (spins < SPINS_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    @Override
    public void close() {
        closed = true;
        abort = true;
        LockSupport.unpark(reader);
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
