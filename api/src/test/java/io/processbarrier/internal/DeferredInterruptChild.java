package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A fresh JVM: a thread asking the deferred barrier's name() while the selection is held is interrupted in its wait;
 * it keeps waiting (seen back in the wait after the interrupt), and once the selection is let go it returns the
 * selected name with its interrupt status set. Prints {@code waitedAgain}, {@code name}, {@code interrupted}.
 */
public final class DeferredInterruptChild {
    private DeferredInterruptChild() {
    }

    public static void main(String[] args) throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        BackgroundSelection.holdForTest = hold;
        ProcessBarrier b = ProcessBarrier.get();
        String[] name = new String[1];
        boolean[] interrupted = new boolean[1];
        Thread asker = new Thread(() -> {
            name[0] = b.name();
            interrupted[0] = Thread.currentThread().isInterrupted();
        }, "asker");
        asker.start();
        awaitInSelectionWait(asker);
        asker.interrupt();
        // the interrupt woke it: it must go back to the wait, not return; seen there again (WAITING once more, or
        // still: either way in awaitSelection, and alive)
        awaitInSelectionWait(asker);
        System.out.println("waitedAgain=" + asker.isAlive());
        hold.countDown();
        asker.join(TimeUnit.SECONDS.toMillis(60));
        System.out.println("name=" + name[0]);
        System.out.println("interrupted=" + interrupted[0]);
    }

    private static void awaitInSelectionWait(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (t.getState() == Thread.State.WAITING) {
                for (StackTraceElement e : t.getStackTrace()) {
                    if (e.getMethodName().equals("awaitSelection")) {
                        return;
                    }
                }
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException("the asker never waited for the selection: " + t.getState());
    }
}
