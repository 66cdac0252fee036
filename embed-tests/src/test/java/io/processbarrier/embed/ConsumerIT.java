package io.processbarrier.embed;

import embedtest.Probe;
import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    }
}
