package io.processbarrier.internal;

import io.processbarrier.ProcessBarrierException;
import io.processbarrier.internal.support.Settings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.processbarrier.testsupport.Ci.assumeOrFailOnCi;

class NativeLoaderTest {
    static final String PLATFORM = "linux-test";
    static final byte[] LIBRARY = "pretend this is an ELF shared object".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;
    Path jarRoot;
    Path extractDir;
    final Map<String, String> props = new HashMap<>();

    @BeforeEach
    void setUp() throws IOException {
        jarRoot = Files.createDirectory(tmp.resolve("jar"));
        extractDir = Files.createDirectory(tmp.resolve("extract"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        props.put("java.io.tmpdir", tmp.toString());
        props.put("user.name", "tester");
        props.put(NativeLoader.DIR_PROPERTY, extractDir.toString());
    }

    /** A natives "jar": the library and its checksum file under META-INF/native/PLATFORM/. */
    private NativeLoader loader(byte[] lib, String checksum) throws IOException {
        Path d = Files.createDirectories(jarRoot.resolve("META-INF/native/" + PLATFORM));
        Files.write(d.resolve(NativeLoader.LIBRARY), lib);
        Files.writeString(d.resolve(NativeLoader.LIBRARY + ".sha256"), checksum + "\n");
        URLClassLoader cl = new URLClassLoader(new URL[] {jarRoot.toUri().toURL()}, null);
        return new NativeLoader(Settings.of(props::get), cl, PLATFORM);
    }

    private static String sha(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void platformsMapFromOsNameAndArch() {
        assertEquals("linux-x86_64", NativeLoader.platform("Linux", "amd64"));
        assertEquals("linux-x86_64", NativeLoader.platform("Linux", "x86_64"));
        assertEquals("linux-aarch64", NativeLoader.platform("Linux", "aarch64"));
        assertEquals("ProcessBarrier natives exist for x86_64 and aarch64 only; this JVM reports os.arch=riscv64",
                assertThrows(ProcessBarrierException.class, () -> NativeLoader.platform("Linux", "riscv64")).getMessage());
        assertEquals("ProcessBarrier natives exist for Linux only; this is Mac OS X",
                assertThrows(ProcessBarrierException.class, () -> NativeLoader.platform("Mac OS X", "aarch64")).getMessage());
    }

    @Test
    void extractsVerifiedCopyIntoPrivateDirectoryOnce() throws Exception {
        NativeLoader l = loader(LIBRARY, sha(LIBRARY));
        Path p = l.extract();
        assertEquals(extractDir, p.getParent());
        assertEquals(sha(LIBRARY), NativeLoader.sha256(p));
        assertEquals("r-x------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        long before = Files.getLastModifiedTime(p).toMillis();
        assertEquals(p, l.extract(), "a verified existing copy is reused");
        assertEquals(before, Files.getLastModifiedTime(p).toMillis());
        try (var files = Files.list(extractDir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void checksumMismatchOfTheJarResourceIsRefused() throws Exception {
        NativeLoader l = loader(LIBRARY, sha("something else".getBytes(StandardCharsets.US_ASCII)));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::extract);
        assertTrue(e.getMessage().startsWith("Checksum mismatch for "), e.getMessage());
        assertTrue(e.getMessage().contains("The natives jar is corrupt or was tampered with"), e.getMessage());
        try (var files = Files.list(extractDir)) {
            assertEquals(0, files.count(), "nothing unverified stays on disk");
        }
    }

    @Test
    void malformedChecksumFileIsRefused() throws Exception {
        NativeLoader l = loader(LIBRARY, "not-a-digest");
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::extract);
        assertTrue(e.getMessage().endsWith("does not hold a SHA-256: the natives jar is corrupt"), e.getMessage());
    }

    @Test
    void extractedCopyModifiedAfterwardsIsRefused() throws Exception {
        NativeLoader l = loader(LIBRARY, sha(LIBRARY));
        Path p = l.extract();
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        Files.write(p, "evil".getBytes(StandardCharsets.US_ASCII));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::extract);
        assertTrue(e.getMessage().contains("It was modified after extraction; delete it"), e.getMessage());
    }

    @Test
    void directoryWritableByOthersIsRefused() throws Exception {
        NativeLoader l = loader(LIBRARY, sha(LIBRARY));
        Files.setPosixFilePermissions(extractDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::extract);
        assertEquals("Refusing to extract into " + extractDir + ": its mode is rwxrwxrwx, writable by other users. "
                + "Run chmod 700 on it, or set -Dprocessbarrier.native.dir=<a private directory>", e.getMessage());
    }

    @Test
    void directoryOwnedByAnotherUserIsRefused() throws Exception {
        assumeOrFailOnCi(NativeLoader.currentUid() == 0, "needs root to give a directory to another user");
        NativeLoader l = loader(LIBRARY, sha(LIBRARY));
        Files.setAttribute(extractDir, "unix:uid", 65534);
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::extract);
        assertTrue(e.getMessage().contains("it belongs to uid 65534, not to this process's uid 0"), e.getMessage());
    }

    @Test
    void symbolicLinkInsteadOfDirectoryIsRefused() throws Exception {
        NativeLoader l = loader(LIBRARY, sha(LIBRARY));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), extractDir);
        props.put(NativeLoader.DIR_PROPERTY, link.toString());
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::extract);
        assertTrue(e.getMessage().contains("it is not a directory but a symbolic link"), e.getMessage());
    }

