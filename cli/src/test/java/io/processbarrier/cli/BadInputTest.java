package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.processbarrier.testsupport.Ci.assumeOrFailOnCi;

/**
 * Bad configuration, end to end through the public API: each case gives one clear exception that names the cause and
 * what to do, and the JVM keeps running (the child prints {@code alive=yes} after a heavy() of the fence provider).
 * Each case runs in a fresh child JVM (the selection and the native library are per process). The unit tests of
 * NativeLoader itself (api) cover the same checks from the inside; these prove that the message reaches the user.
 */
class BadInputTest {
    @TempDir
    Path tmp;

    private static String fullClassPath() {
        return ChildProcess.classPath();
    }

    private static ChildProcess.Result child(List<String> jvmArgs, String... args) throws Exception {
        return ChildProcess.run(ChildProcess.javaCommand(List.of(), jvmArgs, fullClassPath(), BadInputChild.class,
                args));
    }

    /** java.io.tmpdir of its own: no child touches the shared extraction directory of the machine. */
    private List<String> jvm(String... more) {
        List<String> l = new ArrayList<>(List.of("-Djava.io.tmpdir=" + tmp));
        l.addAll(List.of(more));
        return l;
    }

    private static void assertAlive(ChildProcess.Result r) {
        assertEquals(0, r.exit(), r.toString());
        assertEquals("yes", r.value("alive"), r.toString());
    }

