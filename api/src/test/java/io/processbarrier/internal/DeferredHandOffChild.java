package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A fresh JVM with the api alone (selection ends in {@code fence} with a WARNING to hand to the log), whose selection
 * is held until its thread and exit hook are known, and whose hand-off of that WARNING throws a
 * {@link NoClassDefFoundError}. Prints {@code hookRegisteredBefore}, {@code handOffThrew} and
 * {@code hookStillRegistered} (whether the exit hook was still registered once the selection's thread had ended).
 */
public final class DeferredHandOffChild {
    private DeferredHandOffChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        CountDownLatch hold = new CountDownLatch(1);
        BackgroundSelection.holdForTest = hold;
        AtomicBoolean threw = new AtomicBoolean();
        BackgroundSelection.handOffForTest = () -> {
            threw.set(true);
            throw new NoClassDefFoundError("injected: the application's class loader was closed");
        };
        ProcessBarrier.get();
        Thread[] st = BackgroundSelection.runningForTest();
        Thread selection = st[0];
        Thread hook = st[1];
        System.out.println("hookRegisteredBefore=" + (selection != null && hook != null));
        hold.countDown();
        if (selection != null) {
            selection.join(60_000);
        }
        System.out.println("handOffThrew=" + threw.get());
        System.out.println("hookStillRegistered=" + (hook != null && Runtime.getRuntime().removeShutdownHook(hook)));
        System.out.flush();
    }
}
