package io.processbarrier.membarrier;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProviderStatus;

/** Runs in a fresh JVM with processbarrier.membarrier.command set: prints what selection made of it. */
public final class GlobalCommandChild {
    public static void main(String[] args) {
        ProcessBarrier b = ProcessBarrier.of("membarrier");
        b.heavy();
        for (ProviderStatus s : ProcessBarrier.providers()) {
            if (s.name().equals("membarrier")) {
                System.out.println("priority=" + s.priority());
                System.out.println("available=" + s.available());
                System.out.println("detail=" + s.detail());
            }
        }
        System.out.println("heavy=ok");
    }
}
