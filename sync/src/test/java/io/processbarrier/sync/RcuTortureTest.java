package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProviderStatus;
import io.processbarrier.sync.internal.RcuTorture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link RcuTorture} on every provider: 2 platform readers and, on JDK 21+, 4 virtual-thread readers that also park
 * inside their sections, two writers (retire; synchronize and startPoll/poll), 2 s each: 0 errors, and every unlinked
 * object reclaimed. The control reclaims without a grace period in the same harness and must show errors.
 */
class RcuTortureTest {
    static final Duration TIME = Duration.ofSeconds(2);

    @ParameterizedTest
    @ValueSource(strings = {"membarrier", "mprotect", "signal", "fence"})
    void noReaderEverSeesAReclaimedObject(String provider) {
        ProviderStatus status = ProcessBarrier.providers().stream().filter(s -> s.name().equals(provider)).findFirst()
                .orElse(null);
        assumeTrue(status != null, () -> provider + " is not on the test class path");
        assumeTrue(status.available(), () -> provider + " is unavailable here: " + status.causeMessage());
        RcuTorture.Result r;
        try (Rcu rcu = Rcu.create(ProcessBarrier.of(provider))) {
            r = RcuTorture.run(rcu, TIME, 2, 4, RcuTorture.Mode.RCU);
        }
        System.out.println("RcuTortureTest: " + r);
        assertEquals(0, r.errors(), r.toString());
        assertTrue(r.reads() > 0 && r.swaps() > 0, r.toString());
        assertEquals(r.swaps(), r.reclaimed(), "every unlinked object reclaimed: " + r);
        if (RcuTorture.virtualThreadsSupported()) {
            assertEquals(4, r.virtualReaders());
        }
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void controlReclaimingWithoutGracePeriodIsCaught() {
        // runs until it shows errors or a generous bound passes: 1 s rounds, up to 30
        RcuTorture.Result r = null;
        for (int round = 0; round < 30 && (r == null || r.errors() == 0); round++) {
            try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
                r = RcuTorture.run(rcu, Duration.ofSeconds(1), 2, 4, RcuTorture.Mode.CONTROL_NO_GRACE_PERIOD);
            }
            System.out.println("RcuTortureTest control, round " + round + ": " + r);
        }
        assertTrue(r.errors() > 0, "the torture did not catch reclamation without a grace period: it has no power "
                + "here: " + r);
    }
}
