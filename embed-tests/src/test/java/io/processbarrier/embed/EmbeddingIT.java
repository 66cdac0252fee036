package io.processbarrier.embed;

import embedtest.Probe;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ProcessBarrier as frameworks embed it, with the jars of this build (target/unshaded: api, providers, natives;
 * target/shaded: the same relocated with maven-shade-plugin under three packages, one without natives). Every
 * scenario runs in a child JVM, since native libraries, signal handlers and the kernel registration are per process.
 */
class EmbeddingIT {
    static final Path TARGET = Path.of(System.getProperty("embed.target", "target"));
    static final String UNSHADED = "io.processbarrier";
    static final String FW = "com.example.fw.pb";
    static final String PLUGIN = "org.acme.plugin.internal.shaded.pb";
    static final String NONATIVES = "net.other.pb";

    static List<String> unshaded;
    static String probe;

    @BeforeAll
    static void artifacts() throws IOException {
        try (Stream<Path> s = Files.list(TARGET.resolve("unshaded"))) {
            unshaded = s.map(Path::toString).sorted().collect(Collectors.toList());
        }
        assertEquals(6, unshaded.size(), "api, 3 providers, 2 natives jars: " + unshaded);
        probe = Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
    }

    static String shaded(String name) {
        return TARGET.resolve("shaded").resolve(name + ".jar").toString();
    }

