package io.processbarrier.membarrier;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;

import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;

/**
 * Runs in a fresh JVM without settings (issue 29): the first {@code get()} returns a {@link DeferredBarrier} while the
 * selection is held; a store-buffering litmus (RegistrationWindowChild's) runs on it across the end of the window.
 * Usage: {@code SelectionWindowChild window|control ROUNDS}.
 * <ul>
 *   <li>{@code window}: the writer's round ROUNDS/4 lets the selection go; round 3·ROUNDS/4 waits until it has
 *       settled (so that rounds run on both sides of the switch, whichever way the scheduler goes). Prints the first
 *       round that saw the barrier settled, and the forbidden outcomes (expected: none).</li>
 *   <li>{@code control}: the design the javadoc forbids: readers take the fast light() before the selected barrier
 *       exists (the writer's heavy() is still the window's fence). The selection stays held for the whole litmus,
 *       repeated until it finds a forbidden outcome (at most CONTROL_ATTEMPTS runs): it shows the litmus can fail.</li>
 * </ul>
 * Prints key=value lines: {@code deferred}, {@code settledAtRound}, {@code rounds}, {@code forbidden},
 * {@code attempts}, {@code name}, {@code asymmetric}.
 */
public final class SelectionWindowChild {
    private SelectionWindowChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int rounds = Integer.parseInt(args[1]);
        RegistrationWindowChild.warmUp();
        CountDownLatch hold = new CountDownLatch(1);
        // a test field of the api's internal class, not an API: set before the first get(), which reads it
        java.lang.reflect.Field f = Class.forName("io.processbarrier.internal.BackgroundSelection")
                .getDeclaredField("holdForTest");
        f.setAccessible(true);
        f.set(null, hold);
        ProcessBarrier got = ProcessBarrier.get();
        System.out.println("deferred=" + (got instanceof DeferredBarrier));
        DeferredBarrier d = (DeferredBarrier) got;
        int[] settledAt = {0};
        boolean[] waited = {false};
        long forbidden;
        int attempts = 1;
        if (mode.equals("control")) {
            ProcessBarrier early = new EarlyLight(d);
            forbidden = RegistrationWindowChild.storeBuffering(early, rounds);
            while (forbidden == 0 && attempts < RegistrationWindowChild.CONTROL_ATTEMPTS) {
                attempts++;
                forbidden = RegistrationWindowChild.storeBuffering(early, rounds);
            }
            System.out.println("settledDuringControl=" + d.isSettled());
            hold.countDown();
        } else {
            int open = OPEN_AT;
            int last = rounds - TAIL;
            RegistrationWindowChild.roundHook = j -> {
                if (j == open) {
                    hold.countDown();
                }
                if (d.isSettled()) {
                    if (settledAt[0] == 0) {
                        settledAt[0] = j;
                    }
                    return;
                }
                if (j > open) {
                    // the window is open: rounds go on while the selection runs, each ~100 µs apart, so that the
                    // switch happens among running rounds rather than between the last and the first of two phases
                    long until = System.nanoTime() + ROUND_GAP_NANOS;
                    while (System.nanoTime() < until && !d.isSettled()) {
                        Thread.onSpinWait();
                    }
                }
                if (j == last) {
                    waited[0] = !d.isSettled();
                    while (!d.isSettled()) {
                        Thread.onSpinWait(); // a safety net: the last rounds run with the selected barrier
                    }
                }
            };
            forbidden = RegistrationWindowChild.storeBuffering(d, rounds);
            RegistrationWindowChild.roundHook = null;
        }
        System.out.println("settledAtRound=" + settledAt[0]);
        System.out.println("writerWaitedForTheSwitch=" + waited[0]);
        System.out.println("rounds=" + rounds);
        System.out.println("attempts=" + attempts);
        System.out.println("forbidden=" + forbidden);
        System.out.println("name=" + d.name());
        System.out.println("asymmetric=" + d.isAsymmetric());
        System.out.println("later=" + ProcessBarrier.get().name() + " " + (ProcessBarrier.get() instanceof DeferredBarrier));
    }

    /** The round whose start lets the selection go. */
    static final int OPEN_AT = 10;
    /** The last rounds, which run after the switch whatever happens (the writer waits for it before them). */
    static final int TAIL = 100;
    private static final long ROUND_GAP_NANOS = 100_000;

    /** The forbidden design: light() is a compiler barrier from the start, heavy() is the deferred barrier's. */
    private static final class EarlyLight implements ProcessBarrier {
        private final ProcessBarrier deferred;

        EarlyLight(ProcessBarrier deferred) {
            this.deferred = deferred;
        }

        @Override
        public void heavy() {
            deferred.heavy();
        }

        @Override
        public void light() {
            VarHandle.acquireFence();
        }

        @Override
        public String name() {
            return "early-light";
        }

        @Override
        public boolean isAsymmetric() {
            return true;
        }
    }
}
