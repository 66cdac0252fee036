package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/** The fields of a reader record (see {@link RcuRecord}); all written by the owner thread only. */
abstract class RcuRecordFields extends ReaderRegistry.Slot { // padded before by Slot
    /**
     * 0 outside a section, else the grace period loaded on entry (at least 1), so it also says whether the owner is
     * inside. Opaque/release stores by the owner only, which also reads it plain.
     */
    long epoch;
    /** The depth beyond the outermost section (0 in an outermost one); plain, owner only. */
    int nest;
    /** The handles of depths 2, 3, ...; created on first use, owner only. */
    RcuRecord.Nested[] nested;

    RcuRecordFields(Thread owner) {
        super(owner);
    }
}

/**
 * One thread's reader record for one {@link Rcu}, which is also its handle ({@link Rcu.Reader}) for an outermost
 * section, padded so that no other thread writes its cache line: the owner writes {@code epoch}, a grace period only
 * reads it. Held by the {@code Rcu}'s registry only. The read side's entry is {@link Rcu#read()}.
 *
 * <p><b>Fault model.</b> Nothing here calls user code, logs, blocks or allocates after a thread's first section at
 * each depth. Misuse (closing on another thread, or out of order) is an {@link IllegalStateException} that
 * leaves the record as it was. A thread that ends inside a section leaves its {@code epoch} set: grace periods skip
 * it ({@link Thread#isAlive()} {@code false}) and the registry drops it.
 */
final class RcuRecord extends RcuRecordFields implements Rcu.Reader {
    static final VarHandle EPOCH;

    static {
        try {
            EPOCH = MethodHandles.lookup().findVarHandle(RcuRecordFields.class, "epoch", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    RcuRecord(Thread owner) {
        super(owner);
    }

    /** Enters a section inside the outermost one: depth {@code nest + 2}. */
    Rcu.Reader enterNested() {
        int n = nest + 1; // the new section's index among the nested ones, from 1
        if (n == Integer.MAX_VALUE - 1) {
            throw new IllegalStateException("read(): sections nested " + n + " deep; a Reader is not closed");
        }
        Nested[] a = nested;
        if (a == null || a.length < n) {
            a = nested = Arrays.copyOf(a == null ? new Nested[0] : a, Math.max(4, 2 * n));
        }
        Nested h = a[n - 1];
        if (h == null) {
            h = a[n - 1] = new Nested(this, n + 1);
        }
        nest = n;
        return h;
    }

    /** Leaves the outermost section. */
    @Override
    public void close() {
        leave(1);
    }

    void leave(int depth) {
        Thread t = Thread.currentThread();
        if (!ownedBy(t)) {
            throw new IllegalStateException("Reader.close() on thread '" + t.getName() + "', but the section was "
                    + "entered on another thread: a section must be left by the thread that entered it");
        }
        int n = epoch == 0 ? 0 : nest + 1; // the depth now
        if (n != depth) {
            throw new IllegalStateException(n < depth
                    ? "Reader.close(): this section (depth " + depth + ") is already closed"
                    : "Reader.close(): an inner section (depth " + n + ") is still open; close it first");
        }
        if (depth == 1) {
            EPOCH.setRelease(this, 0L); // LoadStore|StoreStore: the section's accesses stay before
        } else {
            nest = depth - 2;
        }
    }

    /** The handle of a nested section: only counts. */
    static final class Nested implements Rcu.Reader {
        private final RcuRecord record;
        private final int depth;

        Nested(RcuRecord record, int depth) {
            this.record = record;
            this.depth = depth;
        }

        @Override
        public void close() {
            record.leave(depth);
        }
    }
}
