package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProviderStatus;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kernel refusal: a child JVM runs under a seccomp filter that makes membarrier(2) fail (src/test/c/deny_membarrier.c,
 * compiled here with gcc, which the build needs anyway for the natives). Selection must fall to the next provider,
 * and the doctor must show membarrier unavailable with the errno as the cause. The container version (a Docker seccomp
 * profile) is in it-tests.
 */
class SeccompTest {
    private static Path launcher;

    @BeforeAll
    static void compileLauncher() throws Exception {
        Path src = Path.of("src/test/c/deny_membarrier.c").toAbsolutePath();
        assertTrue(Files.isRegularFile(src), "missing " + src + " (the test runs from the cli module directory)");
        Path dir = Files.createDirectories(Path.of("target/test-native").toAbsolutePath());
        launcher = dir.resolve("deny_membarrier");
        ChildProcess.Result gcc = ChildProcess.tool("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                launcher.toString(), src.toString());
        assertEquals(0, gcc.exit(), "gcc could not build the seccomp launcher:\n" + gcc);
    }

    /** The provider selection falls to when membarrier is gone: the best available one of this JVM after it. */
    private static String nextProvider() {
        return ProcessBarrier.providers().stream().filter(ProviderStatus::available)
                .map(ProviderStatus::name).filter(n -> !n.equals("membarrier")).findFirst().orElseThrow();
    }

    private static ChildProcess.Result doctorUnderFilter(int errno) throws Exception {
        return ChildProcess.run(ChildProcess.javaCommand(List.of(launcher.toString(), String.valueOf(errno)),
                List.of("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir")), ChildProcess.classPath(),
                Main.class, "--json", "--no-latency"));
    }

    @Test
    void membarrierDeniedWithEpermFallsToTheNextProvider() throws Exception {
        assertEquals("membarrier", ProcessBarrier.get().name(), "without the filter this machine selects membarrier");
        ChildProcess.Result r = doctorUnderFilter(1);
        assertEquals(0, r.exit(), r.toString());
        String json = r.out();
        assertTrue(json.contains("\"selected\": \"" + nextProvider() + "\""), r.toString());
        Matcher m = Pattern.compile("\"name\": \"membarrier\",[^}]*\"available\": false,[^}]*\"cause\": \"([^\"]*)\"")
                .matcher(json);
        assertTrue(m.find(), r.toString());
        assertTrue(m.group(1).startsWith("the kernel refuses membarrier(MEMBARRIER_CMD_QUERY): EPERM: "), m.group(1));
        assertTrue(m.group(1).contains("failed: EPERM (errno 1, operation not permitted: a seccomp filter"), m.group(1));
        assertTrue(json.contains("\"membarrierError\": \"membarrier("), "the environment section says so too: " + json);
        // a kernel that refuses is no misconfiguration: the decision is logged at DEBUG, so nothing on stderr
        assertFalse(r.err().contains("ProcessBarrier: using"), r.err());
    }

    @Test
    void membarrierDeniedWithEnosysSaysSo() throws Exception {
        ChildProcess.Result r = doctorUnderFilter(38);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("\"selected\": \"" + nextProvider() + "\""), r.toString());
        assertTrue(r.out().contains("the kernel refuses membarrier(MEMBARRIER_CMD_QUERY): ENOSYS: "), r.toString());
        assertTrue(r.out().contains("ENOSYS (errno 38, system call not implemented"), r.toString());
    }

    @Test
    void forcingTheDeniedProviderFailsWithTheErrno() throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(launcher.toString(), "1"),
                List.of("-Dprocessbarrier.provider=membarrier"), ChildProcess.classPath(), BadInputChild.class));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("yes", r.value("alive"), r.toString());
        assertTrue(r.value("get-error").startsWith("processbarrier.provider=membarrier is unavailable here: the kernel "
                + "refuses membarrier(MEMBARRIER_CMD_QUERY): EPERM: "), r.toString());
    }
}