    @Test
    void unknownProviderName() {
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, () -> ProcessBarrier.of("nope"));
        assertTrue(e.getMessage().startsWith("No ProcessBarrier provider named 'nope'. Providers found: "), e.getMessage());
        assertTrue(e.getMessage().contains("membarrier (available)"), e.getMessage());
        assertTrue(e.getMessage().contains("fence (available)"), e.getMessage());
        // and this JVM goes on
        ProcessBarrier.get().heavy();
        ProcessBarrier.of("fence").heavy();
    }

    @Test
    void forcedProviderUnavailableBecauseTheNativesJarIsAbsent() throws Exception {
        String cp = ChildProcess.classPath(e -> !e.contains("natives-linux"));
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(),
                jvm("-Dprocessbarrier.provider=membarrier"), cp, BadInputChild.class, "of=signal", "of=mprotect"));
        assertAlive(r);
        String natives = "The native library for linux-x86_64 is not on the class path or module path of "
                + "io.processbarrier.internal.NativeLoader: add the dependency "
                + "io.processbarrier:processbarrier-natives-linux-x86_64 (";
        assertTrue(r.value("get-error").startsWith("processbarrier.provider=membarrier is unavailable here: " + natives),
                r.toString());
        assertTrue(r.value("get-error").contains("Remove the property to let ProcessBarrier choose."), r.toString());
        // every native provider says why, with the same cause
        for (String p : List.of("membarrier", "mprotect", "signal")) {
            if (r.value("provider." + p) != null) {
                assertTrue(r.value("provider." + p).startsWith("unavailable: " + natives), r.toString());
            }
        }
        assertTrue(r.value("of-error").startsWith("ProcessBarrier provider 'signal' is unavailable here: " + natives),
                r.toString());
    }

    @Test
    void negativeSignalTimeout() throws Exception {
        ChildProcess.Result r = child(jvm("-Dprocessbarrier.provider=signal",
                "-Dprocessbarrier.signal.timeoutMillis=-5"));
        assertAlive(r);
        // a setting that breaks the rule is the error itself (Settings), never a reason to fall back
        assertTrue(r.value("get-error").startsWith("processbarrier.signal.timeoutMillis=-5 is not valid: "
                + "use a whole number of milliseconds from 1 to "), r.toString());
    }

    @Test
    void unknownSignal() throws Exception {
        ChildProcess.Result r = child(jvm("-Dprocessbarrier.provider=signal", "-Dprocessbarrier.signal.number=SIGFOO"));
        assertAlive(r);
        assertTrue(r.value("get-error").startsWith("processbarrier.signal.number=SIGFOO is not a signal number or "
                + "SIGRTMIN+n / SIGRTMAX-n. Use a real-time signal from "), r.toString());
        // a standard signal is refused with its own reason (SIGUSR1 = 10 on Linux)
        r = child(jvm("-Dprocessbarrier.signal.number=10"), "of=signal");
        assertAlive(r);
        // get() stops probing at membarrier, but every setting is judged first: the error does not wait for a host
        // where membarrier is refused
        assertTrue(r.value("get-error").startsWith("processbarrier.signal.number=10 is a standard signal"),
                r.toString());
        assertTrue(r.value("of-error").startsWith("processbarrier.signal.number=10 is a standard signal"),
                r.toString());
    }

    @Test
    void unknownMembarrierCommandAndNonBooleanInvlpgbSwitch() throws Exception {
        ChildProcess.Result r = child(jvm("-Dprocessbarrier.provider=membarrier",
                "-Dprocessbarrier.membarrier.command=BOGUS", "-Dprocessbarrier.mprotect.allowInvlpgb=maybe"),
                "of=mprotect");
        assertAlive(r);
        assertEquals("processbarrier.membarrier.command=BOGUS is not valid: use PRIVATE_EXPEDITED, GLOBAL_EXPEDITED "
                + "or GLOBAL", r.value("get-error"), r.toString());
        // every setting is judged before anything is probed: the first bad one, in the table's order, for both
        assertEquals(r.value("get-error"), r.value("of-error"), r.toString());
        // mprotect's switch alone: get() selects membarrier without probing mprotect, and still refuses it
        r = child(jvm("-Dprocessbarrier.provider=membarrier", "-Dprocessbarrier.mprotect.allowInvlpgb=maybe"));
        assertAlive(r);
        assertEquals("processbarrier.mprotect.allowInvlpgb=maybe is not valid: use true or false",
                r.value("get-error"), r.toString());
    }

    @Test
    void nativeDirectoryOwnedByAnotherUser() throws Exception {
        Path dir;
        int owner;
        if (ChildProcess.isRoot()) {
            dir = Files.createDirectory(tmp.resolve("not-mine"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            ChildProcess.Result chown = ChildProcess.tool("chown", "65534:65534", dir.toString());
            assertEquals(0, chown.exit(), chown.toString());
            owner = 65534;
        } else {
            dir = Path.of("/usr"); // root's
            owner = 0;
        }
        ChildProcess.Result r = child(jvm("-Dprocessbarrier.provider=membarrier",
                "-Dprocessbarrier.native.dir=" + dir));
        assertAlive(r);
        assertTrue(r.value("get-error").startsWith("processbarrier.provider=membarrier is unavailable here: "
                + "Refusing to extract into " + dir + ": it belongs to uid " + owner + ", not to this process's uid "),
                r.toString());
        assertTrue(r.value("get-error").contains("Set -Dprocessbarrier.native.dir=<a directory of yours>"), r.toString());
    }

    /**
     * A directory the JVM may not write to: a read-only tmpfs when root (root writes through permission bits), mounted
     * in a private mount namespace of the child only; a mode-0500 directory otherwise.
     */
    @Test
    void nativeDirectoryNotWritable() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("read-only"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        List<String> jvmArgs = jvm("-Dprocessbarrier.provider=membarrier", "-Dprocessbarrier.native.dir=" + dir);
        ChildProcess.Result r;
        if (ChildProcess.isRoot()) {
            r = ChildProcess.run(ChildProcess.javaCommand(privateMount("ro,mode=0700", dir), jvmArgs, fullClassPath(),
                    BadInputChild.class));
        } else {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
            r = child(jvmArgs);
        }
        assertAlive(r);
        Matcher m = Pattern.compile("^processbarrier\\.provider=membarrier is unavailable here: Cannot extract "
                + "libprocessbarrier\\.so into " + Pattern.quote(dir.toString()) + ": .*(Read-only file system|"
                + "AccessDeniedException).*Set -Dprocessbarrier\\.native\\.dir=<a private directory you can write>")
                .matcher(r.value("get-error"));
        assertTrue(m.find(), r.toString());
    }

    /**
     * The temporary directory on a noexec mount (a hardened /tmp): the default extraction directory is there, loading
     * fails, and the message names the mount and the property to set. Needs root for a real mount; the mount lives in
     * a private mount namespace of the child, so nothing is left behind even if the test dies.
     */
    @Test
    void tempDirectoryMountedNoexec() throws Exception {
        assumeOrFailOnCi(ChildProcess.isRoot(), "needs root to mount a noexec tmpfs (unshare + mount); "
                + "NativeLoaderTest covers the message logic without a mount");
        Path mnt = Files.createDirectory(tmp.resolve("noexec-tmp"));
        List<String> jvmArgs = List.of("-Djava.io.tmpdir=" + mnt, "-Dprocessbarrier.provider=membarrier");
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(privateMount("noexec,mode=1777", mnt),
                jvmArgs, fullClassPath(), BadInputChild.class));
        assertAlive(r);
        Path extracted = mnt.resolve("processbarrier-" + uid());
        Matcher m = Pattern.compile("^processbarrier\\.provider=membarrier is unavailable here: Cannot load "
                + Pattern.quote(extracted.toString()) + "/libprocessbarrier-[0-9a-f]{16}-" + LOADER + "\\.so: "
                + Pattern.quote(extracted.toString()) + " is on a noexec mount \\(" + Pattern.quote(mnt.toString())
                + "\\)\\. Set -Dprocessbarrier\\.native\\.dir=<a private directory on a mount that allows exec>")
                .matcher(r.value("get-error"));
        assertTrue(m.find(), r.toString());
        // and the advice works: the same child with the property set to an exec-able private directory
        Path ok = Files.createDirectory(tmp.resolve("exec-ok"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        List<String> fixed = new ArrayList<>(jvmArgs);
        fixed.add("-Dprocessbarrier.native.dir=" + ok);
        r = ChildProcess.run(ChildProcess.javaCommand(privateMount("noexec,mode=1777", mnt), fixed, fullClassPath(),
                BadInputChild.class));
        assertAlive(r);
        assertEquals("membarrier", r.value("get"), r.toString());
    }

    /** The library in the real default extraction directory, modified after extraction: refused, then recovered. */
    @Test
    void corruptedExtractedLibrary() throws Exception {
        ChildProcess.Result first = child(jvm());
        assertAlive(first);
        assertEquals("membarrier", first.value("get"), first.toString());
        Path dir = tmp.resolve("processbarrier-" + uid());
        Path lib;
        try (Stream<Path> s = Files.list(dir)) {
            lib = s.filter(p -> p.getFileName().toString().matches("libprocessbarrier-[0-9a-f]{16}-" + LOADER + "\\.so"))
                    .findFirst().orElse(null);
        }
        assertNotNull(lib, "the first child extracted nothing into " + dir);
        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rwx------"));
        Files.write(lib, new byte[] {0x0b, 0x4d}, java.nio.file.StandardOpenOption.APPEND);

        ChildProcess.Result r = child(jvm("-Dprocessbarrier.provider=membarrier"));
        assertAlive(r);
        Matcher m = Pattern.compile("^processbarrier\\.provider=membarrier is unavailable here: Refusing to load "
                + Pattern.quote(lib.toString()) + ": its SHA-256 is [0-9a-f]{64} but the natives jar says [0-9a-f]{64}\\."
                + " It was modified after extraction; delete it and ProcessBarrier will extract a fresh copy\\.")
                .matcher(r.value("get-error"));
        assertTrue(m.find(), r.toString());
        // unforced: selection goes on without the natives (fence), and says why
        r = child(jvm());
        assertAlive(r);
        assertEquals("fence", r.value("get"), r.toString());
        assertTrue(r.value("provider.membarrier").startsWith("unavailable: Refusing to load " + lib), r.toString());

        // the advice works
        Files.delete(lib);
        r = child(jvm());
        assertAlive(r);
        assertEquals("membarrier", r.value("get"), r.toString());
    }

    /** The loader class the extracted file is named after, as a regular expression. */
    private static final String LOADER = Pattern.quote("io.processbarrier.internal.NativeLoader");

    private static int uid() throws java.io.IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** {@code unshare -m sh -c 'mount -t tmpfs -o OPTIONS tmpfs DIR && exec "$@"'}: a mount only the child sees. */
    static List<String> privateMount(String options, Path dir) {
        return List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o " + options + " tmpfs \"$0\" && exec \"$@\"", dir.toString());
    }
}
