package io.processbarrier.mprotect;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;
import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.internal.support.Settings;
import io.processbarrier.internal.support.NativeLibrary;
import io.processbarrier.spi.Availability;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MprotectProviderTest {
    private static final String ARM64_REASON =
            "TLB invalidation is broadcast in hardware without IPIs; mprotect is no barrier here";
    /** The architecture check must decide before anyone asks the CPU (there is no CPUID off x86). */
    private static final BooleanSupplier NOT_ASKED = () -> fail("CPUID must not be consulted for this arch");

    private static boolean x86_64() {
        String arch = System.getProperty("os.arch");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** x86_64 without INVLPGB: where the provider must be available. */
    static boolean mprotectWorksHere() {
        if (!x86_64()) {
            return false;
        }
        NativeLibrary.load(Mprotect.class, "mprotect");
        return !Mprotect.cpuidInvlpgb();
    }

    @Test
    void availableOnThisX86_64MachineUnlessTheCpuHasInvlpgb() {
        assumeTrue(x86_64(), "the x86_64 half; the arm64 container test covers aarch64");
        MprotectProvider p = new MprotectProvider();
        Availability a = p.probe();
        assertEquals(MprotectProvider.PRIORITY, p.priority());
        if (!mprotectWorksHere()) {
            assertFalse(a.isAvailable(), a.toString());
            assertTrue(a.cause().getMessage().contains("INVLPGB"), a.toString());
        } else {
            assertTrue(a.isAvailable(), a.toString());
            assertTrue(a.detail().contains("no INVLPGB"), a.detail());
        }
    }

    @Test
    void refusesAarch64ThroughTheCheckTheProviderRuns() {
        String why = MprotectProvider.refusal("Linux", "aarch64", NOT_ASKED, false);
        assertNotNull(why);
        assertTrue(why.contains(ARM64_REASON), why);
        assertTrue(why.contains("os.arch=aarch64"), why);
        // the property that overrides the INVLPGB refusal cannot turn mprotect into a barrier on arm64
        assertTrue(MprotectProvider.refusal("Linux", "aarch64", NOT_ASKED, true).contains(ARM64_REASON));
    }

    @Test
    void refusesEveryOtherArchitectureWithTheSameReason() {
        for (String arch : List.of("arm64", "riscv64", "ppc64le", "s390x", "x86", "loongarch64")) {
            String why = MprotectProvider.refusal("Linux", arch, NOT_ASKED, false);
            assertNotNull(why, arch);
            assertTrue(why.contains(ARM64_REASON) && why.contains("os.arch=" + arch), why);
        }
    }

    @Test
    void refusesOtherOperatingSystems() {
        for (String os : List.of("Mac OS X", "Windows 11", "FreeBSD")) {
            String why = MprotectProvider.refusal(os, "amd64", NOT_ASKED, false);
            assertNotNull(why, os);
            assertTrue(why.contains("os.name=" + os) && why.contains("not Linux"), why);
        }
    }

    @Test
    void refusesInvlpgbUnlessThePropertyAllowsIt() {
        String why = MprotectProvider.refusal("Linux", "amd64", () -> true, false);
        assertNotNull(why);
        assertTrue(why.contains("INVLPGB") && why.contains("CPUID 0x80000008 EBX bit 3")
                && why.contains("-D" + MprotectProvider.ALLOW_INVLPGB_PROPERTY + "=true"), why);
        assertNull(MprotectProvider.refusal("Linux", "amd64", () -> true, true));
        assertNull(MprotectProvider.refusal("Linux", "x86_64", () -> true, true));
        assertNull(MprotectProvider.refusal("Linux", "amd64", () -> false, false));
    }

    @Test
    void malformedAllowPropertyIsAnErrorNamingPropertyAndValue() {
        // through probe(), the path the selector takes, which throws it from get(): never a quiet "off"
        for (String bad : List.of("1", "yes")) {
            ProcessBarrierException e = assertThrows(ProcessBarrierException.class, () -> new MprotectProvider(
                    props(Map.of(MprotectProvider.ALLOW_INVLPGB_PROPERTY, bad))).probe());
            assertEquals(MprotectProvider.ALLOW_INVLPGB_PROPERTY + "=" + bad + " is not valid: use true or false",
                    e.getMessage());
        }
        assertTrue(new MprotectProvider(props(Map.of(MprotectProvider.ALLOW_INVLPGB_PROPERTY, " TRUE "))).probe()
                .isAvailable() || !x86_64());
    }

    @Test
    void probeWithAFakeArchRefusesThroughTheSamePath() {
        Availability a = new MprotectProvider(props(Map.of("os.arch", "aarch64"))).probe();
        assertFalse(a.isAvailable());
        assertTrue(a.cause().getMessage().contains(ARM64_REASON), a.toString());
    }

    @Test
    void selectionListsMembarrierThenMprotectThenFence() {
        assumeTrue(mprotectWorksHere());
        List<ProviderStatus> all = ProcessBarrier.providers();
        assertEquals(List.of("membarrier", "mprotect", "fence"),
                all.stream().map(ProviderStatus::name).collect(Collectors.toList()), all.toString());
        ProviderStatus m = all.get(1);
        assertTrue(m.available(), m.toString());
        assertEquals(300, m.priority());
        assertFalse(m.selected(), "membarrier outranks mprotect here");
        ProcessBarrier b = ProcessBarrier.of("mprotect");
        assertEquals("mprotect", b.name());
        assertTrue(b.isAsymmetric());
        assertSame(b, ProcessBarrier.of("mprotect"));
        b.heavy();
    }

    @Test
    void heavyFromEightThreadsAtOnce() throws Exception {
        assumeTrue(mprotectWorksHere());
        MprotectProvider p = new MprotectProvider();
        assertTrue(p.probe().isAvailable());
        hammer(new AsymmetricProcessBarrier(p, true), 8, 500);
    }

    /** Without coalescing, barrier() itself runs from many threads at once: the page lock must serialize them. */
    @Test
    void heavyFromEightThreadsAtOnceWithoutCoalescing() throws Exception {
        assumeTrue(mprotectWorksHere());
        MprotectProvider p = new MprotectProvider();
        assertTrue(p.probe().isAvailable());
        AsymmetricProcessBarrier b = new AsymmetricProcessBarrier(p, false);
        assertFalse(b.isCoalescing());
        hammer(b, 8, 500);
    }

    static void hammer(ProcessBarrier b, int threads, int calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < calls; i++) {
                        b.heavy();
                    }
                    return calls;
                }));
            }
            go.countDown();
            assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
                for (Future<Integer> f : done) {
                    assertEquals(calls, f.get()); // rethrows whatever heavy() threw
                }
            });
        } finally {
            pool.shutdownNow();
        }
    }

    static Settings props(Map<String, String> overrides) {
        return Settings.of(name -> overrides.containsKey(name) ? overrides.get(name) : System.getProperty(name));
    }
}
