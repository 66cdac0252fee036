package embed.app;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProviderStatus;

public final class Main {
    public static void main(String[] args) {
        ProcessBarrier b = ProcessBarrier.get();
        b.heavy();
        System.out.println("selected=" + b.name());
        for (ProviderStatus s : ProcessBarrier.providers()) {
            System.out.println("provider " + s.name() + " available=" + s.available() + " cause=" + s.causeMessage());
        }
        System.out.println("modules=" + ModuleLayer.boot().modules().stream().map(Module::getName)
                .filter(n -> n.startsWith("io.processbarrier")).sorted().toList());
    }
}
