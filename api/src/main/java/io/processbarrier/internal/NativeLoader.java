package io.processbarrier.internal;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.internal.bundle.NativeBundle;
import io.processbarrier.internal.support.Platform;
import io.processbarrier.internal.support.Settings;

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
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Finds, extracts, verifies, loads and binds {@code libprocessbarrier.so}: the one place where native code enters the
 * process. Extraction never trusts a directory another user could write to, and never loads bytes whose SHA-256
 * differs from the one shipped beside them in the natives jar.
 *
 * <p>Every copy of ProcessBarrier in a JVM (the unshaded one, each relocated copy, each class loader that holds one)
 * loads a file of its own, named after this class as that copy sees it: {@code
 * libprocessbarrier-<sha16>-<binary name of NativeLoader>[-<unique>].so}. The library reads that name back in
 * {@code JNI_OnLoad} to find this class and registers {@link #init} and {@link #bind} on it; the natives of each
 * provider are then bound to the class the provider passes in. So no Java name is compiled into the C code and a
 * shaded copy links like the original. A second class loader of the same copy cannot load the same path (the JVM
 * refuses), so it loads a private, verified copy of the file, deleted once loaded.
 */
public final class NativeLoader {
    public static final String PATH_PROPERTY = "processbarrier.native.path";
    public static final String DIR_PROPERTY = "processbarrier.native.dir";
    static final String LIBRARY = "libprocessbarrier.so";
    static final String FILE_PREFIX = "libprocessbarrier-";
    static final String GROUP_ID = Settings.GROUP_ID;

    private static volatile NativeLoader system;

    private final Settings props;
    private final ClassLoader classLoader;
    private final String platform;
    private final String version;
    private Path loaded;
    private ProcessBarrierException failure;
    private final Set<Class<?>> bound = new HashSet<>();

    NativeLoader(Settings props, ClassLoader classLoader, String platform) {
        this.props = props;
        this.classLoader = classLoader;
        this.platform = platform;
        String v = NativeLoader.class.getPackage().getImplementationVersion();
        this.version = v == null ? "the version of processbarrier-api" : v;
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
                    l = new NativeLoader(Settings.system(), NativeLoader.class.getClassLoader(), p);
                    system = l;
                }
            }
        }
        return l;
    }

    /** Maps the JVM's os.name/os.arch to the natives platform, or throws saying none is built for it. */
    public static String platform(String osName, String osArch) {
        if (!Platform.isLinux(osName)) {
            throw new ProcessBarrierException("ProcessBarrier natives exist for Linux only; this is " + osName);
        }
        if (Platform.isX86_64(osArch)) {
            return "linux-x86_64";
        }
        if (Platform.isAarch64(osArch)) {
            return "linux-aarch64";
        }
        throw new ProcessBarrierException("ProcessBarrier natives exist for x86_64 and aarch64 only; "
                + "this JVM reports os.arch=" + osArch);
    }

    /** Registered by the library's JNI_OnLoad: the class whose instances it throws for a failed system call. */
    private static native void init(Class<?> errnoException);

    /** Registered by the library's JNI_OnLoad: binds the native methods of {@code group} to {@code target}. */
    private static native void bind(Class<?> target, String group);

    /** Loads the library once; a failure is remembered and thrown again (as a fresh exception) on every call. */
    public synchronized Path load() {
        if (loaded != null) {
            return loaded;
        }
        if (failure == null) {
            try {
                Path p = loadOwnCopy();
                init(ErrnoException.class);
                loaded = p;
                Selector.nativeLibraryLoaded("native library " + p + " loaded for " + NativeLoader.class.getName()
                        + " in class loader " + NativeLoader.class.getClassLoader());
                return p;
            } catch (ProcessBarrierException e) {
                failure = e;
            } catch (LinkageError e) {
                failure = new NativeLoadException("Cannot bind " + LIBRARY + " to " + NativeLoader.class.getName()
                        + ": " + e + ". Use the natives jar of the same version as processbarrier-api.", e);
            }
        }
        throw new NativeLoadException(failure.getMessage(), failure.getCause());
    }

    /**
     * Loads the library if needed, then binds the native methods of {@code group} (a provider's C file) to
     * {@code target}, once per class.
     *
     * @throws ProcessBarrierException with what is missing and what to do
     */
    public synchronized void bindNatives(Class<?> target, String group) {
        load();
        if (bound.contains(target)) {
            return;
        }
        try {
            bind(target, group);
        } catch (IllegalCallerException e) {
            throw nativeAccessDenied(target, e);
        } catch (LinkageError e) {
            throw new NativeLoadException("Cannot bind the native methods of " + target.getName() + " (" + group
                    + ") in " + loaded + ": " + e + ". Use the natives jar of the same version as the provider.", e);
        }
        bound.add(target);
    }

    /** Native access denied on JDK 22+ ({@code --illegal-native-access=deny}): name the flag to add. */
    static ProcessBarrierException nativeAccessDenied(Class<?> c, RuntimeException e) {
        Module m = c.getModule();
        String name = m.isNamed() ? m.getName() : "ALL-UNNAMED";
        return new NativeLoadException("Native access is denied to " + (m.isNamed() ? "module " + name
                : "the class path") + " (" + e.getMessage() + "): run java with --enable-native-access=" + name
                + " (that one module is enough: it alone loads the library)", e);
    }

    private Path loadOwnCopy() {
        Path p = locate();
        try {
            loadFile(p);
            return p;
        } catch (NativeLoadException e) {
            if (!(e.getCause() instanceof UnsatisfiedLinkError)
                    || !String.valueOf(e.getCause().getMessage()).contains("in another classloader")) {
                throw e;
            }
        }
        // another class loader holds that path: load a verified private copy, deleted once it is mapped
        Path own = copyOf(p);
        try {
            loadFile(own);
            return own;
        } finally {
            try {
                Files.deleteIfExists(own);
            } catch (IOException ignored) {
                // a leftover copy in a private directory harms nobody
            }
        }
    }

    /** The file to load: the override or the jar's library, extracted under this copy's name and verified. */
    Path locate() {
        if (platform == null) {
            platform(System.getProperty("os.name"), System.getProperty("os.arch")); // throws the reason
        }
        String override = props.string(PATH_PROPERTY);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new NativeLoadException(PATH_PROPERTY + "=" + override + ": no such file");
            }
            String what = PATH_PROPERTY + "=" + override;
            requireTrusted(p, what);
            requireTrusted(p.getParent(), what + " (its directory)");
            return extract(toUrl(p), sha256(p), what);
        }
        return extract();
    }

    Path extract() {
        String base = "META-INF/native/" + platform + "/" + LIBRARY;
        URL[] own = besideBundleClass(base);
        URL lib = own == null ? classLoader.getResource(base) : own[0];
        URL sum = own == null ? classLoader.getResource(base + ".sha256") : own[1];
        if (lib == null || sum == null) {
            NativeBundle bundle = bundle();
            if (bundle != null) {
                lib = bundle.library();
                sum = bundle.checksum();
            }
        }
        if (lib == null || sum == null) {
            throw new NativeLoadException("The native library for " + platform + " is not on the class path or "
                    + "module path of " + NativeLoader.class.getName() + ": add the dependency " + GROUP_ID
                    + ":processbarrier-natives-" + platform + " (" + version + ") with classifier " + platform
                    + " (or set -D" + PATH_PROPERTY + "=/path/to/" + LIBRARY + ")");
        }
        return extract(lib, readChecksum(sum), base);
    }

    /**
     * The library and its checksum in the jar (or directory) of this copy's natives class for the platform
     * ({@code <package of the api>.natives.linux.x86_64.Natives}, relocated with the api when shaded), or null when
     * that class is not there. A class-path-wide {@code getResource} first asks the platform class loader, which opens
     * the JDK's module image to look: 5-10 ms of a fresh JVM (2-vCPU VM, JDK 17 and 25); this asks one jar. The
     * checksum rules are the same: the {@code .sha256} beside the library in that jar.
     */
    private URL[] besideBundleClass(String base) {
        String pkg = NativeLoader.class.getPackageName();
        String root = pkg.substring(0, pkg.length() - ".internal".length());
        try {
            Class<?> c = Class.forName(root + ".natives." + platform.replace('-', '.') + ".Natives", false,
                    classLoader);
            java.security.CodeSource cs = c.getProtectionDomain().getCodeSource();
            URL where = cs == null ? null : cs.getLocation();
            if (where == null || !"file".equals(where.getProtocol())) {
                return null;
            }
            String loc = where.toString();
            String prefix = loc.endsWith("/") ? loc : "jar:" + loc + "!/";
            URL lib = new URL(prefix + base);
            URL sum = new URL(prefix + base + ".sha256");
            try (InputStream probe = open(sum)) {
                return new URL[] {lib, sum};
            }
        } catch (ClassNotFoundException | LinkageError | IOException | SecurityException e) {
            return null; // not beside it: the class-path-wide lookup and the service say what is missing
        }
    }

    /**
     * {@code url.openStream()}, except that an entry of a jar file ({@code jar:file:...!/entry}) is read through
     * {@link java.util.zip.ZipFile}, which the class loader has loaded and which shares the jar's central directory
     * already read for class loading: {@code JarURLConnection} and its helpers are about ten JDK classes outside the
     * class-data archive, loaded and verified on the caller of the first get().
     */
    static InputStream open(URL url) throws IOException {
        String u = url.toString();
        int bang = u.indexOf("!/");
        if (!u.startsWith("jar:file:") || bang < 0 || u.indexOf("!/", bang + 2) >= 0) {
            return url.openStream();
        }
        Path jar;
        try {
            jar = Path.of(new java.net.URI(u.substring("jar:".length(), bang)));
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            return url.openStream();
        }
        java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile());
        try {
            java.util.zip.ZipEntry entry = zip.getEntry(u.substring(bang + 2));
            if (entry == null) {
                throw new java.io.FileNotFoundException(u);
            }
            InputStream in = zip.getInputStream(entry);
            return new java.io.FilterInputStream(in) {
                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        zip.close();
                    }
                }
            };
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    /** The natives jar of this platform as a service (how the module path finds it), or null. */
    private NativeBundle bundle() {
        try {
            for (NativeBundle b : ServiceLoader.load(NativeBundle.class, NativeLoader.class.getClassLoader())) {
                if (platform.equals(b.platform())) {
                    return b;
                }
            }
        } catch (ServiceConfigurationError e) {
            return null; // a broken entry: the message about the missing library says what to add
        }
        return null;
    }

    /** This copy's name for the library with these contents. */
    static String fileName(String sha256) {
        return FILE_PREFIX + sha256.substring(0, 16) + "-" + NativeLoader.class.getName() + ".so";
    }

    /** Extracts {@code lib} into the private directory under {@link #fileName}, or reuses a verified copy. */
    private Path extract(URL lib, String expected, String what) {
        Path dir = directory();
        preparePrivateDirectory(dir, isSet(props.string(DIR_PROPERTY)));
        Path target = dir.resolve(fileName(expected));
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            requireOwnedRegularFile(target);
            // Byte for byte against the jar's copy, not by hashing: SHA-256 of the library in a cold JVM (security
            // providers, an interpreted digest) costs tens of milliseconds of every startup; a comparison does not.
            // The jar's bytes were checked against its SHA-256 when this file was extracted.
            if (!sameBytes(target, lib)) {
                String actual = sha256(target);
                throw new NativeLoadException("Refusing to load " + target + ": its SHA-256 is " + actual
                        + " but the natives jar says " + expected + ". It was modified after extraction; delete it"
                        + " and ProcessBarrier will extract a fresh copy.");
            }
            return target;
        }
        Path tmp = writeVerified(lib, expected, what, dir, "libprocessbarrier-", ".tmp");
        try {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
                // another JVM extracted the same verified bytes first; rename(2) still replaces atomically
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            return target;
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /**
     * Through {@link java.io.FileInputStream}, which the JVM has initialized at boot: the first {@code Files} read
     * initializes NIO's channels and loads libnio, 7-12 ms of a fresh JVM's startup (2-vCPU VM, JDK 17).
     */
    private static boolean sameBytes(Path file, URL lib) {
        try (InputStream in = open(lib); InputStream f = new java.io.FileInputStream(file.toFile())) {
            return Arrays.equals(f.readAllBytes(), in.readAllBytes());
        } catch (IOException e) {
            throw new NativeLoadException("Cannot read " + file + " or " + lib + ": " + e, e);
        }
    }

    /** A private copy of {@code file} for a second class loader: a unique name that still carries this class. */
    private Path copyOf(Path file) {
        String expected = sha256(file);
        String name = fileName(expected);
        return writeVerified(toUrl(file), expected, file.toString(), file.getParent(),
                name.substring(0, name.length() - ".so".length()) + "-", ".so");
    }

    /** Writes {@code lib} into a new file of {@code dir} (mode r-x------), checking its SHA-256 on the way. */
    private Path writeVerified(URL lib, String expected, String what, Path dir, String prefix, String suffix) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, prefix, suffix,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            String actual;
            try (InputStream in = open(lib); OutputStream out = Files.newOutputStream(tmp)) {
                MessageDigest md = sha256();
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
                actual = HexFormat.of().formatHex(md.digest());
            }
            if (!actual.equals(expected)) {
                throw new NativeLoadException("Checksum mismatch for " + lib + ": its SHA-256 is " + actual
                        + " but " + what + ".sha256 says " + expected + ". The natives jar is corrupt or was "
                        + "tampered with: replace it with the published one.");
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
            Path done = tmp;
            tmp = null;
            return done;
        } catch (IOException e) {
            throw cannotWrite(dir, e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static ProcessBarrierException cannotWrite(Path dir, IOException e) {
        return new NativeLoadException("Cannot extract " + LIBRARY + " into " + dir + ": " + e
                + ". Set -D" + DIR_PROPERTY + "=<a private directory you can write>", e);
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // the original failure is the one to report
            }
        }
    }

    /** The extraction directory: the user's, or {@code ${java.io.tmpdir}/processbarrier-<uid>}. */
    private Path directory() {
        String dirSetting = props.string(DIR_PROPERTY);
        if (isSet(dirSetting)) {
            return Path.of(dirSetting).toAbsolutePath();
        }
        String tmpdir = props.string("java.io.tmpdir");
        Path tmp = Path.of(tmpdir == null ? "/tmp" : tmpdir).toAbsolutePath();
        if (!Files.isDirectory(tmp)) {
            throw new NativeLoadException("java.io.tmpdir=" + tmp + " is not a directory, and ProcessBarrier does not"
                    + " create it: create it, or set -D" + DIR_PROPERTY + "=<a private directory>");
        }
        // keyed by uid, not user name: two uids without a passwd entry must not share a directory
        return tmp.resolve("processbarrier-" + currentUid());
    }

    private static boolean isSet(String s) {
        return s != null && !s.isBlank();
    }

    private static URL toUrl(Path p) {
        try {
            return p.toUri().toURL();
        } catch (java.net.MalformedURLException e) {
            throw new NativeLoadException("Cannot read " + p + ": " + e, e);
        }
    }

    private void loadFile(Path p) {
        try {
            System.load(p.toString());
        } catch (IllegalCallerException e) {
            throw nativeAccessDenied(NativeLoader.class, e);
        } catch (UnsatisfiedLinkError e) {
            String mount = noexecMountOf(p);
            if (mount != null) {
                throw new NativeLoadException("Cannot load " + p + ": " + p.getParent() + " is on a noexec mount ("
                        + mount + "). Set -D" + DIR_PROPERTY + "=<a private directory on a mount that allows exec>",
                        e);
            }
            throw new NativeLoadException("Cannot load " + p + " (" + platform + "): " + e.getMessage(), e);
        }
    }

    /**
     * Creates the directory private (0700) or checks an existing one: a directory (not a link), owned by this
     * process's user; the default one must be private, a user-chosen one at least not writable by others.
     */
    static void preparePrivateDirectory(Path dir, boolean userChosen) {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                if (!Files.isDirectory(dir.getParent())) {
                    throw new NativeLoadException("Cannot extract into " + dir + ": " + dir.getParent() + " does not "
                            + "exist, and ProcessBarrier creates only the last directory. Create it, or set -D"
                            + DIR_PROPERTY + "=<a private directory>");
                }
                try {
                    Files.createDirectory(dir,
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException raced) {
                    // checked below like any existing directory
                }
            }
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory()) {
                throw new NativeLoadException("Refusing to extract into " + dir + ": it is not a directory"
                        + (a.isSymbolicLink() ? " but a symbolic link" : "") + ". Remove it, or set -D"
                        + DIR_PROPERTY + "=<a private directory>");
            }
            int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != currentUid()) {
                throw new NativeLoadException("Refusing to extract into " + dir + ": it belongs to uid " + owner
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
                throw new NativeLoadException("Refusing to extract into " + dir + ": its mode is "
                        + PosixFilePermissions.toString(perms) + (othersWrite ? ", writable by other users"
                        : ", not private (expected rwx------)") + ". Run chmod 700 on it, or set -D"
                        + DIR_PROPERTY + "=<a private directory>");
            }
        } catch (IOException e) {
            throw new NativeLoadException("Cannot prepare " + dir + " for the native library: " + e
                    + ". Set -D" + DIR_PROPERTY + "=<a private directory you can write>", e);
        }
    }

    private static void requireOwnedRegularFile(Path f) {
        try {
            PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                throw new NativeLoadException("Refusing to load " + f + ": not a regular file. Delete it.");
            }
            int owner = (Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != currentUid()) {
                throw new NativeLoadException("Refusing to load " + f + ": it belongs to uid " + owner
                        + ", not to this process's uid " + currentUid() + ". Delete it.");
            }
        } catch (IOException e) {
            throw new NativeLoadException("Cannot inspect " + f + ": " + e, e);
        }
    }

    /** Owned by this process's user or root, and writable by nobody else (a link is judged by its target). */
    private static void requireTrusted(Path f, String what) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
            int owner = (Integer) Files.getAttribute(f, "unix:uid");
            if (owner != currentUid() && owner != 0) {
                throw new NativeLoadException("Refusing to load " + what + ": " + f + " belongs to uid " + owner
                        + ", neither this process's uid " + currentUid() + " nor root, who alone may replace it.");
            }
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new NativeLoadException("Refusing to load " + what + ": " + f + " is writable by other "
                        + "users (" + PosixFilePermissions.toString(perms) + "). Run chmod go-w on it.");
            }
        } catch (IOException e) {
            throw new NativeLoadException("Cannot inspect " + what + ": " + e, e);
        }
    }

    /** The uid of this process: /proc/self belongs to it. */
    static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new NativeLoadException("Cannot read the uid of this process from /proc/self: " + e, e);
        }
    }

    private static String readChecksum(URL sum) {
        try (InputStream in = open(sum)) {
            String s = new String(in.readNBytes(256), StandardCharsets.US_ASCII).trim();
            String hex = s.length() >= 64 ? s.substring(0, 64).toLowerCase(Locale.ROOT) : s;
            // by hand, not with a regular expression: the first Pattern of a JVM costs milliseconds of startup
            boolean ok = hex.length() == 64 && (s.length() == 64 || Character.isWhitespace(s.charAt(64)));
            for (int i = 0; ok && i < 64; i++) {
                char c = hex.charAt(i);
                ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            }
            if (!ok) {
                throw new NativeLoadException(sum + " does not hold a SHA-256: the natives jar is corrupt");
            }
            return hex;
        } catch (IOException e) {
            throw new NativeLoadException("Cannot read " + sum + ": " + e, e);
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
            throw new NativeLoadException("Cannot read " + f + ": " + e, e);
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
