package io.processbarrier.internal.support;

import io.processbarrier.ProcessBarrier;

/**
 * A program that calls {@code get()} and exits at once, in a fresh JVM: the selection's records (here the WARNING for
 * a setting this copy does not know, and the DEBUG line of the choice) must still reach the log. Prints the live
 * threads that are not daemons (only {@code main} may be one) and how it ended: {@code exit} (System.exit right
 * after get()) or {@code return} (main returns).
 */
public final class ShortProgramChild {
    private ShortProgramChild() {
    }

    public static void main(String[] args) {
        ProcessBarrier b = ProcessBarrier.get();
        StringBuilder nonDaemon = new StringBuilder();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.isDaemon() && t != Thread.currentThread() && !t.getName().equals("DestroyJavaVM")) {
                nonDaemon.append(t.getName()).append(' ');
            }
        }
        System.out.println("selected=" + b.name());
        System.out.println("nonDaemonThreads=" + nonDaemon.toString().trim());
        System.out.flush();
        if (args.length > 0 && args[0].equals("exit")) {
            System.exit(0);
        }
    }
}