    static ChildProcess.Result probe(List<String> classPath, List<String> jvmArgs, String... args) throws Exception {
        List<String> cp = new ArrayList<>(List.of(probe));
        cp.addAll(classPath);
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), jvmArgs,
                String.join(File.pathSeparator, cp), Probe.class, args));
        assertEquals(0, r.exit(), r.toString());
        return r;
    }

    static String inLoader(String pkg, List<String> jars) {
        return "cl:" + pkg + "@" + String.join(",", jars);
    }

    @Test
    void everyCopyGetsMembarrierSideBySide() throws Exception {
        List<String> cp = new ArrayList<>(unshaded);
        cp.add(shaded("fw"));
        cp.add(shaded("plugin"));
        List<String> fw = List.of(shaded("fw"));
        ChildProcess.Result r = probe(cp, List.of(), "copies", UNSHADED, FW, PLUGIN,
                inLoader(UNSHADED, unshaded), inLoader(UNSHADED, unshaded), inLoader(UNSHADED, unshaded),
                inLoader(FW, fw), inLoader(FW, fw));
        long membarrier = r.out().lines().filter(l -> l.endsWith(": provider membarrier")).count();
        assertEquals(8, membarrier, "the class-path copies, three sibling loaders of the unshaded jars and two of a "
                + "shaded jar all get the real barrier: " + r);
        assertFalse(r.out().contains("failed"), r.toString());
        assertFalse(r.err().contains("WARNING"), "nothing to warn about: " + r);
    }

    @Test
    void aShadedCopyWithoutNativesFallsBackNamingItsOwnPackage() throws Exception {
        // the JUL line shows the logger's name (%3$s): relocation must not rewrite it, nor the artifact to add
        ChildProcess.Result r = probe(List.of(shaded("nonatives")),
                List.of("-Djava.util.logging.SimpleFormatter.format=logger %3$s %4$s: %5$s%n"), "copies", NONATIVES);
        assertTrue(r.err().contains("logger io.processbarrier WARNING: ProcessBarrier: using fence"), r.toString());
        assertTrue(r.out().contains("add the dependency io.processbarrier:processbarrier-natives-linux-x86_64"),
                r.toString());
        assertTrue(r.out().contains("copy " + NONATIVES + ": provider fence"), r.toString());
        assertTrue(r.out().contains("membarrier available=false cause=The native library for linux-x86_64 is not on "
                + "the class path or module path of " + NONATIVES + ".internal.NativeLoader"), r.toString());
        // a misconfiguration, so a WARNING (System.Logger's default JUL output), naming the same cause
        assertTrue(r.err().contains("WARNING: ProcessBarrier: using fence"), r.toString());
        assertTrue(r.err().contains(NONATIVES + ".internal.NativeLoader"), r.toString());
    }

    @Test
    void twoCopiesForcedToDifferentProvidersWorkSideBySideAndAThirdSignalCopyRefusesClearly() throws Exception {
        List<String> cp = new ArrayList<>(unshaded);
        cp.add(shaded("fw"));
        cp.add(shaded("plugin"));
        ChildProcess.Result r = probe(cp, List.of(), "copies", UNSHADED + "=signal", FW + "=mprotect",
                PLUGIN + "=signal", FW + "=membarrier");
        assertTrue(r.out().contains("copy " + UNSHADED + "=signal: provider signal"), r.toString());
        assertTrue(r.out().contains("copy " + FW + "=mprotect: provider mprotect"), r.toString());
        assertTrue(r.out().contains("copy " + FW + "=membarrier: provider membarrier"), r.toString());
        // one signal handler per signal and process: the second copy says whose it is and does not take it
        assertTrue(r.out().contains("copy " + PLUGIN + "=signal: failed " + PLUGIN + ".ProcessBarrierException: "
                + "ProcessBarrier provider 'signal' is unavailable here: "), r.toString());
        assertTrue(r.out().contains("is in use by another copy of ProcessBarrier in this process"), r.toString());
    }

    @Test
    void redeployUnloadsTheLibraryButNeverTheHandlerAndTheNextDeploymentTakesTheSignalOver() throws Exception {
        ChildProcess.Result r = probe(List.of(), List.of("-Xmx128m"), "redeploy", "3", String.join(",", unshaded));
        for (int round = 1; round <= 3; round++) {
            assertTrue(r.out().contains("round " + round + ": signal heavy() ok"), r.toString());
            assertTrue(r.out().contains("round " + round + ": class loader collected=true"),
                    "the test needs the loader (and so its library) really unloaded: " + r);
            assertTrue(r.out().contains("round " + round + ": survived a late signal"), r.toString());
        }
    }

    /** The README's setup: the api, a provider and the natives jar on the module path, an app that requires the api. */
    @Test
    void modulePathAsTheReadmeSaysResolvesTheNativesWithNoFlag() throws Exception {
        Path app = appJar();
        List<String> modules = new ArrayList<>(modules(unshaded));
        modules.add(app.toString());
        ChildProcess.Result r = ChildProcess.run(List.of(ChildProcess.java(), "--module-path",
                String.join(File.pathSeparator, modules), "-m", "embed.app/embed.app.Main"));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("membarrier", r.value("selected"), r.toString());
        assertTrue(r.out().contains("io.processbarrier.natives.linux.x86_64"), "resolved by service binding: " + r);
    }

    @Test
    void jlinkAcceptsTheNativesModuleAndTheImageRunsMembarrier() throws Exception {
        Path app = appJar();
        Path image = TARGET.resolve("jlink-image");
        deleteTree(image);
        List<String> modules = new ArrayList<>(modules(unshaded));
        modules.add(app.toString());
        modules.add(Path.of(System.getProperty("java.home"), "jmods").toString());
        ToolProvider jlink = ToolProvider.findFirst("jlink").orElseThrow();
        java.io.StringWriter out = new java.io.StringWriter();
        int rc = jlink.run(new java.io.PrintWriter(out), new java.io.PrintWriter(out), "--module-path",
                String.join(File.pathSeparator, modules), "--add-modules",
                "embed.app,io.processbarrier.membarrier,io.processbarrier.natives.linux.x86_64",
                "--output", image.toString());
        assertEquals(0, rc, "jlink: " + out);
        ChildProcess.Result r = ChildProcess.run(List.of(image.resolve("bin/java").toString(), "-m",
                "embed.app/embed.app.Main"));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("membarrier", r.value("selected"), r.toString());
    }

    /**
     * JDK 22+ checks native access of the module that calls System.load: with the natives bound by RegisterNatives,
     * that is io.processbarrier alone (the providers' modules need nothing). Denied, the cause names the flag.
     */
    @Test
    void nativeAccessNeedsOnlyTheApiModuleAndADenialNamesTheFlag() throws Exception {
        Path jdk = jdk22();
        String java = jdk.resolve("bin/java").toString();
        List<String> modules = new ArrayList<>(modules(unshaded));
        modules.add(appJar().toString());
        String mp = String.join(File.pathSeparator, modules);
        ChildProcess.Result denied = ChildProcess.run(List.of(java, "--illegal-native-access=deny", "--module-path", mp,
                "-m", "embed.app/embed.app.Main"));
        assertEquals(0, denied.exit(), denied.toString());
        assertEquals("fence", denied.value("selected"), denied.toString());
        assertTrue(denied.out().contains("provider membarrier available=false cause=Native access is denied to module "
                + "io.processbarrier ("), denied.toString());
        assertTrue(denied.out().contains("run java with --enable-native-access=io.processbarrier "), denied.toString());
        assertTrue(denied.err().contains("WARNING: ProcessBarrier: using fence"), "a misconfiguration: " + denied);

        ChildProcess.Result enabled = ChildProcess.run(List.of(java, "--illegal-native-access=deny",
                "--enable-native-access=io.processbarrier", "--module-path", mp, "-m", "embed.app/embed.app.Main"));
        assertEquals(0, enabled.exit(), enabled.toString());
        assertEquals("membarrier", enabled.value("selected"), enabled.toString());
        assertFalse(enabled.err().contains("WARNING"), enabled.toString());
    }

    /** A JDK 22 or later: PB_SECOND_JDK, else Temurin 25 under /usr/lib/jvm. Missing, a failure under CI. */
    static Path jdk22() throws IOException {
        String env = System.getenv("PB_SECOND_JDK");
        Path jdk = env != null && !env.isBlank() ? Path.of(env) : null;
        if (jdk == null) {
            try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
                jdk = s.filter(p -> p.getFileName().toString().startsWith("temurin-25")).findFirst().orElse(null);
            }
        }
        boolean ci = "true".equals(System.getenv("CI"));
        if (jdk == null || !Files.isExecutable(jdk.resolve("bin/java"))) {
            assertFalse(ci, "no JDK 22+ for the native-access test: install Temurin 25 or set PB_SECOND_JDK");
            org.junit.jupiter.api.Assumptions.abort("no JDK 22+ (set PB_SECOND_JDK)");
        }
        return jdk;
    }

    /** The jars a modular application needs: api, membarrier, the natives of this machine (not aarch64's). */
    static List<String> modules(List<String> jars) {
        return jars.stream().filter(j -> j.contains("processbarrier-api") || j.contains("spi-membarrier")
                || j.contains("natives-linux-x86_64")).collect(Collectors.toList());
    }

    /** Compiles src/test/app (module embed.app) against the api jar. */
    static synchronized Path appJar() throws Exception {
        Path jar = TARGET.resolve("embed-app.jar");
        if (Files.exists(jar)) {
            return jar;
        }
        Path src = Path.of(System.getProperty("embed.app", "src/test/app")).resolve("embed.app");
        Path classes = TARGET.resolve("embed-app-classes");
        deleteTree(classes);
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--module-path",
                String.join(File.pathSeparator, modules(unshaded))));
        try (Stream<Path> s = Files.walk(src)) {
            s.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        java.io.StringWriter log = new java.io.StringWriter();
        int rc = ToolProvider.findFirst("javac").orElseThrow().run(new java.io.PrintWriter(log),
                new java.io.PrintWriter(log), args.toArray(new String[0]));
        assertEquals(0, rc, "javac: " + log);
        rc = ToolProvider.findFirst("jar").orElseThrow().run(new java.io.PrintWriter(log),
                new java.io.PrintWriter(log), "--create", "--file", jar.toString(), "-C", classes.toString(), ".");
        assertEquals(0, rc, "jar: " + log);
        return jar;
    }

    static void deleteTree(Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path q : s.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                    Files.delete(q);
                }
            }
        }
    }
}
