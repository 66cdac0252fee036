package io.processbarrier.jcstress;

import io.processbarrier.sync.Rcu;

/**
 * The RCU guarantee as a litmus test, shared by {@code RCU_<provider>} and {@code RCU_control_MissedReader}: a reader that
 * loaded the old object inside its section must never see it reclaimed before the section ends. The reader loads the
 * pointer, then keeps checking the object's reclaimed mark for {@link #CHECKS} rounds (a section of a few
 * microseconds); the writer swaps the pointer, calls {@code synchronize()} and marks the old object reclaimed.
 * Outcome: 0 the reader saw the new object, 1 the old one intact all through, 2 the old one reclaimed (FORBIDDEN).
 */
final class RcuLitmus {
    static final int CHECKS = 64;

    private RcuLitmus() {
    }

    static final class Obj {
        final boolean old;
        /** Volatile: the reader's repeated loads are not hoisted out of its loop. */
        volatile int reclaimed;
        /** Plain: written by the reclaimer after the grace period; a section's plain load must never see it. */
        int freed;

        Obj(boolean old) {
            this.old = old;
        }
    }

    /** One trial's shared pointer. */
    static final class Cell {
        /** Volatile: the writer publishes, the reader follows. */
        volatile Obj ptr = new Obj(true);
    }

    static int reader(Rcu rcu, Cell cell) {
        try (Rcu.Reader r = rcu.read()) {
            Obj o = cell.ptr;
            if (!o.old) {
                return 0;
            }
            for (int i = 0; i < CHECKS; i++) {
                if (o.reclaimed != 0) {
                    return 2;
                }
                Thread.onSpinWait();
            }
            return o.reclaimed != 0 ? 2 : 1;
        }
    }

    /**
     * Issue 19 item 10: a section, then a later section of the same thread. The grace period's scan may read the
     * later section's epoch ({@code >= g}) and not wait; the earlier section's plain load of the old object must still
     * not see the reclaimer's plain store (it takes the entry store's release to order it). Outcome as
     * {@link #reader}, where 2 also means the plain load saw the reclaimed state.
     */
    static int readerThenLaterSection(Rcu rcu, Cell cell) {
        int result;
        try (Rcu.Reader r = rcu.read()) {
            Obj o = cell.ptr;
            if (!o.old) {
                result = 0;
            } else {
                int spins = 0;
                for (int i = 0; i < CHECKS; i++) {
                    spins += o.reclaimed;
                    Thread.onSpinWait();
                }
                result = o.freed != 0 || spins != 0 ? 2 : 1; // the plain load last, just before the section ends
            }
        }
        try (Rcu.Reader later = rcu.read()) { // the epoch the scan may read instead of the first section's
            Thread.onSpinWait();
        }
        return result;
    }

    static void writerFreeing(Rcu rcu, Cell cell) {
        Obj old = cell.ptr;
        cell.ptr = new Obj(false);
        rcu.synchronize();
        old.freed = 1;
        old.reclaimed = 1;
    }

    static void writer(Rcu rcu, Cell cell) {
        Obj old = cell.ptr;
        cell.ptr = new Obj(false);
        rcu.synchronize();
        old.reclaimed = 1;
    }
}
