package io.processbarrier.sync;

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

    RcuLocal(Rcu rcu, RcuRecord record, Thread thread) {
        this.rcu = rcu;
        this.record = record;
        this.thread = thread;
    }

    private void check(String what) {
        Thread t = Thread.currentThread();
        if (t != thread) {
            throw new IllegalStateException("Rcu.Local." + what + "() on thread '" + t.getName() + "', but the handle"
                    + " belongs to '" + thread.getName() + "': call rcu.local() on each thread that reads");
        }
    }

    @Override
    public void enter() {
        check("enter");
        rcu.enter(record);
    }

    @Override
    public void exit() {
        check("exit");
        RcuRecord r = record;
        int d = r.depth();
        if (d == 0) {
            throw new IllegalStateException("Rcu.Local.exit(): no read section is open on this thread");
        }
        r.dropTag(d); // a Reader of read() for this section, if any, is stale from now on
        r.exitInnermost();
    }

    @Override
    public String toString() {
        return "Rcu.Local[" + thread.getName() + "]";
    }
}
