package io.processbarrier.mprotect;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;

/** Run by {@link MprotectChildJvmTest} in a child JVM: prints what selection found, then uses the default barrier. */
public final class ChildMain {
    private ChildMain() {
    }

    public static void main(String[] args) {
        for (ProviderStatus s : ProcessBarrier.providers()) {
            System.out.println("status " + s.name() + " priority=" + s.priority() + " available=" + s.available()
                    + " selected=" + s.selected() + " | " + (s.available() ? s.detail() : s.causeMessage()));
        }
        ProcessBarrier b;
        try {
            b = ProcessBarrier.get();
        } catch (ProcessBarrierException e) {
            System.out.println("get failed: " + e.getMessage());
            return;
        }
        System.out.println("selected " + b.name());
        for (int i = 0; i < 100; i++) {
            b.heavy();
        }
        System.out.println("heavy ok");
    }
}
