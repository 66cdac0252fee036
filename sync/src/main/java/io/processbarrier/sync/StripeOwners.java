package io.processbarrier.sync;

import io.processbarrier.sync.internal.VirtualThreads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Where a <em>virtual</em> thread without a record keeps the state of its sections (depth or holds, the stripe's
 * phase) while it is inside: in its stripe's <em>owner slot</em> if the slot is free, else in a {@code ThreadLocal}
 * of the construct (it "spills"). As {@code ReentrantReadWriteLock}'s {@code firstReader}: a virtual thread whose
 * first section is also its last, the thread-per-request case, takes the slot with one CAS and gives it back with one
 * store, and allocates nothing; a {@code ThreadLocal} would create the thread's map on its first {@code get()} (136
 * of the 168 bytes a first section allocated). Platform threads keep using the {@code ThreadLocal} (see
 * {@link #isVirtual}). The slot holds its thread only while that thread is inside (as {@code firstReader}, a thread
 * that ends inside a section stays reachable: its hold stays too; and after an {@link Error} at the release, see the
 * fault model); the counters of the stripes are what writers and grace periods read, and they are unchanged: this
 * class only moves where a thread remembers what it entered.
 *
 * <p><b>Spilled state.</b> Each slot counts the virtual threads of its stripe whose state is in the
 * {@code ThreadLocal} right now ({@link OwnerFields#spills}, on the line the slot's owner check loads anyway): a
 * virtual thread looks in its {@code ThreadLocal} only when that count is not 0, so a thread of a stripe where nobody
 * has spilled never creates its map (one that looks while another has spilled does: {@code ThreadLocal.get()} makes
 * the map), and a re-entry (or the lock's upgrade check) still finds a spilled section or hold. A virtual
 * thread's stripe never changes (the JDK's own {@code getId()}), so its slot and its count are found again.
 *
 * <p><b>Promotion.</b> A thread that keeps reading must get a record after {@code promoteAfter} outermost sections.
 * The ThreadLocal counted them; a slot is released after each section, so {@link #route} counts them in a small table
 * of sets of four entries {@code {id, sections}}, the set chosen by a hash of the thread id: a thread that finds its
 * entry counts on, one that does not takes the entry with the fewest sections (ties go to a way chosen by the id).
 * A virtual thread that keeps reading therefore gets its record as long as fewer than about four other threads of
 * its set come between two of its sections while its count is low; one that reads rarely among many may lose its
 * entry again and again and then stays on the stripes (two atomics and a CAS per section, about 20 ns, instead of a
 * record's 2-3 ns): slower, correct, and what "reads rarely" is meant to cost. The table is approximate (opaque
 * accesses, racing threads may lose a count): it only chooses between two correct paths, and nothing of a thread but
 * its id stays in it.
 *
 * <p>Fault model: nothing here allocates after construction, blocks or calls out. An {@link Error} between a claim
 * and its count gives the slot back (the caller's {@code finally}); one that strikes the release itself (a
 * {@code StackOverflowError} at the call) leaves the slot taken by its thread with depth 0: that thread's next
 * section through the slot reuses it, others treat it as taken (they spill) until that thread ends, and then take it
 * over ({@link #claim}). No section goes uncounted.
 */
final class StripeOwners {
    /** {@link #route}: keep the section's state in the stripe's slot (if it is free, else in the ThreadLocal). */
    static final int SLOT = 0;
    /** {@link #route}: the thread has begun more than {@code promoteAfter} outermost sections: give it a record. */
    static final int PROMOTE = 1;
    /** Entries per set of {@link #route}'s table. */
    private static final int WAYS = 4;

    private static final int COUNT_BITS = 16;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    private static final VarHandle THREAD;
    private static final VarHandle SPILLS;
    private static final VarHandle SEEN = MethodHandles.arrayElementVarHandle(long[].class);
    static {
        try {
            THREAD = MethodHandles.lookup().findVarHandle(OwnerFields.class, "thread", Thread.class);
            SPILLS = MethodHandles.lookup().findVarHandle(OwnerFields.class, "spills", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // link every VarHandle and MethodHandle call site now, with the class (linking allocates: see ReaderStripes'
        // static block)
        StripeOwners linked = new StripeOwners(4);
        Thread me = Thread.currentThread();
        Owner o = linked.slot(0);
        linked.claim(me, o);
        o.inside(me);
        linked.spill(o, 1);
        linked.spill(o, -1);
        o.spilled();
        linked.release(o);
        linked.route(1L, 1);
        VirtualThreads.isVirtual(me);
    }

    /**
     * Whether {@code t} is a virtual thread: only those use the slots. A platform thread keeps its state in the
     * {@code ThreadLocal} as before: it is most likely a pool's, which reads again and again, and its map costs it once
     * in a long life; the table could lose its count among more threads than it has entries (a pool of 200), and
     * then it would never get its record. A virtual thread is most likely a request's, whose first read is its last.
     * (Virtual threads also have the JDK's own {@code getId()}: a slot is found again by the id's hash.)
     */
    static boolean isVirtual(Thread t) {
        return VirtualThreads.isVirtual(t);
    }

    /** A stripe's slot, padded on both sides (the padding classes) so that its CAS shares no line with another's. */
    abstract static class OwnerPad {
        int pi;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    /**
     * The slot's fields: {@code thread} by CAS and release store, {@code spills} atomically, the rest plain, by the
     * owning thread only.
     */
    abstract static class OwnerFields extends OwnerPad {
        /**
         * The thread that took this slot, or null: only that thread stores null, after its last exit (or another
         * replaces it once it has ended at depth 0, see {@link StripeOwners#claim}). It is inside only while
         * {@code depth > 0}: an {@link Error} at the release leaves the slot taken with depth 0, and its thread then
         * enters through it as if it were free (other threads spill meanwhile).
         */
        volatile Thread thread;
        /**
         * The virtual threads whose sections on this stripe are kept in the {@code ThreadLocal} right now (their
         * stripe's slot was taken): a virtual thread looks in its {@code ThreadLocal} only when this is not 0, so on
         * a stripe where nobody spilled no thread creates its map. Atomic updates, volatile loads.
         */
        volatile int spills;
        /** The owner's nesting depth (an {@code Rcu}) or read holds (a lock); 0 when free. Owner only. */
        int depth;
        /** The phase index the owner's outermost section counted itself under (an {@code Rcu}). Owner only. */
        int index;
        /** The stripe this slot belongs to. */
        final int stripe;

        OwnerFields(int stripe) {
            this.stripe = stripe;
        }

        /** Whether {@code t} is inside through this slot (opaque: only {@code t} stores itself, and null after). */
        final boolean inside(Thread t) {
            return THREAD.getOpaque(this) == t && depth > 0;
        }

        /** Whether a virtual thread of this stripe may have its state in the {@code ThreadLocal} (a volatile load). */
        final boolean spilled() {
            return spills != 0;
        }
    }

    /** A stripe's owner slot (see the class doc); also the token an {@code Rcu} section's exit gets back. */
    static final class Owner extends OwnerFields {
        long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

        Owner(int stripe) {
            super(stripe);
        }
    }

    private final Owner[] owners;
    /** {@link #route}'s table: sets of {@link #WAYS} entries {@code id << COUNT_BITS | sections}; 0 when free. */
    private final long[] seen;
    private final int seenMask;

    /** @param stripes the number of stripes (a power of two); the table has two sets per stripe */
    StripeOwners(int stripes) {
        if (Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes " + stripes);
        }
        owners = new Owner[stripes];
        for (int i = 0; i < stripes; i++) {
            owners[i] = new Owner(i);
        }
        seen = new long[2 * stripes * WAYS];
        seenMask = 2 * stripes - 1;
    }

    /** The slot of {@code stripe}. */
    Owner slot(int stripe) {
        return owners[stripe];
    }

    /**
     * Takes slot {@code o} for {@code t}: true if it is free (one CAS), already {@code t}'s (left taken with depth 0
     * by an {@link Error}, see {@link OwnerFields#thread}), or left so by a thread that has ended (one CAS); false if
     * another thread has it.
     */
    boolean claim(Thread t, Owner o) {
        Thread h = (Thread) THREAD.getOpaque(o);
        if (h == t) {
            return true;
        }
        // a slot left taken with depth 0 by a thread that has ended (or that got its record and never came back to
        // the slot, once it ends): its end happens-before isAlive() returning false, so its depth is read as it left
        // it; one that ended inside (depth > 0) keeps its slot, as its section or hold stays counted
        return (h == null || (!h.isAlive() && o.depth == 0)) && THREAD.compareAndSet(o, h, t);
    }

    /** Gives the slot back after its owner's last exit: a release store, after the owner's writes to the slot. */
    void release(Owner o) {
        o.depth = 0;
        THREAD.setRelease(o, null);
    }

    /** Adds {@code delta} (1 or -1) to {@code o}'s count of spilled virtual threads: a volatile read-modify-write. */
    void spill(Owner o, int delta) {
        SPILLS.getAndAdd(o, delta);
    }

    /**
     * Counts an outermost section of the thread with id {@code id} in the table (see "Promotion" in the class doc):
     * {@link #PROMOTE} if that makes more than {@code promoteAfter}, else {@link #SLOT}.
     */
    int route(long id, int promoteAfter) {
        int base = entry(id) * WAYS;
        long mine = id << COUNT_BITS;
        int least = base;
        long leastCount = Long.MAX_VALUE;
        for (int k = 0; k < WAYS; k++) {
            int i = base + (int) ((id + k) & (WAYS - 1)); // from a way of the id's own: ties go to different ways
            long e = (long) SEEN.getOpaque(seen, i);
            long c = e & COUNT_MASK;
            if ((e & ~COUNT_MASK) == mine && c != 0) {
                return count(i, mine, c + 1, promoteAfter);
            }
            if (c < leastCount) {
                least = i;
                leastCount = c;
            }
        }
        return count(least, mine, 1, promoteAfter); // not seen lately: the entry that counted the fewest sections
    }

    private int count(int i, long mine, long n, int promoteAfter) {
        if (n > promoteAfter || n > COUNT_MASK) {
            SEEN.setOpaque(seen, i, 0L);
            return PROMOTE;
        }
        SEEN.setOpaque(seen, i, mine | n);
        return SLOT;
    }

    /** The set of {@link #route}'s table of the thread with id {@code id}: not {@code stripeOf}'s hash. */
    int entry(long id) {
        return (int) ((id * 0xC2B2AE3D27D4EB4FL) >>> 40) & seenMask;
    }

    /** Slots taken (their threads inside, or left at depth 0 by an Error): for tests. */
    int slotsHeld() {
        int n = 0;
        for (Owner o : owners) {
            n += o.thread != null ? 1 : 0;
        }
        return n;
    }
}
