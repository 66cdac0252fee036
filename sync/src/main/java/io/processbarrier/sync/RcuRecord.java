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
    /** The last tag handed to a {@link RcuRecord.Section} of {@link Rcu#read()}; plain, owner only. */
    long serial;
    /** The tag of the open outermost section's handle; 0 if it has none (or it was closed). Plain, owner only. */
    long outerTag;
    /** The tags of the open nested sections' handles, {@code tags[depth - 2]}; created on first use, owner only. */
    long[] tags;

    RcuRecordFields(Thread owner) {
        super(owner);
    }
}

/**
 * One thread's reader record for one {@link Rcu}, padded so that no other thread writes its cache line: the owner
 * writes {@code epoch}, a grace period only reads it. Held by the {@code Rcu}'s registry only (it refers to its thread
 * weakly: see {@link ReaderRegistry.Slot}). The read side's entry is in {@link Rcu}.
 *
 * <p><b>Handles.</b> A section entered with {@link Rcu#read()} gets a {@link Section} of its own that carries a tag
 * unique to the section, noted in the record at the section's depth, so that closing a handle twice, or a stale one
 * after the thread entered a new section, is an {@link IllegalStateException} and never ends the new section (issue
 * 30: the record, reused as the handle, ended the later section, and a grace period then completed while it still
 * used the object). No reused object can tell a stale close from a current one (the caller holds the same
 * reference), so the handle is a small object (24 bytes) per section, allocated in {@code read()} itself, which is
 * small enough to be inlined into its caller: in a try-with-resources block escape analysis then removes it (0 bytes
 * per section measured on JDK 17 and Temurin 25 in a quiet JVM), but C2 does not always inline it (under
 * {@code tools/stress-tests} on JDK 17 it kept the handle: 24 bytes per section).
 * {@link Rcu#read(java.util.function.Supplier)}, {@link RcuReference#read} and {@link Rcu.Local} need no handle and
 * never allocate.
 *
 * <p><b>Fault model.</b> Nothing here calls user code, logs or blocks. Misuse (closing on another thread, out of
 * order, twice, or a stale handle) is an {@link IllegalStateException} that leaves the record as it was. A thread
 * that ends inside a section leaves its {@code epoch} set: grace periods skip it (its thread is no longer alive, or
 * was collected) and the registry drops it.
 */
final class RcuRecord extends RcuRecordFields {
    static final VarHandle EPOCH;

    static {
        try {
            EPOCH = MethodHandles.lookup().findVarHandle(RcuRecordFields.class, "epoch", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        linkAccesses();
    }

    /** Links every VarHandle access this class makes: see {@link VarHandleLinks}. */
    private static void linkAccesses() {
        RcuRecord none = null;
        VarHandleLinks.link(
                () -> EPOCH.setRelease(none, 0L));
    }

    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    RcuRecord(Thread owner) {
        super(owner);
    }

    /** Enters a section inside the outermost one (the owner, inside already): depth {@code nest + 2}. */
    void enterNested() {
        int n = nest + 1; // the new section's index among the nested ones, from 1
        if (n == Integer.MAX_VALUE - 1) {
            throw new IllegalStateException("read(): sections nested " + n + " deep; a Reader is not closed");
        }
        nest = n;
    }

    /** The depth of the innermost open section (0 outside); owner only. */
    int depth() {
        return epoch == 0 ? 0 : nest + 1;
    }

    /** Leaves the innermost section, whatever entered it (the caller pairs it with its own entry). */
    void exitInnermost() {
        int n = nest;
        if (n > 0) {
            nest = n - 1;
        } else {
            EPOCH.setRelease(this, 0L); // LoadStore|StoreStore: the section's accesses stay before
        }
    }

    /**
     * Leaves the innermost section for an {@link Rcu.Local}: a {@link Section} of it, if any, is stale from now on.
     * The outermost exit is the nest check, one plain store (the handle's tag) and the release store, which is what
     * liburcu's {@code rcu_read_unlock} does besides the tag. An exit with no section open changes nothing and throws.
     */
    void exitLocal() {
        int n = nest; // plain: owner only, and 0 outside a section
        if (n > 0) {
            dropTag(n + 1);
            nest = n - 1;
            return;
        }
        if (epoch == 0) { // plain: our own field
            throw noSection();
        }
        if (outerTag != 0L) { // a load, not a store: only a read() handle's section, left by a Local, has a tag
            outerTag = 0L;
        }
        EPOCH.setRelease(this, 0L); // LoadStore|StoreStore: the section's accesses stay before
    }

    private static IllegalStateException noSection() {
        return new IllegalStateException("Rcu.Local.exit(): no read section is open on this thread");
    }

    /**
     * A new tag for the handle of the section just entered (by {@link Rcu#read()}), noted at its depth: unique per
     * section of this record, so that a handle knows whether its section is still the one open at its depth.
     */
    long newTag() {
        int d = depth();
        long tag = serial + 1;
        serial = tag;
        if (d == 1) {
            outerTag = tag;
        } else {
            nestedTag(d, tag);
        }
        return tag;
    }

    private void nestedTag(int depth, long tag) {
        long[] a = tags;
        if (a == null || a.length < depth - 1) {
            a = tags = Arrays.copyOf(a == null ? new long[0] : a, Math.max(4, 2 * (depth - 1)));
        }
        a[depth - 2] = tag;
    }

    /** The tag noted for the section open at {@code depth} (0 if none: entered without a handle, or closed). */
    private long tagAt(int depth) {
        if (depth == 1) {
            return outerTag;
        }
        long[] a = tags;
        return a != null && a.length >= depth - 1 ? a[depth - 2] : 0L;
    }

    /** Forgets the handle of the section at {@code depth} (it is being left by other means, e.g. a Local). */
    void dropTag(int depth) {
        if (depth == 1) {
            outerTag = 0L;
        } else if (tags != null && tags.length >= depth - 1) {
            tags[depth - 2] = 0L;
        }
    }

    /** Leaves the section whose handle has {@code tag}, if it is the innermost one open. */
    void leave(long tag) {
        Thread t = Thread.currentThread();
        if (!ownedBy(t)) {
            throw new IllegalStateException("Reader.close() on thread '" + t.getName() + "', but the section was "
                    + "entered on another thread: a section must be left by the thread that entered it");
        }
        int n = depth(); // the depth now
        if (n > 0 && tagAt(n) == tag) {
            dropTag(n);
            exitInnermost();
            return;
        }
        for (int d = n - 1; d >= 1; d--) {
            if (tagAt(d) == tag) {
                throw new IllegalStateException("Reader.close(): an inner section (depth " + n + ") is still open;"
                        + " close it first");
            }
        }
        throw new IllegalStateException("Reader.close(): this section is already closed" + (n > 0
                ? "; the thread is in another section now, which stays open" : ""));
    }

    /** The handle of one section entered with {@link Rcu#read()}: its record and its tag. */
    static final class Section implements Rcu.Reader {
        private final RcuRecord record;
        private final long tag;

        Section(RcuRecord record, long tag) {
            this.record = record;
            this.tag = tag;
        }

        @Override
        public void close() {
            record.leave(tag);
        }
    }
}
