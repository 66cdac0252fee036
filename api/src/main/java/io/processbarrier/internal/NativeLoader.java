package io.processbarrier.internal;

import io.processbarrier.ProcessBarrierException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds, extracts, verifies and loads {@code libprocessbarrier.so}: the one place where native code enters the
 * process. Extraction never trusts a directory another user could write to, and never loads bytes whose SHA-256
 * differs from the one shipped beside them in the natives jar.
 */
public final class NativeLoader {
    public static final String PATH_PROPERTY = "processbarrier.native.path";
    public static final String DIR_PROPERTY = "processbarrier.native.dir";
    static final String LIBRARY = "libprocessbarrier.so";
    static final String GROUP_ID = "io.processbarrier";

    private static volatile NativeLoader system;

    private final Function<String, String> props;
    private final ClassLoader classLoader;
    private final String platform;
    private final String version;
    private Path loaded;
    private ProcessBarrierException failure;

    NativeLoader(Function<String, String> props, ClassLoader classLoader, String platform) {
        this.props = props;
        this.classLoader = classLoader;
        this.platform = platform;
        String v = NativeLoader.class.getPackage().getImplementationVersion();
        this.version = v == null ? "<version>" : v;
    }

    public static NativeLoader system() {
        NativeLoader l = system;
        if (l == null) {
            synchronized (NativeLoader.class) {
                l = system;
                if (l == null) {
                    String p;
                    try {
                        p = platform(System.getProperty("os.name"), System.getProperty("os.arch"));
                    } catch (ProcessBarrierException e) {
                        p = null;
                    }
                    l = new NativeLoader(System::getProperty, NativeLoader.class.getClassLoader(), p);
                    system = l;
                }
            }
        }
        return l;
    }

