package io.processbarrier.mprotect;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.processbarrier.testsupport.Ci.assumeOrFailOnCi;

/** What a fresh JVM does: selection properties are read once per process. */
class MprotectChildJvmTest {

    /** {@link ChildMain} in a new JVM on this test's class path, behind {@code prefix} (e.g. prlimit ...) */
    private static ChildProcess.Result child(List<String> prefix, String... jvmArgs) throws Exception {
        return ChildProcess.run(ChildProcess.javaCommand(prefix, List.of(jvmArgs), ChildProcess.classPath(),
                ChildMain.class));
    }

    private static void assumeMprotectWorksHere() {
        MprotectProviderTest.assumeMprotectWorksHere();
    }

    @Test
    void forcedByPropertyOverAHigherPriorityProvider() throws Exception {
        assumeMprotectWorksHere();
        ChildProcess.Result r = child(List.of(), "-Dprocessbarrier.provider=mprotect");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("status membarrier priority=400 available=true selected=false"), r.toString());
        assertTrue(r.out().contains("status mprotect priority=300 available=true selected=true"), r.toString());
        assertTrue(r.out().contains("selected mprotect\nheavy ok"), r.toString());
    }

    @Test
    void excludingMembarrierSelectsMprotect() throws Exception {
        assumeMprotectWorksHere();
        ChildProcess.Result r = child(List.of(), "-Dprocessbarrier.exclude=membarrier");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("selected mprotect\nheavy ok"), r.toString());
    }

    /**
     * RLIMIT_MEMLOCK=0 without CAP_IPC_LOCK: mlock fails, and that becomes the cause, with the errno and the remedy;
     * forcing the provider then fails with that cause instead of crashing.
     */
    @Test
    void mlockRefusedBecomesTheCause() throws Exception {
        assumeMprotectWorksHere();
        assumeOrFailOnCi(ChildProcess.onPath("prlimit"), "needs prlimit (util-linux)");
        List<String> prefix = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            // root's CAP_IPC_LOCK ignores the limit: drop it from the bounding set, so exec leaves it out
            assumeOrFailOnCi(ChildProcess.onPath("setpriv"), "needs setpriv (util-linux) to drop CAP_IPC_LOCK");
            prefix.addAll(List.of("setpriv", "--bounding-set=-ipc_lock", "--"));
        }
        prefix.addAll(List.of("prlimit", "--memlock=0:0", "--"));

        ChildProcess.Result r = child(prefix, "-Dprocessbarrier.provider=mprotect");
        assertEquals(0, r.exit(), r.toString());
        String line = r.out().lines().filter(l -> l.startsWith("status mprotect ")).findFirst().orElse("");
        assertTrue(line.contains("available=false"), r.toString());
        assertTrue(line.contains("mlock(") && line.contains("EPERM") && line.contains("ulimit -l")
                && line.contains("CAP_IPC_LOCK"), line);
        assertTrue(r.out().contains("get failed: processbarrier.provider=mprotect is unavailable here: "
                + "cannot lock the barrier page in memory"), r.toString());
        assertTrue(r.out().contains("status membarrier priority=400 available=true"), "the JVM lives on: " + r);
    }
}