    @Test
    void defaultDirectoryIsCreatedPrivateAndMustStayPrivate() throws Exception {
        props.remove(NativeLoader.DIR_PROPERTY);
        NativeLoader l = loader(LIBRARY, sha(LIBRARY));
        Path p = l.extract();
        // keyed by uid, not user name: two uids without a passwd entry must not share it
        Path dir = tmp.resolve("processbarrier-" + NativeLoader.currentUid());
        assertEquals(dir, p.getParent());
        assertEquals(NativeLoader.fileName(sha(LIBRARY)), p.getFileName().toString(),
                "named after this copy's loader class, which the library reads back to bind itself");
        assertTrue(p.getFileName().toString().endsWith("-" + NativeLoader.class.getName() + ".so"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::extract);
        assertTrue(e.getMessage().contains("not private (expected rwx------)"), e.getMessage());
    }

    @Test
    void aMissingTempDirectoryIsNeverCreated() throws Exception {
        props.remove(NativeLoader.DIR_PROPERTY);
        Path absent = tmp.resolve("no-such-tmp");
        props.put("java.io.tmpdir", absent.toString());
        NativeLoader l = loader(LIBRARY, sha(LIBRARY));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::extract);
        assertEquals("java.io.tmpdir=" + absent + " is not a directory, and ProcessBarrier does not create it: create "
                + "it, or set -Dprocessbarrier.native.dir=<a private directory>", e.getMessage());
        assertFalse(Files.exists(absent));
    }

