package io.processbarrier.sync;

import io.processbarrier.internal.support.DeferredBarrier;

/**
 * {@link Rcu.Local}: a thread's record kept by the caller, so that a section skips the lookup. The thread check is a
 * compare of {@link Thread#currentThread()} with a final field (the handle may hold its thread: it is the caller's
 * object, and the record it reaches refers to the thread weakly). Fault model: misuse from another thread, an exit
 * with no section open, or an entry after close() is an {@link IllegalStateException} that changes nothing; nothing
 * here allocates, blocks or calls out.
 */
final class RcuLocal implements Rcu.Local {
    private final Rcu rcu;
    private final RcuRecord record;
    private final Thread thread;
    /**
     * Whether the {@code Rcu}'s {@code light()} is an acquire fence for good (its barrier, or the one a deferred
     * barrier settled on, is asymmetric): then {@link #enter()} emits that fence itself, without the load of the
     * barrier field and the type check of the call through it: {@code LocalBench.rcuLocalLoop} 1.87-2.16 ns a
     * section before, 1.73-1.86 ns after (four interleaved runs of 2-3 forks, JDK 17, 2 vCPU AMD EPYC, 2026-12-07;
     * the load alone 0.27 ns). Learned after an entry that called through the field, never unlearned. Plain: this
     * thread's handle, used by this thread only.
     */
    private boolean acquireFence;

    RcuLocal(Rcu rcu, RcuRecord record, Thread thread) {
        this.rcu = rcu;
        this.record = record;
        this.thread = thread;
    }

    /** The misuse of a handle on another thread: built off the fast path (the section's code stays small). */
    private IllegalStateException wrongThread(String what) {
        return new IllegalStateException("Rcu.Local." + what + "() on thread '" + Thread.currentThread().getName()
                + "', but the handle belongs to '" + thread.getName() + "': call rcu.local() on each thread that reads");
    }

    /**
     * The thread check (a compare of a field with the current thread, which C2 keeps in a register across a loop),
     * then what {@link Rcu#read()} does after its lookup.
     */
    @Override
    public void enter() {
        if (Thread.currentThread() != thread) {
            throw wrongThread("enter");
        }
        boolean f = acquireFence;
        rcu.enter(record, f);
        if (!f) {
            acquireFence = DeferredBarrier.lightIsAcquireFence(rcu.barrier); // type checks: off the fast path
        }
    }

    @Override
    public void exit() {
        if (Thread.currentThread() != thread) {
            throw wrongThread("exit");
        }
        record.exitLocal();
    }

    @Override
    public String toString() {
        return "Rcu.Local[" + thread.getName() + "]";
    }
}
