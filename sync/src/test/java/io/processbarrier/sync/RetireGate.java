package io.processbarrier.sync;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * For the full-heap children: a retired object whose callback keeps the retire thread until {@link #open()}, so that
 * what is retired meanwhile waits on the stack and is taken as one batch, when the test chooses.
 */
final class RetireGate {
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch open = new CountDownLatch(1);
    private volatile Thread retire;

    private RetireGate() {
    }

    /** Retires the gate and returns once the retire thread runs its callback. */
    static RetireGate hold(Rcu rcu) throws InterruptedException {
        RetireGate g = new RetireGate();
        rcu.retire("gate", x -> {
            g.retire = Thread.currentThread();
            g.entered.countDown();
            try {
                g.open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        if (!g.entered.await(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the retire thread never ran the gate's callback");
        }
        return g;
    }

    /** The thread held in the gate's callback. */
    Thread retireThread() {
        return retire;
    }

    /** Lets the retire thread go on (allocates nothing). */
    void open() {
        open.countDown();
    }
}
