package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;

/**
 * Launched by the bad-input tests with a bad configuration: reports, as {@code key=value} lines, what the public API
 * says, then shows that the JVM keeps running ({@code alive=yes} after a heavy() of the fence provider, or after
 * {@code of("fence")} threw too: a setting that breaks the rule fails every {@code get()} and {@code of()}).
 * Argument {@code of=NAME} also tries {@link ProcessBarrier#of(String)}.
 */
public final class BadInputChild {
    public static void main(String[] args) {
        try {
            ProcessBarrier b = ProcessBarrier.get();
            b.heavy();
            System.out.println("get=" + b.name());
        } catch (ProcessBarrierException e) {
            System.out.println("get-error=" + ProcessBarrierException.describe(e));
        }
        for (String a : args) {
            if (a.startsWith("of=")) {
                String name = a.substring(3);
                try {
                    ProcessBarrier.of(name).heavy();
                    System.out.println("of=" + name);
                } catch (ProcessBarrierException e) {
                    System.out.println("of-error=" + ProcessBarrierException.describe(e));
                }
            }
        }
        for (ProviderStatus s : ProcessBarrier.providers()) {
            System.out.println("provider." + s.name() + "=" + (s.available() ? "available" : "unavailable: "
                    + s.causeMessage()));
        }
        try {
            ProcessBarrier.of("fence").heavy();
        } catch (ProcessBarrierException e) { // a setting that breaks the rule fails every of(), fence's too
            System.out.println("fence-error=" + ProcessBarrierException.describe(e));
        }
        System.out.println("alive=yes");
    }
}
