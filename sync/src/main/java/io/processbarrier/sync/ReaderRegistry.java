package io.processbarrier.sync;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The per-thread reader slots of one construct (an {@link Rcu}, a read-mostly lock): each thread gets its own slot on
 * its first read, through a {@link ThreadLocal}, and the slot is registered here so that a writer can scan every slot.
 * Slots of threads that ended are dropped, so that the registry, and a writer's scan, stay bounded by the threads alive
 * rather than by every thread that ever read (a million short-lived virtual threads leave a few dozen slots).
 *
 * <p>Why dropping a dead thread's slot is safe even if that thread ended inside a section: {@link Thread#isAlive()}
 * returning {@code false} happens-after every action of that thread (JLS 17.4.4), so it can no longer use anything.
 *
 * <p>Costs: {@link #current()} is one {@link ThreadLocal#get()} (a few nanoseconds, no allocation) after the thread's
 * first call; registration takes a lock and, once the registry has doubled since the last pruning, prunes it in
 * O(registered), i.e. amortized O(1) per registration. {@link #snapshot()} takes the lock and copies: O(registered).
 * A {@link ReentrantLock}, not {@code synchronized}: a virtual thread blocked on it does not pin its carrier (JDK 21).
 *
 * @param <S> the slot type; a slot is written by its owner thread only (its hot fields padded by the construct)
 */
final class ReaderRegistry<S extends ReaderRegistry.Slot> {

    /** A thread's slot: the registry needs only to know whose it is. */
    interface Slot {
        /** The thread that owns the slot, set once, before registration. */
        Thread owner();
    }

    /** Prune no earlier than this many registrations: a tiny registry is cheaper to scan than to prune. */
    static final int MIN_PRUNE = 64;

    private final ThreadLocal<S> local;
    private final IntFunction<S[]> newArray;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}. */
    private S[] slots;
    /** Guarded by {@link #lock}. */
    private int size;
    /** Guarded by {@link #lock}: the size at which the next registration prunes dead owners first. */
    private int pruneAt = MIN_PRUNE;

    ReaderRegistry(Function<Thread, S> factory, IntFunction<S[]> newArray) {
        this.newArray = newArray;
        this.slots = newArray.apply(16);
        this.local = ThreadLocal.withInitial(() -> register(factory.apply(Thread.currentThread())));
    }

    /** The calling thread's slot, created and registered on the thread's first call. */
    S current() {
        return local.get();
    }

    private S register(S slot) {
        lock.lock();
        try {
            if (size >= pruneAt) {
                pruneLocked();
                pruneAt = Math.max(MIN_PRUNE, 2 * size);
            }
            if (size == slots.length) {
                slots = Arrays.copyOf(slots, 2 * size);
            }
            slots[size++] = slot;
        } finally {
            lock.unlock();
        }
        return slot;
    }

    /**
     * The slots of the threads alive now (the dead ones are dropped first), in a fresh array. A slot registered after
     * this call returns is not in it: its owner registered after the snapshot, so it read nothing before it.
     */
    S[] snapshot() {
        lock.lock();
        try {
            pruneLocked();
            S[] copy = newArray.apply(size);
            System.arraycopy(slots, 0, copy, 0, size);
            return copy;
        } finally {
            lock.unlock();
        }
    }

    /** How many slots are registered now (dead owners not yet pruned included): for tests and diagnostics. */
    int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    private void pruneLocked() {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            S s = slots[i];
            if (s.owner().isAlive()) {
                slots[kept++] = s;
            }
        }
        Arrays.fill(slots, kept, size, null);
        size = kept;
        if (slots.length > 64 && size < slots.length / 4) {
            slots = Arrays.copyOf(slots, Math.max(16, 2 * size));
        }
    }
}
