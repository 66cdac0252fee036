package io.processbarrier.mprotect;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.ProviderStatus;
import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.internal.support.Settings;
import io.processbarrier.internal.support.NativeLibrary;
import io.processbarrier.spi.Availability;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
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

import static io.processbarrier.testsupport.Ci.assumeOrFailOnCi;
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

    /**
     * The tests' own answer to "does this CPU have INVLPGB (CPUID Fn8000_0008 EBX bit 3)?", independent of the
     * provider's JNI call: the kernel runs CPUID for us through /dev/cpu/0/cpuid (the cpuid driver; root), or else a
     * C program of this test with its own inline {@code cpuid} instruction is compiled with gcc and run. Computed once.
     */
    static final class InvlpgbOracle {
        static final String ANSWER = answer();

        /** "true"/"false" and how it was found, or why neither way worked (then {@link #known()} is false). */
        static String answer() {
            StringBuilder why = new StringBuilder();
            try {
                return fromCpuidDevice();
            } catch (Exception e) {
                why.append("/dev/cpu/0/cpuid: ").append(e);
            }
            try {
                return fromCompiledProgram();
            } catch (Exception | AssertionError e) {
                why.append("; gcc: ").append(e);
            }
            return "unknown: " + why;
        }

        static boolean known() {
            return !ANSWER.startsWith("unknown");
        }

        static boolean invlpgb() {
            return ANSWER.startsWith("true");
        }

        /** The driver runs CPUID with EAX = the file offset's low 32 bits (ECX = high bits) and returns EAX..EDX. */
        static String fromCpuidDevice() throws Exception {
            try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(Path.of("/dev/cpu/0/cpuid"))) {
                int maxExtended = leaf(c, 0x8000_0000L)[0];
                if (Integer.compareUnsigned(maxExtended, 0x8000_0008) < 0) {
                    return "false (/dev/cpu/0/cpuid: no leaf 0x80000008)";
                }
                int ebx = leaf(c, 0x8000_0008L)[1];
                return ((ebx >>> 3) & 1) == 1 ? "true (/dev/cpu/0/cpuid)" : "false (/dev/cpu/0/cpuid)";
            }
        }

        private static int[] leaf(java.nio.channels.FileChannel c, long leaf) throws Exception {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (c.read(b, leaf + b.position()) < 0) {
                    throw new java.io.EOFException("short read of leaf " + Long.toHexString(leaf));
                }
            }
            return new int[] {b.getInt(0), b.getInt(4), b.getInt(8), b.getInt(12)};
        }

        static String fromCompiledProgram() throws Exception {
            Path dir = Files.createTempDirectory("pb-cpuid");
            try {
                Path src = Files.writeString(dir.resolve("invlpgb.c"), String.join("\n",
                        "#include <stdio.h>",
                        "static void cpuid(unsigned leaf, unsigned r[4]) {",
                        "  __asm__ volatile(\"cpuid\" : \"=a\"(r[0]), \"=b\"(r[1]), \"=c\"(r[2]), \"=d\"(r[3])",
                        "                   : \"a\"(leaf), \"c\"(0u));",
                        "}",
                        "int main(void) {",
                        "  unsigned r[4];",
                        "  cpuid(0x80000000u, r);",
                        "  if (r[0] < 0x80000008u) { puts(\"0\"); return 0; }",
                        "  cpuid(0x80000008u, r);",
                        "  printf(\"%u\\n\", (r[1] >> 3) & 1u);",
                        "  return 0;",
                        "}", ""));
                Path exe = dir.resolve("invlpgb");
                ChildProcess.Result cc = ChildProcess.tool("gcc", "-O0", "-o", exe.toString(), src.toString());
                assertEquals(0, cc.exit(), cc.toString());
                ChildProcess.Result run = ChildProcess.tool(exe.toString());
                assertEquals(0, run.exit(), run.toString());
                return run.out().trim().equals("1") ? "true (gcc-compiled cpuid)" : "false (gcc-compiled cpuid)";
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /**
     * For the tests that need a working mprotect provider. Off x86_64 they skip (the arm64 container test covers
     * aarch64); on x86_64 a skip (no oracle, or a CPU with INVLPGB, where mprotect is no barrier) fails under CI=true:
     * tools/test requires mprotect (jcstress --require) and must not pass with these tests silently skipped.
     */
    static void assumeMprotectWorksHere() {
        assumeTrue(x86_64(), "x86_64 only");
        assumeOrFailOnCi(InvlpgbOracle.known(), "no independent INVLPGB oracle: " + InvlpgbOracle.ANSWER);
        assumeOrFailOnCi(!InvlpgbOracle.invlpgb(), "the CPU has INVLPGB (" + InvlpgbOracle.ANSWER
                + "): mprotect is no barrier here");
    }

    /** Where both ways of the oracle work (root, cpuid driver, gcc), they agree: the fallback is tested too. */
    @Test
    void theOraclesTwoWaysAgree() throws Exception {
        assumeTrue(x86_64(), "CPUID is x86");
        assumeTrue(Files.isReadable(Path.of("/dev/cpu/0/cpuid")), "no readable /dev/cpu/0/cpuid (root, cpuid driver)");
        assertEquals(InvlpgbOracle.fromCpuidDevice().split(" ")[0], InvlpgbOracle.fromCompiledProgram().split(" ")[0]);
    }

    /** The provider's CPUID answer against the oracle's: a wrong leaf, bit or register in the JNI code fails here. */
    @Test
    void theProvidersCpuidAgreesWithTheIndependentOracle() {
        assumeTrue(x86_64(), "the x86_64 half; the arm64 container test covers aarch64");
        assumeOrFailOnCi(InvlpgbOracle.known(), "no independent INVLPGB oracle: " + InvlpgbOracle.ANSWER);
        NativeLibrary.load(Mprotect.class, "mprotect");
        assertEquals(InvlpgbOracle.invlpgb(), Mprotect.cpuidInvlpgb(), "oracle: " + InvlpgbOracle.ANSWER);
    }

    @Test
    void availableOnThisX86_64MachineUnlessTheCpuHasInvlpgb() {
        assumeTrue(x86_64(), "the x86_64 half; the arm64 container test covers aarch64");
        assumeOrFailOnCi(InvlpgbOracle.known(), "no independent INVLPGB oracle: " + InvlpgbOracle.ANSWER);
        MprotectProvider p = new MprotectProvider();
        Availability a = p.probe();
        assertEquals(MprotectProvider.PRIORITY, p.priority());
        if (InvlpgbOracle.invlpgb()) {
            assertFalse(a.isAvailable(), "oracle: " + InvlpgbOracle.ANSWER + "; " + a);
            assertTrue(a.cause().getMessage().contains("INVLPGB"), a.toString());
        } else {
            assertTrue(a.isAvailable(), "oracle: " + InvlpgbOracle.ANSWER + "; " + a);
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
        assumeMprotectWorksHere();
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
        assumeMprotectWorksHere();
        MprotectProvider p = new MprotectProvider();
        assertTrue(p.probe().isAvailable());
        hammer(new AsymmetricProcessBarrier(p, true), 8, 500);
    }

    /** Without coalescing, barrier() itself runs from many threads at once: the page lock must serialize them. */
    @Test
    void heavyFromEightThreadsAtOnceWithoutCoalescing() throws Exception {
        assumeMprotectWorksHere();
        MprotectProvider p = new MprotectProvider();
        assertTrue(p.probe().isAvailable());
        AsymmetricProcessBarrier b = new AsymmetricProcessBarrier(p, false);
        assertFalse(b.isCoalescing());
        hammer(b, 8, 500);
    }

    static void hammer(ProcessBarrier b, int threads, int calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "pb-mprotect-heavy"); // a daemon: a stuck heavy() fails the test, it cannot hold the fork
            t.setDaemon(true);
            return t;
        });
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
