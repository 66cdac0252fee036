package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The per-thread reader slots of one construct (an {@link Rcu}, a {@link ReadMostlyLock}): each thread gets its own
 * slot on its first read, registered here so that a writer can scan every slot. Slots of threads that ended (and that
 * the construct calls {@linkplain Slot#abandoned() abandoned}) are dropped, so the registry, and a writer's scan, stay
 * bounded by the threads alive rather than by every thread that ever read (a million short-lived virtual threads leave
 * a few dozen slots).
 *
 * <p><b>Why not a {@link ThreadLocal}.</b> The read side finds its slot on every entry (and a lock's {@code unlock()}
 * once more), so the lookup is most of what a read section costs. Measured with {@code RcuBench.rcuRead} (1 thread,
 * 2 vCPU AMD EPYC, JDK 17): a section cost 8.8 ns through a {@code ThreadLocal}, the same through an open-addressing
 * table reached through the registry, and 4.8 ns through the front cache below, kept in a final field of the
 * construct. The difference is the chain of dependent loads: {@code front[id & (FRONT - 1)]} needs no load of the
 * table or of its length before the cell. Threads that share a cell (ids {@code FRONT} apart), and first calls,
 * fall back to the table. Both live and die with the construct (no entry in any thread's map outlives it).
 *
 * <p><b>Why the lookup is safe without a lock.</b> The table is replaced (a new array, published with a release store)
 * when it grows or is pruned, and otherwise only gains slots in empty cells (release stores); the front cache is
 * written the same way, under the lock only, and never by a reader, so it stays read-only while no thread registers.
 * A reader loads the table with acquire and its cells with plain loads: a cell it reads is either empty, a slot of
 * another thread (it compares only the identity of the slot's thread, {@link Slot#ownedBy}), or its own slot, which it
 * registered itself. Its own slot is in every table published after its registration (pruning keeps the slots of live threads) and in the one it registered into, so a
 * miss can only come from an unstable {@code Thread.getId()} (a subclass may override it) or a stale read, and the
 * slow path then searches the whole registry under the lock before it registers anything: the id is a hint, never the
 * identity.
 *
 * <p><b>Scans.</b> {@link #slots()} is a dense array, replaced on every registration and pruning and never changed
 * after publication: writers iterate it without a lock. The lock given to the constructor orders registrations with
 * whatever the construct does under it (a read-mostly lock registers under its mutex, so a registering reader sees a
 * writer's flag; {@link Rcu} takes it around its snapshot, so that a thread registering later sees the grace
 * period's stores).
 *
 * <p><b>Nothing of an ended thread stays reachable.</b> A slot refers to its thread weakly (it is a
 * {@link WeakReference}), so a thread that ended is collected with its context class loader whether or not anything
 * prunes the registry; the slot itself (a few hundred bytes of padding and counters, no reference to anything of
 * the thread) stays until the next pruning. Only threads that read often get a slot at all: the constructs serve a
 * thread's first sections without one (see their read sides), so a thread per request never registers.
 *
 * <p>Costs: {@link #current()} is a few loads after the thread's first call; registration takes the lock and copies the
 * dense array, O(registered); pruning is O(registered) and happens when the registry has doubled since the last one,
 * so registrations cost amortized O(registered live). A {@link ReentrantLock}, not {@code synchronized}: a virtual
 * thread blocked on it does not pin its carrier (JDK 21).
 *
 * @param <S> the slot type; a slot's hot fields are written by its owner thread only (padded by the construct)
 */
final class ReaderRegistry<S extends ReaderRegistry.Slot> {

    /**
     * A thread's slot: whose it is, and whether it may be dropped. The slot <em>is</em> a weak reference to its
     * thread: the lookup compares identity with {@link #refersTo} (an intrinsic: one load of the referent and a
     * compare, what comparing a strong {@code final Thread} field cost), and nothing here keeps an ended thread, or
     * its context class loader, reachable. Once the thread is collected the slot refers to nothing, matches no thread
     * and is {@linkplain #abandoned() abandoned}. (Keeping the id and comparing it instead would let a {@code Thread}
     * subclass that overrides {@code getId()} on JDK 17 alias another thread's slot; identity cannot be forged.)
     * <p>The referent sits right after the object header; the owner only reads it (the collector writes
     * {@code discovered} during a pause). The owner's written fields come after 128 bytes of padding, so that
     * whatever object precedes the slot in memory (and the line the CPU prefetches with it) is off their lines.
     * {@code pi} takes the 4 bytes after {@code Reference}'s fields, where the JVM (JDK 15+ field layout) would
     * otherwise put the first 4-byte field of a subclass (measured: with a record's hot int there, two reading threads
     * ran 10x slower).
     */
    abstract static class Slot extends WeakReference<Thread> {
        int pi;
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
        /** The owner's id when it registered: where the slot sits in the tables (a hint: see the class doc). */
        final long id;

        Slot(Thread owner) {
            super(owner);
            this.id = owner.getId();
        }

        /** Whether {@code t} is the slot's thread: identity, never the id. */
        final boolean ownedBy(Thread t) {
            return refersTo(t);
        }

        /** The slot's thread, or null once it ended and was collected: for liveness checks and stall warnings. */
        final Thread owner() {
            return get();
        }

        /** Whether the owner has ended (or was collected). */
        final boolean ownerGone() {
            Thread t = get();
            return t == null || !t.isAlive();
        }

        /**
         * Whether the slot can be dropped: its owner ended, and nothing of the slot still matters to writers. Called
         * under the registry's lock.
         */
        boolean abandoned() {
            return ownerGone();
        }
    }

    /** Prune no earlier than this many registrations: a tiny registry is cheaper to scan than to prune. */
    static final int MIN_PRUNE = 64;
    private static final int MIN_TABLE = 16;
    private static final Slot[] NONE = new Slot[0];
    /** Cells of the front cache: a power of two, 1 KB of references. */
    static final int FRONT = 256;
    private static final VarHandle TABLE;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(Slot[].class);

    static {
        try {
            TABLE = MethodHandles.lookup().findVarHandle(ReaderRegistry.class, "table", Slot[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // every VarHandle access of this class linked now, with the class: see VarHandleLinks
        ReaderRegistry<?> none = null;
        Slot[] noTable = null;
        Slot noSlot = null;
        VarHandleLinks.link(
                () -> { Slot[] t = (Slot[]) TABLE.getAcquire(none); },
                () -> TABLE.setRelease(none, noTable),
                () -> CELL.setRelease(noTable, 0, noSlot));
    }

    private final Function<Thread, S> factory;
    private final ReentrantLock lock;
    /**
     * The front cache: cell {@code id mod FRONT} holds the slot of one thread with that id, set under the lock when
     * the thread registers (release stores) and never written by readers, so it stays read-only while the set of
     * readers does not change. Its length is a constant, so a lookup is one load less than the table's.
     */
    private final S[] front;
    /** Open addressing by thread id, linear probing, at most half full. Release stores under the lock. */
    private Slot[] table = new Slot[MIN_TABLE];
    /** Every registered slot, densely; replaced under the lock, never changed after publication. */
    private volatile Slot[] slots = NONE;
    /** Set by {@link #forgetAll()} (the controls of the tests): scans see no slot. */
    private volatile boolean blind;
    /** Guarded by {@link #lock}: the size at which the next registration prunes abandoned slots first. */
    private int pruneAt = MIN_PRUNE;

    /**
     * @param factory makes the calling thread's slot on its first read
     * @param lock    taken for registrations and pruning, so that they are ordered with the construct's own work
     */
    ReaderRegistry(Function<Thread, S> factory, IntFunction<S[]> newArray, ReentrantLock lock) {
        this.factory = factory;
        this.front = newArray.apply(FRONT);
        this.lock = Objects.requireNonNull(lock);
    }

    private static int index(Thread t, int mask) {
        return (int) t.getId() & mask; // ids are sequential: consecutive threads take consecutive cells
    }

    private static int index(Slot s, int mask) {
        return (int) s.id & mask; // the id it registered with: its thread may be gone
    }

    /**
     * The front cache, for the construct to keep in a final field of its own and look up with
     * {@link #cached(Slot[], Thread)}: on the read side every dependent load counts (one hop less than through the
     * registry measured 1 ns of 5.7).
     */
    S[] front() {
        return front;
    }

    /**
     * The slot of {@code t} if it sits in its cell of {@code front} (a registry's {@link #front()}), else null: one
     * array cell at a constant mask (no load of a length on the way) and a compare of the slot's referent.
     */
    static <S extends Slot> S cached(S[] front, Thread t) {
        S s = front[index(t, FRONT - 1)];
        return s != null && s.ownedBy(t) ? s : null;
    }

    /** The calling thread's slot, created and registered on the thread's first call. */
    S current() {
        Thread t = Thread.currentThread();
        S s = cached(front, t);
        return s != null ? s : current(t);
    }

    /**
     * {@link #current()} past the front cache, {@code t} being the calling thread: threads that share a front cell,
     * and first calls.
     */
    @SuppressWarnings("unchecked")
    S current(Thread t) {
        Slot s = probe(t);
        return s != null ? (S) s : registerLocked(t);
    }

    /**
     * The slot of {@code t} (the calling thread) in the table, for a caller that has looked in the front cache
     * already ({@link #cached}) and missed: null if it has none, or if its id was unstable (then {@link #find()}
     * searches). No lock, no registration: the constructs' look for a thread that may read without a slot, on every
     * section of such a thread (so it does not look in the front cache twice).
     */
    @SuppressWarnings("unchecked")
    S lookup(Thread t) {
        return (S) probe(t);
    }

    /**
     * Registers {@code t} (the calling thread) unless it has a slot already (searched under the lock, so an unstable
     * id never makes a second one), and returns its slot.
     */
    S register(Thread t) {
        return registerLocked(t);
    }

    /** The calling thread's slot, or null if it has none (nothing is registered). */
    @SuppressWarnings("unchecked")
    S find() {
        Thread t = Thread.currentThread();
        S f = cached(front, t);
        if (f != null) {
            return f;
        }
        Slot s = probe(t);
        return s != null ? (S) s : (S) search(t); // a miss of the tables is a hint only (see the class doc)
    }

    /** The slot of {@code t} in the table, or null at the first empty cell of its probe sequence. */
    private Slot probe(Thread t) {
        Slot[] tab = (Slot[]) TABLE.getAcquire(this);
        int m = tab.length - 1;
        for (int i = index(t, m); ; i = (i + 1) & m) {
            Slot s = tab[i];
            if (s == null || s.ownedBy(t)) {
                return s;
            }
        }
    }

    private Slot search(Thread t) {
        for (Slot s : slots) {
            if (s.ownedBy(t)) {
                return s;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private S registerLocked(Thread t) {
        lock.lock();
        try {
            Slot found = search(t);
            if (found != null) {
                return (S) found;
            }
            if (slots.length >= pruneAt) {
                prune(); // may publish a fresh table, sized for the slots kept
            }
            S slot = factory.apply(t);
            Slot[] old = slots;
            Slot[] a = Arrays.copyOf(old, old.length + 1);
            a[old.length] = slot;
            slots = a; // volatile store: a scan that loads the array after it sees the slot
            Slot[] tab = table;
            if (2 * a.length > tab.length) {
                publishTable(a); // too full: a fresh table (the table holds exactly the slots: at most half full)
            } else {
                int m = tab.length - 1;
                int i = index(slot, m);
                while (tab[i] != null) {
                    i = (i + 1) & m;
                }
                CELL.setRelease(tab, i, slot); // other readers may read it now: the slot is fully built
                int f = index(slot, FRONT - 1);
                Slot g = front[f];
                if (g == null || g.ownerGone()) {
                    VarHandle.releaseFence(); // a release store: a reader that loads the slot sees it built
                    front[f] = slot;
                }
            }
            return slot;
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: a table of the given slots, at most a quarter full, published; the front cache refilled. */
    @SuppressWarnings("unchecked")
    private void publishTable(Slot[] a) {
        int cap = MIN_TABLE;
        while (cap < 4 * a.length) {
            cap <<= 1;
        }
        Slot[] tab = new Slot[cap];
        int m = cap - 1;
        for (Slot s : a) {
            int i = index(s, m);
            while (tab[i] != null) {
                i = (i + 1) & m;
            }
            tab[i] = s;
        }
        TABLE.setRelease(this, tab);
        Slot[] f = new Slot[FRONT]; // the first slot of each cell, in registration order, as registrations fill it
        for (Slot x : a) {
            int i = index(x, FRONT - 1);
            if (f[i] == null) {
                f[i] = x;
            }
        }
        VarHandle.releaseFence(); // release stores: a reader that loads a slot sees it built
        for (int i = 0; i < FRONT; i++) {
            if (front[i] != f[i]) {
                front[i] = (S) f[i];
            }
        }
    }

    private static Slot[] live(Slot[] a) {
        int gone = 0;
        for (Slot s : a) {
            if (s.abandoned()) {
                gone++;
            }
        }
        if (gone == 0) {
            return a; // allocates nothing: every grace period's snapshot prunes, a full heap's too
        }
        int kept = 0;
        Slot[] out = new Slot[a.length - gone];
        for (Slot s : a) {
            if (!s.abandoned()) {
                if (kept == out.length) {
                    return a; // a slot counted gone is not (never seen: abandoned() only turns true): prune nothing
                }
                out[kept++] = s;
            }
        }
        return kept == out.length ? out : Arrays.copyOf(out, kept); // fewer: more ended since the count
    }

    /** Drops the abandoned slots now, under the lock. */
    void prune() {
        lock.lock();
        try {
            Slot[] a = slots;
            Slot[] kept = live(a);
            if (kept != a) {
                publishTable(kept); // first: if it throws (no heap), the table lacks slots (a hint), never has extra
                slots = kept;
            }
            pruneAt = Math.max(MIN_PRUNE, 2 * kept.length); // the next pruning on registration, once it has doubled
        } finally {
            lock.unlock();
        }
    }

    /**
     * Every registered slot (abandoned ones not yet dropped included), for a scan without the lock: the array is never
     * changed after publication. A volatile load.
     */
    Slot[] slots() {
        return blind ? NONE : slots;
    }

    /**
     * Drops the abandoned slots, then returns the others, under the lock: a thread that registers after this call
     * returns registers after the caller's stores before it (a lock acquire after this release).
     */
    Slot[] snapshot() {
        lock.lock();
        try {
            try {
                prune();
            } catch (OutOfMemoryError full) {
                // no heap for the smaller array: scan the abandoned slots too (their owners are gone: the scan
                // passes them), so that a grace period, and the callbacks that free the heap, need none
            }
            return slots;
        } finally {
            lock.unlock();
        }
    }

    /**
     * For the controls of the constructs' tests: {@link #slots()} returns no slot from now on, while each thread still
     * finds its own (and registers as before): a writer that scans it drains nobody.
     */
    void forgetAll() {
        blind = true;
    }

    /** How many slots are registered now (abandoned ones not yet dropped included): for tests and diagnostics. */
    int size() {
        return slots.length;
    }
}
