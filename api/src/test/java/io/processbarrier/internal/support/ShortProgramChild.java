package io.processbarrier.internal.support;

import io.processbarrier.ProcessBarrier;

/**
 * A program that calls {@code get()} and exits at once, in a fresh JVM: the selection's records (here the WARNING for
 * a setting this copy does not know, and the DEBUG line of the choice) must still reach the log. Prints the live
 * threads that are not daemons (only {@code main} may be one) and how it ended: {@code exit} (System.exit right
 * after get()), {@code return} (main returns), or {@code drain} (a program that lives on: it waits until the library's
 * daemon has written every record, then returns). With a second argument {@code applog}, the program logs a line of
 * its own right after get(), so that its logging initializes while the library's records are pending.
 */
public final class ShortProgramChild {
    private ShortProgramChild() {
    }

    public static void main(String[] args) {
        // args[0]: exit, return or drain; args[1] (optional): applog
        if (!args[0].equals("drain")) {
            // "at once" means within the hold-off: on a loaded machine the lines below took over 1 s (seen on
            // Temurin 25 with 2 CPUs busy), which made this the other case, a program that lives on
            LogHandoff.holdOffMillis = 60_000L;
        }
        ProcessBarrier b = ProcessBarrier.get();
        StringBuilder nonDaemon = new StringBuilder();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.isDaemon() && t != Thread.currentThread() && !t.getName().equals("DestroyJavaVM")) {
                nonDaemon.append(t.getName()).append(' ');
            }
        }
        if (args.length > 1 && args[1].equals("applog")) {
            System.getLogger("app").log(System.Logger.Level.INFO, "the application's own first record");
        }
        System.out.println("selected=" + b.name());
        System.out.println("nonDaemonThreads=" + nonDaemon.toString().trim());
        System.out.flush();
        if (args.length > 0 && args[0].equals("exit")) {
            System.exit(0);
        }
        if (args.length > 0 && args[0].equals("drain")) {
            try {
                LogHandoff.drainForTests();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.println("drained=true");
        }
    }
}
