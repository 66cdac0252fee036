package io.processbarrier.embed;

import embedtest.Probe;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ProcessBarrier as a new user gets it: a Maven project of its own that imports the BOM and declares the
 * dependencies the README shows, resolved by Maven offline from the local repository the build installed into
 * ({@code mvn install}; tools/test does). Each consumer's class path is asked of Maven itself
 * ({@code dependency:build-classpath}), then run in a child JVM.
 */
class ConsumerIT {
    static final Path TARGET = Path.of(System.getProperty("embed.target", "target"));
    static final String REPO = System.getProperty("embed.repo");
    static final String MVN = System.getProperty("embed.mvn");
    static final String VERSION = System.getProperty("embed.version");
    static final String DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:"
            + System.getProperty("embed.dependencyPluginVersion");
    static final Duration MAVEN_TIMEOUT = Duration.ofMinutes(5);
    static final Path README = Path.of(System.getProperty("embed.readme", "../README.md"));
    static final String SNIPPET_BEGIN = "<!-- shade snippet: ConsumerIT (embed-tests) builds it as written between "
            + "these two markers -->";
    static final String SNIPPET_END = "<!-- end of the shade snippet -->";

    static String probe;

    @BeforeAll
    static void theLocalRepositoryHoldsThisBuild() throws IOException {
        assertTrue(REPO != null && MVN != null && VERSION != null, "run through failsafe (embed-tests/pom.xml)");
        probe = Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
        // the jars are reproducible (fixed timestamps): what `mvn install` put there is byte for byte this build's
        try (Stream<Path> s = Files.list(TARGET.resolve("unshaded"))) {
            for (Path built : (Iterable<Path>) s::iterator) {
                String file = built.getFileName().toString();
                String artifactId = file.substring(0, file.indexOf("-" + VERSION));
                Path installed = Path.of(REPO, "io", "processbarrier", artifactId, VERSION, file);
                assertTrue(Files.exists(installed) && Arrays.equals(Files.readAllBytes(built),
                        Files.readAllBytes(installed)), installed + " is not this build's " + file + ": the consumer "
                        + "projects resolve from the local repository, so run mvn install (not verify)");
            }
        }
    }

    /**
     * Issue 30, item 11: sources and javadoc jars reached the local repository only through the release check; a user's
     * IDE on a snapshot they installed found neither. {@code mvn install} attaches both to every published Java module.
     */
    @Test
    void mvnInstallPutsSourcesAndJavadocJarsIntoTheLocalRepository() throws IOException {
        for (String artifactId : List.of("processbarrier-api", "processbarrier-sync", "processbarrier-spi-membarrier",
                "processbarrier-spi-mprotect", "processbarrier-spi-signal", "processbarrier-cli")) {
            Path dir = Path.of(REPO, "io", "processbarrier", artifactId, VERSION);
            for (String classifier : List.of("sources", "javadoc")) {
                Path jar = dir.resolve(artifactId + "-" + VERSION + "-" + classifier + ".jar");
                assertTrue(Files.isRegularFile(jar), jar + " is missing: mvn install attaches it (root pom.xml)");
            }
        }
    }

    /** A consumer project: the BOM imported, then {@code dependencies} (XML), in target/consumers/NAME. */
    static Path consumer(String name, String dependencies) throws IOException {
        Path dir = TARGET.resolve("consumers").resolve(name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("pom.xml"), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n"
                + "  <modelVersion>4.0.0</modelVersion>\n"
                + "  <groupId>com.example</groupId>\n"
                + "  <artifactId>" + name + "</artifactId>\n"
                + "  <version>1.0</version>\n"
                + "  <packaging>pom</packaging>\n"
                + "  <dependencyManagement>\n"
                + "    <dependencies>\n"
                + "      <dependency>\n"
                + "        <groupId>io.processbarrier</groupId>\n"
                + "        <artifactId>processbarrier-bom</artifactId>\n"
                + "        <version>" + VERSION + "</version>\n"
                + "        <type>pom</type>\n"
                + "        <scope>import</scope>\n"
                + "      </dependency>\n"
                + "    </dependencies>\n"
                + "  </dependencyManagement>\n"
                + "  <dependencies>\n" + dependencies + "  </dependencies>\n"
                + "</project>\n");
        return dir;
    }

