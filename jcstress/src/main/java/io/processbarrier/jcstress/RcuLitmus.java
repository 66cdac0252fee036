package io.processbarrier.jcstress;

import io.processbarrier.sync.Rcu;

/**
 * The RCU guarantee as a litmus test, shared by {@code RCU_<provider>} and {@code RCU_control_MissedReader}: a reader that
 * loaded the old object inside its section must never see it reclaimed before the section ends. The reader loads the
 * pointer, then keeps checking the object's reclaimed mark for {@link #READER_CHECKS} rounds (a section of a few
 * microseconds compiled, about a hundred under the interpreter); the writer swaps the pointer, calls
 * {@code synchronize()} and marks the old object reclaimed.
 * Outcome: 0 the reader saw the new object, 1 the old one intact all through, 2 the old one reclaimed (FORBIDDEN).
 *
 * <p>The control and the provider tests run this same reader, so the control's outcome says what the provider tests
 * could see: a section must outlast the writer's path from its pointer store to its reclaim, or a grace period that
 * missed the reader would reclaim only after the section had ended, uncaught.
 */
final class RcuLitmus {
    /**
     * Rounds of a section's check when compiled: 64 spin-waits, about 1.6 us under C2 and 90 ns under C1, against a
     * {@code synchronize()} with no reader to wait for of about 100 ns (C2) and 170 ns (C1) (2 vCPU, Firecracker,
     * Linux 6.18, JDK 17, shared/noisy). Also the first section's rounds of {@link #readerThenLaterSection}.
     */
    static final int CHECKS = 64;

    /**
     * Rounds under the interpreter ({@code -Xint}): there the 64 rounds take about 6 us and a {@code synchronize()}
     * with no reader to wait for about 57 us (same machine), so a grace period that missed the reader reclaimed after
     * the section in all but about 1 in 10,000 trials, and the control showed nothing in whole runs. 1,024 rounds,
     * about 90 us, outlast it; a section only grows (its first 64 rounds are the compiled test's), so a provider test
     * is no less strict. Longer is not better: 2,048 rounds caught 8,268 in 262,269 trials of the control, 1,024
     * rounds 40,261 in 449,718 (one run each), since jcstress does not pace the actors within a stride and a reader
     * slower than the writer mostly loads the new object.
     */
    static final int INTERPRETER_CHECKS = 16 * CHECKS;

    /** The rounds of {@link #reader}'s section in this JVM: read once, a constant to the JIT. */
    static final int READER_CHECKS = interpreterOnly() ? INTERPRETER_CHECKS : CHECKS;

    private RcuLitmus() {
    }

    /** HotSpot's {@code java.vm.info} starts so under {@code -Xint} (JDK 17 and 25); other JVMs: as compiled. */
    static boolean interpreterOnly() {
        return System.getProperty("java.vm.info", "").startsWith("interpreted mode");
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
            return section(cell);
        }
    }

    /** The body of {@link #reader}'s section (and {@link #localReader}'s): the outcome. */
    private static int section(Cell cell) {
        Obj o = cell.ptr;
        if (!o.old) {
            return 0;
        }
        for (int i = 0; i < READER_CHECKS; i++) {
            if (o.reclaimed != 0) {
                return 2;
            }
            Thread.onSpinWait();
        }
        return o.reclaimed != 0 ? 2 : 1;
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

    /**
     * {@link #reader}'s section through the thread's own {@link Rcu.Local}: after its first entry on an asymmetric
     * barrier of the api, the handle emits {@code light()}'s acquire fence itself instead of calling through the
     * barrier field, which this checks against a concurrent {@code synchronize()}.
     */
    static int localReader(Rcu.Local local, Cell cell) {
        local.enter();
        try {
            return section(cell);
        } finally {
            local.exit();
        }
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