    /** Maps the JVM's os.name/os.arch to the natives platform, or throws saying none is built for it. */
    public static String platform(String osName, String osArch) {
        String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            throw new ProcessBarrierException("ProcessBarrier natives exist for Linux only; this is " + osName);
        }
        switch (arch) {
            case "amd64":
            case "x86_64":
                return "linux-x86_64";
            case "aarch64":
            case "arm64":
                return "linux-aarch64";
            default:
                throw new ProcessBarrierException("ProcessBarrier natives exist for x86_64 and aarch64 only; "
                        + "this JVM reports os.arch=" + osArch);
        }
    }

    /** Loads the library once; a failure is remembered and thrown again (as a fresh exception) on every call. */
    public synchronized Path load() {
        if (loaded != null) {
            return loaded;
        }
        if (failure == null) {
            try {
                Path p = locate();
                loadFile(p);
                loaded = p;
                return p;
            } catch (ProcessBarrierException e) {
                failure = e;
            }
        }
        throw new ProcessBarrierException(failure.getMessage(), failure.getCause());
    }

    /** The file to load: the override, or the jar's library extracted and verified. Does not load it. */
    Path locate() {
        if (platform == null) {
            platform(System.getProperty("os.name"), System.getProperty("os.arch")); // throws the reason
        }
        String override = props.apply(PATH_PROPERTY);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new ProcessBarrierException(PATH_PROPERTY + "=" + override + ": no such file");
            }
            requireNotWritableByOthers(p, PATH_PROPERTY + "=" + override);
            return p;
        }
        return extract();
    }

    Path extract() {
        String base = "META-INF/native/" + platform + "/" + LIBRARY;
        URL lib = classLoader.getResource(base);
        URL sum = classLoader.getResource(base + ".sha256");
        if (lib == null || sum == null) {
            throw new ProcessBarrierException("The native library for " + platform + " is not on the class path: "
                    + "add the dependency " + GROUP_ID + ":processbarrier-natives-" + platform + ":" + version
                    + " with classifier " + platform + " (or set -D" + PATH_PROPERTY + "=/path/to/" + LIBRARY + ")");
        }
        String expected = readChecksum(sum);
        String dirSetting = props.apply(DIR_PROPERTY);
        boolean userDir = dirSetting != null && !dirSetting.isBlank();
        Path dir = userDir ? Path.of(dirSetting).toAbsolutePath()
                : Path.of(props.apply("java.io.tmpdir"), "processbarrier-" + props.apply("user.name"))
                .toAbsolutePath();
        preparePrivateDirectory(dir, userDir);
        Path target = dir.resolve("libprocessbarrier-" + expected.substring(0, 16) + ".so");
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            requireOwnedRegularFile(target);
            String actual = sha256(target);
            if (!actual.equals(expected)) {
                throw new ProcessBarrierException("Refusing to load " + target + ": its SHA-256 is " + actual
                        + " but the natives jar says " + expected + ". It was modified after extraction; delete it"
                        + " and ProcessBarrier will extract a fresh copy.");
            }
            return target;
        }
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "libprocessbarrier-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            String actual;
            try (InputStream in = lib.openStream(); OutputStream out = Files.newOutputStream(tmp)) {
                MessageDigest md = sha256();
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
                actual = HexFormat.of().formatHex(md.digest());
            }
            if (!actual.equals(expected)) {
                throw new ProcessBarrierException("Checksum mismatch for " + lib + ": its SHA-256 is " + actual
                        + " but " + base + ".sha256 says " + expected + ". The natives jar is corrupt or was "
                        + "tampered with: replace it with the published one.");
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
                // another JVM extracted the same verified bytes first; rename(2) still replaces atomically
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            return target;
        } catch (IOException e) {
            throw new ProcessBarrierException("Cannot extract " + LIBRARY + " into " + dir + ": " + e
                    + ". Set -D" + DIR_PROPERTY + "=<a private directory you can write>", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    private void loadFile(Path p) {
        try {
            System.load(p.toString());
        } catch (UnsatisfiedLinkError e) {
            String mount = noexecMountOf(p);
            if (mount != null) {
                throw new ProcessBarrierException("Cannot load " + p + ": " + p.getParent() + " is on a noexec mount ("
                        + mount + "). Set -D" + DIR_PROPERTY + "=<a private directory on a mount that allows exec>",
                        e);
            }
            throw new ProcessBarrierException("Cannot load " + p + " (" + platform + "): " + e.getMessage(), e);
        }
    }

    /**
     * Creates the directory private (0700) or checks an existing one: a directory (not a link), owned by this
     * process's user; the default one must be private, a user-chosen one at least not writable by others.
     */
    static void preparePrivateDirectory(Path dir, boolean userChosen) {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir.getParent());
                try {
                    Files.createDirectory(dir,
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException raced) {
                    // checked below like any existing directory
                }
            }
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory()) {
                throw new ProcessBarrierException("Refusing to extract into " + dir + ": it is not a directory"
                        + (a.isSymbolicLink() ? " but a symbolic link" : "") + ". Remove it, or set -D"
                        + DIR_PROPERTY + "=<a private directory>");
            }
            int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != currentUid()) {
                throw new ProcessBarrierException("Refusing to extract into " + dir + ": it belongs to uid " + owner
                        + ", not to this process's uid " + currentUid() + ". Another user could replace the library."
                        + " Set -D" + DIR_PROPERTY + "=<a directory of yours>");
            }
            Set<PosixFilePermission> perms = a.permissions();
            boolean othersWrite = perms.contains(PosixFilePermission.GROUP_WRITE)
                    || perms.contains(PosixFilePermission.OTHERS_WRITE);
            boolean notPrivate = othersWrite || perms.contains(PosixFilePermission.GROUP_READ)
                    || perms.contains(PosixFilePermission.OTHERS_READ)
                    || perms.contains(PosixFilePermission.GROUP_EXECUTE)
                    || perms.contains(PosixFilePermission.OTHERS_EXECUTE);
            if (othersWrite || (!userChosen && notPrivate)) {
                throw new ProcessBarrierException("Refusing to extract into " + dir + ": its mode is "
                        + PosixFilePermissions.toString(perms) + (othersWrite ? ", writable by other users"
                        : ", not private (expected rwx------)") + ". Run chmod 700 on it, or set -D"
                        + DIR_PROPERTY + "=<a private directory>");
            }
        } catch (IOException e) {
            throw new ProcessBarrierException("Cannot prepare " + dir + " for the native library: " + e
                    + ". Set -D" + DIR_PROPERTY + "=<a private directory you can write>", e);
        }
    }

    private static void requireOwnedRegularFile(Path f) {
        try {
            PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                throw new ProcessBarrierException("Refusing to load " + f + ": not a regular file. Delete it.");
            }
            int owner = (Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != currentUid()) {
                throw new ProcessBarrierException("Refusing to load " + f + ": it belongs to uid " + owner
                        + ", not to this process's uid " + currentUid() + ". Delete it.");
            }
        } catch (IOException e) {
            throw new ProcessBarrierException("Cannot inspect " + f + ": " + e, e);
        }
    }

    private static void requireNotWritableByOthers(Path f, String what) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new ProcessBarrierException("Refusing to load " + what + ": the file is writable by other "
                        + "users (" + PosixFilePermissions.toString(perms) + "). Run chmod go-w on it.");
            }
        } catch (IOException e) {
            throw new ProcessBarrierException("Cannot inspect " + what + ": " + e, e);
        }
    }

    /** The uid of this process: /proc/self belongs to it. */
    static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new ProcessBarrierException("Cannot read the uid of this process from /proc/self: " + e, e);
        }
    }

    private static String readChecksum(URL sum) {
        try (InputStream in = sum.openStream()) {
            String s = new String(in.readNBytes(256), StandardCharsets.US_ASCII).trim();
            String hex = s.split("\\s+")[0].toLowerCase(Locale.ROOT);
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new ProcessBarrierException(sum + " does not hold a SHA-256: the natives jar is corrupt");
            }
            return hex;
        } catch (IOException e) {
            throw new ProcessBarrierException("Cannot read " + sum + ": " + e, e);
        }
    }

    static String sha256(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = sha256();
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new ProcessBarrierException("Cannot read " + f + ": " + e, e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The mount point holding {@code p} if that mount is noexec, else null (from /proc/self/mountinfo). */
    static String noexecMountOf(Path p) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            return null;
        }
        String file;
        try {
            file = p.toRealPath().toString();
        } catch (IOException e) {
            file = p.toAbsolutePath().toString();
        }
        String best = null;
        boolean bestNoexec = false;
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length < 6) {
                continue;
            }
            String mp = f[4].replace("\\040", " ");
            boolean covers = file.equals(mp) || file.startsWith(mp.endsWith("/") ? mp : mp + "/");
            if (covers && (best == null || mp.length() >= best.length())) {
                best = mp;
                bestNoexec = List.of(f[5].split(",")).contains("noexec");
            }
        }
        return bestNoexec ? best : null;
    }
}