    static String dependency(String artifactId) {
        return "    <dependency>\n      <groupId>io.processbarrier</groupId>\n      <artifactId>" + artifactId
                + "</artifactId>\n    </dependency>\n";
    }

    /** mvn -o in {@code dir} with the build's local repository. */
    static ChildProcess.Result mvn(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(MVN, "-B", "-ntp", "-o", "-q", "-f",
                dir.resolve("pom.xml").toString(), "-Dmaven.repo.local=" + REPO));
        cmd.addAll(List.of(args));
        return ChildProcess.run(cmd, MAVEN_TIMEOUT, ChildProcess.Stderr.MERGED);
    }

    /** The class path Maven gives the consumer. */
    static List<String> classPath(Path dir) throws Exception {
        Path out = dir.resolve("classpath.txt");
        Files.deleteIfExists(out);
        ChildProcess.Result r = mvn(dir, DEPENDENCY_PLUGIN + ":build-classpath", "-Dmdep.outputFile=" + out);
        assertEquals(0, r.exit(), "mvn dependency:build-classpath: " + r);
        return List.of(Files.readString(out).trim().split(File.pathSeparator));
    }

    static ChildProcess.Result probe(List<String> classPath, List<String> jvmArgs) throws Exception {
        List<String> cp = new ArrayList<>(List.of(probe));
        cp.addAll(classPath);
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), jvmArgs,
                String.join(File.pathSeparator, cp), Probe.class, "copies", "io.processbarrier"));
        assertEquals(0, r.exit(), r.toString());
        return r;
    }

    static boolean has(List<String> cp, String fileName) {
        return cp.stream().anyMatch(e -> Path.of(e).getFileName().toString().equals(fileName));
    }

    /** Issue 18, item 1: one dependency, the real barrier. */
    @Test
    void theStarterAloneGivesMembarrierAndBothNatives() throws Exception {
        List<String> cp = classPath(consumer("starter", dependency("processbarrier-all")));
        for (String jar : List.of("processbarrier-api", "processbarrier-sync", "processbarrier-spi-membarrier",
                "processbarrier-spi-mprotect", "processbarrier-spi-signal")) {
            assertTrue(has(cp, jar + "-" + VERSION + ".jar"), jar + " on " + cp);
        }
        assertTrue(has(cp, "processbarrier-natives-linux-x86_64-" + VERSION + "-linux-x86_64.jar"), cp.toString());
        assertTrue(has(cp, "processbarrier-natives-linux-aarch64-" + VERSION + "-linux-aarch64.jar"), cp.toString());
        ChildProcess.Result r = probe(cp, List.of());
        assertTrue(r.out().contains("copy io.processbarrier: provider membarrier"), r.toString());
        assertFalse(r.err().contains("WARNING"), r.toString());
    }

    /** Issue 18, item 1: sync alone was silently slow (fence, one DEBUG line); now a WARNING, or an error on demand. */
    @Test
    void syncAloneWarnsNamingTheArtifactsAndRequireAsymmetricRefusesFence() throws Exception {
        List<String> cp = classPath(consumer("sync-only", dependency("processbarrier-sync")));
        assertEquals(2, cp.size(), "sync and the api: " + cp);
        ChildProcess.Result r = probe(cp, List.of());
        assertTrue(r.out().contains("copy io.processbarrier: provider fence"), r.toString());
        assertTrue(r.err().contains("WARNING: ProcessBarrier: using fence"), r.toString());
        assertTrue(r.err().contains("no provider module is on the class path or module path"), r.toString());
        assertTrue(r.err().contains("add io.processbarrier:processbarrier-all"), r.toString());

        r = probe(cp, List.of("-Dprocessbarrier.requireAsymmetric=true"));
        assertTrue(r.out().contains("copy io.processbarrier: failed io.processbarrier.ProcessBarrierException: "
                + "processbarrier.requireAsymmetric=true, but no asymmetric provider is available here. Providers "
                + "found: fence (available). No provider module is on the class path or module path: add "
                + "io.processbarrier:processbarrier-all"), r.toString());
    }

    /** Issue 18, item 4: the natives dependency as people write it first, without a classifier. */
    @Test
    void theNativesJarWithoutClassifierResolvesAndLoads() throws Exception {
        List<String> cp = classPath(consumer("natives-unclassified", dependency("processbarrier-api")
                + dependency("processbarrier-spi-membarrier") + dependency("processbarrier-natives-linux-x86_64")));
        assertTrue(has(cp, "processbarrier-natives-linux-x86_64-" + VERSION + ".jar"), cp.toString());
        ChildProcess.Result r = probe(cp, List.of());
        assertTrue(r.out().contains("copy io.processbarrier: provider membarrier"), r.toString());
        assertFalse(r.err().contains("WARNING"), r.toString());
    }

    /** Issue 18, item 2: the doctor from the repository, with Maven alone (the README's commands). */
    @Test
    void theDoctorResolvedByMavenRunsWithJavaJarAndOnTheApplicationsClassPath() throws Exception {
        Path dir = consumer("doctor", "");
        Path bin = dir.resolve("bin");
        ChildProcess.Result r = mvn(dir, DEPENDENCY_PLUGIN + ":copy",
                "-Dartifact=io.processbarrier:processbarrier-cli:" + VERSION, "-DoutputDirectory=" + bin);
        assertEquals(0, r.exit(), "mvn dependency:copy: " + r);
        r = mvn(dir, DEPENDENCY_PLUGIN + ":copy",
                "-Dartifact=io.processbarrier:processbarrier-cli:" + VERSION + ":jar:thin", "-DoutputDirectory=" + bin);
        assertEquals(0, r.exit(), "mvn dependency:copy (thin): " + r);
        String doctor = bin.resolve("processbarrier-cli-" + VERSION + ".jar").toString();
        String thin = bin.resolve("processbarrier-cli-" + VERSION + "-thin.jar").toString();

        r = ChildProcess.run(List.of(ChildProcess.java(), "-jar", doctor, "--no-latency"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("ProcessBarrier.get() -> membarrier"), r.toString());

        // issue 30: the usage named processbarrier-doctor.jar; it names the file Maven resolved
        r = ChildProcess.run(List.of(ChildProcess.java(), "-jar", doctor, "--help"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("usage: java -jar processbarrier-cli-" + VERSION + ".jar [command] [options]\n"),
                r.toString());

        r = ChildProcess.run(List.of(ChildProcess.java(), "-Dprocessbarrier.coalesce=no", "-jar", doctor));
        assertEquals(2, r.exit(), r.toString());
        assertEquals("processbarrier doctor: processbarrier.coalesce=no is not valid: use true or false",
                r.err().strip(), "one line, no stack trace: " + r);

        // what does my application's class path select? (sync alone: fence, and the warning says what to add)
        List<String> app = new ArrayList<>(classPath(consumer("sync-only", dependency("processbarrier-sync"))));
        app.add(thin);
        r = ChildProcess.run(List.of(ChildProcess.java(), "-cp", String.join(File.pathSeparator, app),
                "io.processbarrier.cli.Main", "--no-latency"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("ProcessBarrier.get() -> fence"), r.toString());
        assertTrue(r.err().contains("add io.processbarrier:processbarrier-all"), r.toString());
        r = ChildProcess.run(List.of(ChildProcess.java(), "-cp", String.join(File.pathSeparator, app),
                "io.processbarrier.cli.Main", "--help"));
        assertTrue(r.out().startsWith("usage: java -cp <class path>:processbarrier-cli-" + VERSION + "-thin.jar "
                + "io.processbarrier.cli.Main [command] [options]\n"), r.toString());
    }

    /**
     * Issue 30, item 9: the README's maven-shade snippet, as written between its markers, in a framework's project
     * (the BOM, {@code processbarrier-all}, nothing else but the lifecycle plugins' versions): {@code mvn package} must
     * make a relocated jar (the snippet had no {@code <executions>}: the plugin never ran, and the jar was the
     * project's own, empty, without a word), whose copy selects membarrier, and whose stall warnings log under the
     * names the README gives ({@code com.example.fw.pb.sync.Rcu}, {@code ...ReadMostlyLock}).
     */
    @Test
    void theReadmeShadeSnippetAsWrittenBuildsARelocatedCopyThatWorks() throws Exception {
        String readme = Files.readString(README);
        int begin = readme.indexOf(SNIPPET_BEGIN);
        int end = readme.indexOf(SNIPPET_END);
        assertTrue(begin >= 0 && end > begin, "the README's shade snippet between its markers: " + README);
        String block = readme.substring(begin + SNIPPET_BEGIN.length(), end).strip();
        assertTrue(block.startsWith("```xml\n") && block.endsWith("\n```"), "one xml code block: " + block);
        String snippet = block.substring("```xml\n".length(), block.length() - "\n```".length());

        Path dir = TARGET.resolve("consumers").resolve("shaded-framework");
        EmbeddingIT.deleteTree(dir);
        Files.createDirectories(dir);
        StringBuilder pins = new StringBuilder();
        for (String p : System.getProperty("embed.lifecyclePlugins").split(",")) {
            String[] av = p.split(":");
            pins.append("        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>").append(av[0])
                    .append("</artifactId><version>").append(av[1]).append("</version></plugin>\n");
        }
        Files.writeString(dir.resolve("pom.xml"), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n"
                + "  <modelVersion>4.0.0</modelVersion>\n"
                + "  <groupId>com.example</groupId>\n"
                + "  <artifactId>shaded-framework</artifactId>\n"
                + "  <version>1.0</version>\n"
                + "  <dependencyManagement>\n"
                + "    <dependencies>\n"
                + "      <dependency>\n"
                + "        <groupId>io.processbarrier</groupId>\n"
                + "        <artifactId>processbarrier-bom</artifactId>\n"
                + "        <version>" + VERSION + "</version>\n"
                + "        <type>pom</type>\n"
                + "        <scope>import</scope>\n"
                + "      </dependency>\n"
                + "    </dependencies>\n"
                + "  </dependencyManagement>\n"
                + "  <dependencies>\n" + dependency("processbarrier-all") + "  </dependencies>\n"
                + "  <build>\n"
                + "    <pluginManagement>\n      <plugins>\n" + pins + "      </plugins>\n    </pluginManagement>\n"
                + "    <plugins>\n" + snippet + "\n    </plugins>\n"
                + "  </build>\n"
                + "</project>\n");
        ChildProcess.Result r = mvn(dir, "package");
        assertEquals(0, r.exit(), "mvn package with the README's snippet: " + r);

        Path jar = dir.resolve("target").resolve("shaded-framework-1.0.jar");
        List<String> entries;
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
            entries = j.stream().map(java.util.zip.ZipEntry::getName).collect(Collectors.toList());
        }
        assertTrue(entries.contains("com/example/fw/pb/ProcessBarrier.class"), "relocated: " + entries);
        assertTrue(entries.contains("com/example/fw/pb/sync/Rcu.class"), "sync relocated too: " + entries);
        assertEquals(List.of(), entries.stream().filter(e -> e.startsWith("io/processbarrier/")).toList(),
                "nothing left unrelocated");
        assertEquals(List.of(), entries.stream().filter(e -> e.endsWith("module-info.class")).toList(),
                "no module descriptor");
        assertTrue(entries.contains("META-INF/services/com.example.fw.pb.spi.ProcessBarrierProvider"),
                "the services file, renamed: " + entries);

        ChildProcess.Result copy = ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of(),
                probe + File.pathSeparator + jar, Probe.class, "copies", "com.example.fw.pb"));
        assertEquals(0, copy.exit(), copy.toString());
        assertTrue(copy.out().contains("copy com.example.fw.pb: provider membarrier"), copy.toString());
        assertFalse(copy.err().contains("WARNING"), copy.toString());

        ChildProcess.Result stall = ChildProcess.run(ChildProcess.javaCommand(List.of(),
                List.of("-Dprocessbarrier.sync.stallWarningMillis=50"), probe + File.pathSeparator + jar,
                Probe.class, "stall", "com.example.fw.pb"));
        assertEquals(0, stall.exit(), stall.toString());
        assertTrue(stall.out().contains("stall: done"), stall.toString());
        assertTrue(stall.out().contains("logger com.example.fw.pb.sync.Rcu WARNING: stall: "), stall.toString());
        assertTrue(stall.out().contains("logger com.example.fw.pb.sync.ReadMostlyLock WARNING: stall: "),
                stall.toString());
    }

    /**
     * The issue "a module that requires io.processbarrier.sync cannot name ProcessBarrier": src/test/app/sync.consumer
     * says only {@code requires io.processbarrier.sync;} and calls {@code Rcu.create(ProcessBarrier)} and {@code new
     * ReadMostlyLock(ProcessBarrier)}. Compiled and run on the module path Maven resolves for sync, a provider and
     * the natives, it must compile (sync's {@code requires transitive io.processbarrier}) and work.
     */
    @Test
    void aModuleRequiringOnlySyncNamesProcessBarrierCompilesAndRunsOnTheModulePath() throws Exception {
        Path dir = consumer("sync-modular", dependency("processbarrier-sync")
                + dependency("processbarrier-spi-membarrier") + dependency("processbarrier-natives-linux-x86_64"));
        List<String> mp = classPath(dir);
        Path sync = Path.of(mp.stream().filter(e -> Path.of(e).getFileName().toString()
                .equals("processbarrier-sync-" + VERSION + ".jar")).findFirst().orElseThrow(() ->
                new AssertionError("processbarrier-sync on " + mp)));
        StringWriter log = new StringWriter();
        Path classes = dir.resolve("classes");
        assertEquals(0, javac(log, mp, classes), "requires io.processbarrier.sync alone must be enough to name "
                + "ProcessBarrier (sync/src/main/java/module-info.java: requires transitive io.processbarrier); "
                + "the jar's descriptor: " + requires(sync, "io.processbarrier") + "; javac: " + log);
        Path app = dir.resolve("sync-consumer.jar");
        Files.deleteIfExists(app);
        assertEquals(0, tool("jar", log, "--create", "--file", app.toString(), "-C", classes.toString(), "."),
                "jar: " + log);

        List<String> run = new ArrayList<>(mp);
        run.add(app.toString());
        ChildProcess.Result r = ChildProcess.run(List.of(ChildProcess.java(), "--module-path",
                String.join(File.pathSeparator, run), "-m", "sync.consumer/sync.consumer.Main"));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("membarrier", r.value("selected"), r.toString());
        assertEquals("io.processbarrier", r.value("barrierModule"), "named modules, not the class path: " + r);
        assertEquals("true", r.value("reads"), "sync.consumer reads the api through sync: " + r);
        assertEquals("in section", r.value("read"), r.toString());
        assertEquals("1", r.value("gracePeriods"), "one synchronize(), one grace period: " + r);
        assertEquals("true", r.value("writeLocked"), "no reader holds it: " + r);
        assertEquals("[io.processbarrier, io.processbarrier.membarrier, io.processbarrier.natives.linux.x86_64, "
                + "io.processbarrier.sync]", r.value("modules"), r.toString());
        assertFalse(r.err().contains("WARNING"), r.toString());
    }

    /**
     * The negative control for the test above, so that it is known to catch the bug: the same sources, compiled the
     * same way, against a copy of the sync jar whose descriptor is sync's as it was before the fix ({@code requires
     * io.processbarrier;}, no {@code transitive}) and otherwise the same (checked). javac must refuse, saying the
     * consumer does not read io.processbarrier. Why this control and not a consumer that names some other class:
     * every package of the api that a consumer may name is exported to everyone, so naming io.processbarrier.spi
     * would compile too, and a qualified export (io.processbarrier.internal.*) fails for a reason the fix does not
     * touch. Only a sync without {@code transitive} shows that the keyword is what makes the first test pass.
     */
    @Test
    void withoutRequiresTransitiveTheSameConsumerDoesNotCompile() throws Exception {
        Path dir = consumer("sync-modular-control", dependency("processbarrier-sync"));
        List<String> mp = classPath(dir);
        Path sync = Path.of(mp.stream().filter(e -> Path.of(e).getFileName().toString()
                .equals("processbarrier-sync-" + VERSION + ".jar")).findFirst().orElseThrow(() ->
                new AssertionError("processbarrier-sync on " + mp)));

        // sync's descriptor without `transitive`, compiled against the real jar's packages (javac checks the export)
        Path descriptor = dir.resolve("descriptor");
        Files.createDirectories(descriptor);
        Path info = descriptor.resolve("module-info.java");
        Files.writeString(info, "module io.processbarrier.sync {\n    requires io.processbarrier;\n\n"
                + "    exports io.processbarrier.sync;\n}\n");
        StringWriter log = new StringWriter();
        String api = mp.stream().filter(e -> !e.equals(sync.toString())).collect(Collectors.joining(File.pathSeparator));
        assertEquals(0, tool("javac", log, "-d", descriptor.toString(), "--module-path", api,
                "--patch-module", "io.processbarrier.sync=" + sync, info.toString()), "javac (descriptor): " + log);
        Path control = dir.resolve("processbarrier-sync-without-transitive.jar");
        Files.copy(sync, control, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(0, tool("jar", log, "--update", "--file", control.toString(), "-C", descriptor.toString(),
                "module-info.class"), "jar --update: " + log);

        ModuleDescriptor real = ModuleFinder.of(sync).findAll().iterator().next().descriptor();
        ModuleDescriptor broken = ModuleFinder.of(control).findAll().iterator().next().descriptor();
        assertEquals(Set.of(), requires(control, "io.processbarrier").modifiers(), broken.toString());
        assertEquals(names(real), names(broken), "only the modifier differs: " + real + " vs " + broken);
        assertEquals(real.exports(), broken.exports(), real + " vs " + broken);
        assertEquals(real.packages(), broken.packages(), real + " vs " + broken);
        assertNotEquals(real.requires(), broken.requires(), "the control must lack `transitive`");

        List<String> brokenPath = new ArrayList<>(mp);
        brokenPath.set(brokenPath.indexOf(sync.toString()), control.toString());
        log = new StringWriter();
        assertNotEquals(0, javac(log, brokenPath, dir.resolve("classes")), "compiles without `transitive`: the "
                + "first test would not catch the bug: " + log);
        assertTrue(log.toString().contains("package io.processbarrier is declared in module io.processbarrier, but "
                + "module sync.consumer does not read it"), "refused for the issue's reason: " + log);
    }

    /** Compiles src/test/app/sync.consumer on {@code modulePath} into {@code classes}; javac's exit status. */
    static int javac(StringWriter log, List<String> modulePath, Path classes) throws IOException {
        Path src = Path.of(System.getProperty("embed.app", "src/test/app")).resolve("sync.consumer");
        EmbeddingIT.deleteTree(classes);
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--module-path",
                String.join(File.pathSeparator, modulePath)));
        try (Stream<Path> s = Files.walk(src)) {
            s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(p -> args.add(p.toString()));
        }
        return tool("javac", log, args.toArray(new String[0]));
    }

    static int tool(String name, StringWriter log, String... args) {
        PrintWriter out = new PrintWriter(log, true);
        return ToolProvider.findFirst(name).orElseThrow().run(out, out, args);
    }

    static ModuleDescriptor.Requires requires(Path jar, String module) {
        return ModuleFinder.of(jar).findAll().iterator().next().descriptor().requires().stream()
                .filter(q -> q.name().equals(module)).findFirst()
                .orElseThrow(() -> new AssertionError(jar + " does not require " + module));
    }

    static Set<String> names(ModuleDescriptor d) {
        return d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
    }
}
