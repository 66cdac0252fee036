package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;

import java.util.concurrent.CountDownLatch;

/**
 * A fresh JVM with the api alone (no provider module: selection ends in {@code fence} with a WARNING that says what to
 * add), whose first {@code get()} returns before the selection has begun: the selection is held until this program's
 * own shutdown hook lets it go, so it runs while the JVM exits. Usage: {@code DeferredExitChild exit|return [nohook]}:
 * {@code exit} calls System.exit right after get(), {@code return} returns from main; {@code nohook} leaves out the
 * library's exit hook (the control: the WARNING is then lost). Prints {@code deferred}, {@code settledAtReturn} and
 * {@code getNanos}.
 */
public final class DeferredExitChild {
    private DeferredExitChild() {
    }

    /** Whether Log4j's System.LoggerFinder is on the class path (found without loading or initializing anything). */
    private static boolean log4jBackend() {
        return DeferredExitChild.class.getClassLoader()
                .getResource("META-INF/services/java.lang.System$LoggerFinder") != null
                && DeferredExitChild.class.getClassLoader()
                .getResource("org/apache/logging/log4j/jpl/Log4jSystemLoggerFinder.class") != null;
    }

    public static void main(String[] args) {
        CountDownLatch hold = new CountDownLatch(1);
        BackgroundSelection.holdForTest = hold;
        if (args.length > 1 && args[1].equals("nohook")) {
            BackgroundSelection.exitHookForTest = false;
        }
        // registered before get(): the JVM runs hooks concurrently, so this one cannot wait for the library's
        Runtime.getRuntime().addShutdownHook(new Thread(hold::countDown, "release-selection"));
        long t0 = System.nanoTime();
        ProcessBarrier b = ProcessBarrier.get();
        long t1 = System.nanoTime();
        System.out.println("deferred=" + (b instanceof DeferredBarrier));
        System.out.println("settledAtReturn=" + (b instanceof DeferredBarrier && ((DeferredBarrier) b).isSettled()));
        System.out.println("getNanos=" + (t1 - t0));
        System.out.println("log4jBackend=" + log4jBackend());
        b.light();
        b.heavy(); // in the window: a fence, and correct (every light() of b fences until the selection is over)
        System.out.flush();
        if (args[0].equals("exit")) {
            System.exit(0);
        }
    }
}
