package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Where a thread without a record keeps the state of its sections (depth or holds, the stripe's phase) while it is
 * inside: in its stripe's <em>owner slot</em> if the slot is free, else in a {@code ThreadLocal} of the construct (it
 * "spills"). As {@code ReentrantReadWriteLock}'s {@code firstReader}: a thread whose first section is also its last,
 * the thread-per-request case, takes the slot with one CAS and gives it back with one store, and allocates nothing; a
 * {@code ThreadLocal} would create the thread's map on its first {@code get()} (136 of the 168 bytes a first section
 * allocated, about 6-9% of a virtual thread's whole life in {@code ThreadPerRequest}: 2 vCPU AMD EPYC, Temurin 25).
 * The slot holds its thread only while that thread is inside (as {@code firstReader}, a thread that ends inside a
 * section stays reachable: its hold stays too); the counters of the stripes are what writers and grace periods read,
 * and they are unchanged: this class only moves where a thread remembers what it entered.
 *
 * <p><b>Promotion.</b> A thread that keeps reading must get a record after {@code promoteAfter} outermost sections.
 * The ThreadLocal counted them; a slot is released after each section, so {@link #route} counts them in a small table
 * of sets of four entries {@code {id, sections}}, the set chosen by a hash of the thread id: a thread that finds its
 * entry counts on, one that does not takes the entry with the fewest sections (most likely a thread that read once
 * and ended). So up to four threads that keep reading on one set all get their record, a stream of threads that read
 * once wears off only the entries of threads like them, and nothing of a thread but its id stays. Five or more threads
 * that keep reading, all on one set, and that take turns strictly could evict each other for ever: they would then
 * stay on the stripes (two atomics and a CAS per section, about 20 ns, instead of a record's 2-3 ns), slower but
 * correct. The table is approximate (plain opaque accesses, racing threads may lose a count): a lost count delays a
 * promotion, it never makes a section uncounted.
 *
 * <p><b>Spilled state.</b> {@link #spilled()} counts the threads whose state is in the {@code ThreadLocal} right now
 * (inside a section or holding the read lock): a thread checks its {@code ThreadLocal} only when it is not 0, so a
 * thread that never spilled never creates its map, and a re-entry (or the lock's upgrade check) still finds a spilled
 * hold. Fault model: nothing here allocates after construction, blocks or calls out.
 */
final class StripeOwners {
    /** {@link #route}: keep the section's state in the stripe's slot (if it is free, else in the ThreadLocal). */
    static final int SLOT = 0;
    /** {@link #route}: the thread has begun more than {@code promoteAfter} outermost sections: give it a record. */
    static final int PROMOTE = 2;
    /** Entries per set of {@link #route}'s table. */
    private static final int WAYS = 4;

    private static final int COUNT_BITS = 16;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    private static final VarHandle THREAD;
    private static final VarHandle SPILLED;
    private static final VarHandle SEEN = MethodHandles.arrayElementVarHandle(long[].class);

    static {
        try {
            THREAD = MethodHandles.lookup().findVarHandle(OwnerFields.class, "thread", Thread.class);
            SPILLED = MethodHandles.lookup().findVarHandle(Spilled.class, "count", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // link every VarHandle call site now, with the class (linking allocates: see ReaderStripes' static block)
        StripeOwners linked = new StripeOwners(4);
        Thread me = Thread.currentThread();
        Owner o = linked.claim(me, 0);
        linked.heldBy(me, 0);
        linked.release(o);
        linked.route(1L, 1);
        linked.spill(1);
        linked.spill(-1);
        linked.spilled();
    }

    /** A stripe's slot, padded on both sides (the padding classes) so that its CAS shares no line with another's. */
    abstract static class OwnerPad {
        int pi;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    /** The slot's fields: {@code thread} by CAS and release store, the rest plain, by the owning thread only. */
    abstract static class OwnerFields extends OwnerPad {
        /** The thread inside through this slot, or null: only that thread stores null, after its last exit. */
        volatile Thread thread;
        /** The owner's nesting depth (an {@code Rcu}) or read holds (a lock); 0 when free. Owner only. */
        int depth;
        /** The phase index the owner's outermost section counted itself under (an {@code Rcu}). Owner only. */
        int index;
        /** The stripe this slot belongs to. */
        final int stripe;

        OwnerFields(int stripe) {
            this.stripe = stripe;
        }
    }

    /** A stripe's owner slot (see the class doc); also the token an {@code Rcu} section's exit gets back. */
    static final class Owner extends OwnerFields {
        long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

        Owner(int stripe) {
            super(stripe);
        }
    }

    /** The count of spilled threads, on a line of its own (written only when a slot was taken: rarely). */
    static final class Spilled extends OwnerPad {
        volatile long count;
        long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
    }

    private final Owner[] owners;
    /** {@link #route}'s table: sets of {@link #WAYS} entries {@code id << COUNT_BITS | sections}; 0 when free. */
    private final long[] seen;
    private final int seenMask;
    private final Spilled spilled = new Spilled();

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

    /** The slot of {@code stripe} if {@code t} is inside through it, else null (only {@code t} stores itself). */
    Owner heldBy(Thread t, int stripe) {
        Owner o = owners[stripe];
        return THREAD.getOpaque(o) == t ? o : null;
    }

    /** Takes the slot of {@code stripe} for {@code t}: one CAS; null if another thread is inside through it. */
    Owner claim(Thread t, int stripe) {
        Owner o = owners[stripe];
        return o.thread == null && THREAD.compareAndSet(o, null, t) ? o : null;
    }

    /** Gives the slot back after its owner's last exit: a release store, after the owner's writes to the slot. */
    void release(Owner o) {
        o.depth = 0;
        THREAD.setRelease(o, null);
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
        for (int i = base; i < base + WAYS; i++) {
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

    /** Adds {@code delta} (1 or -1) to the count of spilled threads: a volatile read-modify-write. */
    void spill(int delta) {
        SPILLED.getAndAdd(spilled, (long) delta);
    }

    /** The count of spilled threads (a volatile load): 0 means no thread's state is in the {@code ThreadLocal}. */
    long spilled() {
        return spilled.count;
    }

    /** Threads inside through the slots (for tests). */
    int slotsHeld() {
        int n = 0;
        for (Owner o : owners) {
            n += o.thread != null ? 1 : 0;
        }
        return n;
    }
}