    @Test
    void missingNativesJarNamesTheCoordinateToAdd() throws Exception {
        URLClassLoader empty = new URLClassLoader(new URL[0], null);
        NativeLoader l = new NativeLoader(Settings.of(props::get), empty, "linux-x86_64");
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::locate);
        // names the loader class as this copy sees it: a shaded copy names its own package
        assertTrue(e.getMessage().startsWith("The native library for linux-x86_64 is not on the class path or module "
                + "path of " + NativeLoader.class.getName() + ": add the dependency "
                + "io.processbarrier:processbarrier-natives-linux-x86_64 ("), e.getMessage());
        assertTrue(e.getMessage().contains("with classifier linux-x86_64"), e.getMessage());
    }

    @Test
    void pathOverrideIsCopiedUnderThisCopysNameButMustExistAndBeProtected() throws Exception {
        NativeLoader l = loader(LIBRARY, "ignored: the override bypasses the jar");
        Path mine = Files.createDirectory(tmp.resolve("mine"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path lib = Files.write(mine.resolve("mylib.so"), LIBRARY);
        props.put(NativeLoader.PATH_PROPERTY, lib.toString());
        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rw-r--r--"));
        Path loaded = l.locate();
        assertEquals(extractDir.resolve(NativeLoader.fileName(sha(LIBRARY))), loaded,
                "copied into the private directory under the name the library binds itself by");
        assertEquals(sha(LIBRARY), NativeLoader.sha256(loaded));

        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rw-rw-rw-"));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class, l::locate);
        assertTrue(e.getMessage().contains(lib + " is writable by other users"), e.getMessage());

        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwxrwxrwx"));
        e = assertThrows(ProcessBarrierException.class, l::locate);
        assertTrue(e.getMessage().contains("(its directory): " + mine + " is writable by other users"), e.getMessage());
        Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwxr-xr-x"));

        if (NativeLoader.currentUid() == 0) {
            Files.setAttribute(lib, "unix:uid", 65534);
            e = assertThrows(ProcessBarrierException.class, l::locate);
            assertTrue(e.getMessage().contains(lib + " belongs to uid 65534, neither this process's uid"), e.getMessage());
        }

        props.put(NativeLoader.PATH_PROPERTY, tmp.resolve("absent.so").toString());
        e = assertThrows(ProcessBarrierException.class, l::locate);
        assertEquals("processbarrier.native.path=" + tmp.resolve("absent.so") + ": no such file", e.getMessage());
    }

    @Test
    void loadFailureIsRememberedAndExplained() throws Exception {
        NativeLoader l = loader(LIBRARY, sha(LIBRARY)); // not an ELF file: System.load must fail cleanly
        ProcessBarrierException first = assertThrows(ProcessBarrierException.class, l::load);
        assertTrue(first.getMessage().startsWith("Cannot load "), first.getMessage());
        ProcessBarrierException again = assertThrows(ProcessBarrierException.class, l::load);
        assertEquals(first.getMessage(), again.getMessage());
    }

    @Test
    void noexecMountsAreRecognisedFromMountinfo() throws Exception {
        assumeOrFailOnCi(NativeLoader.currentUid() == 0, "needs root to mount a noexec tmpfs");
        Path mnt = Files.createDirectory(tmp.resolve("noexec"));
        assertEquals(0, run("mount", "-t", "tmpfs", "-o", "noexec,size=1m", "tmpfs", mnt.toString()));
        try {
            assertEquals(mnt.toString(), NativeLoader.noexecMountOf(mnt.resolve("libprocessbarrier-x.so")));
            assertNull(NativeLoader.noexecMountOf(extractDir.resolve("libprocessbarrier-x.so")));
        } finally {
            assertEquals(0, run("umount", mnt.toString()));
        }
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        return p.exitValue();
    }

    /** Issue 18 item 6: the cause said "the README lists every module that needs it"; the README says one is enough. */
    @Test
    void theNativeAccessCauseSaysOneModuleIsEnoughAsTheReadmeDoes() {
        String named = NativeLoader.nativeAccessDenied(String.class, new IllegalCallerException("denied"))
                .getMessage();
        org.junit.jupiter.api.Assertions.assertEquals("Native access is denied to module java.base (denied): run java "
                + "with --enable-native-access=java.base (that one module is enough: it alone loads the library)",
                named);
        String unnamed = NativeLoader.nativeAccessDenied(NativeLoaderTest.class, new IllegalCallerException("denied"))
                .getMessage();
        org.junit.jupiter.api.Assertions.assertTrue(unnamed.contains("--enable-native-access=ALL-UNNAMED (that one "
                + "module is enough"), unnamed);
        org.junit.jupiter.api.Assertions.assertFalse(unnamed.contains("lists every module"), unnamed);
    }
}
