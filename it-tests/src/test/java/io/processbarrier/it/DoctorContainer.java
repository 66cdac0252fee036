package io.processbarrier.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame.OutputType;
import org.testcontainers.containers.output.ToStringConsumer;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.DockerStatus;
import org.testcontainers.utility.MountableFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Runs the project's doctor jar ({@code cli/target/processbarrier-doctor.jar}, built by the reactor) as the only
 * process of a throw-away container made from one of the local images {@code processbarrier-it:amd64|arm64}
 * (it-tests/images/build-images.sh), and hands back its exit status, stdout and stderr.
 *
 * <p>Conventions that make Testcontainers work on this machine (see the module's pom for the environment): Ryuk
 * and the startup checks are off, the host is {@code localhost}, and no image is ever pulled: the images exist
 * only locally. A missing engine, image or doctor jar fails the test with what to do, never skips it.
 */
final class DoctorContainer {
    /** Docker's default profile allows membarrier; this one allows everything except membarrier (EPERM). */
    static final String DENY_MEMBARRIER = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
            + "[{\"names\":[\"membarrier\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JAR_IN_CONTAINER = "/pb/doctor.jar";
    private static final Map<Arch, String> CHECKED = new EnumMap<>(Arch.class);

    enum Arch {
        AMD64("amd64", "amd64", "linux-x86_64"),
        ARM64("arm64", "aarch64", "linux-aarch64");

        final String docker;
        final String osArch;
        final String natives;

        Arch(String docker, String osArch, String natives) {
            this.docker = docker;
            this.osArch = osArch;
            this.natives = natives;
        }

        String image() {
            return "processbarrier-it:" + docker;
        }
    }

    /** What one container run gave. */
    record Result(String what, long exitCode, String stdout, String stderr) {
        /** The run and everything it printed: the message of every failed assertion about it. */
        String describe() {
            return what + " exited " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr
                    + "\n--- end ---";
        }

        Result expectExit(long expected) {
            if (exitCode != expected) {
                throw new AssertionError("expected exit status " + expected + ": " + describe());
            }
            return this;
        }

        /** stdout parsed as the JSON document the doctor's {@code --json} prints. */
        JsonNode json() {
            try {
                JsonNode n = JSON.readTree(stdout);
                if (n == null || !n.isObject()) {
                    throw new AssertionError("stdout is not one JSON object: " + describe());
                }
                return n;
            } catch (java.io.IOException e) {
                throw new AssertionError("stdout is not JSON (" + e.getMessage() + "): " + describe(), e);
            }
        }
    }

    private final Arch arch;
    private final List<String> jvmOptions = new ArrayList<>();
    private String seccomp;
    private Duration timeout = Duration.ofMinutes(2);

    private DoctorContainer(Arch arch) {
        this.arch = arch;
    }

    static DoctorContainer on(Arch arch) {
        return new DoctorContainer(arch);
    }

    /** Runs the container under {@link #DENY_MEMBARRIER} instead of Docker's default seccomp profile. */
    DoctorContainer denyMembarrier() {
        this.seccomp = DENY_MEMBARRIER;
        return this;
    }

    /** A {@code -Dname=value} for the JVM in the container. */
    DoctorContainer property(String name, String value) {
        jvmOptions.add("-D" + name + "=" + value);
        return this;
    }

    DoctorContainer timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** {@code java [options] -jar doctor.jar ARGS...} in a new container; waits for it to exit (any status). */
    Result run(String... doctorArgs) {
        String image = checkedImage(arch);
        Path jar = doctorJar();
        List<String> command = new ArrayList<>(List.of("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", JAR_IN_CONTAINER));
        command.addAll(List.of(doctorArgs));
        String what = "container " + image + (seccomp == null ? "" : " (seccomp: membarrier denied)") + " `"
                + String.join(" ", command) + "`";

        // Streams the output as it comes: when the container fails or times out, Testcontainers removes it, and its
        // logs with it, before the failure reaches us.
        ToStringConsumer output = new ToStringConsumer();
        try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))) {
            c.withLogConsumer(output)
                    .withImagePullPolicy(name -> false) // local images only: never ask a registry
                    .withCopyFileToContainer(MountableFile.forHostPath(jar), JAR_IN_CONTAINER)
                    .withCommand(command.toArray(String[]::new))
                    .withStartupAttempts(1)
                    .withStartupCheckStrategy(new UntilExited().withTimeout(timeout));
            if (seccomp != null) {
                // The API takes the profile's JSON itself (the docker CLI reads the file and sends its content).
                String opt = "seccomp=" + seccomp;
                c.withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withSecurityOpts(List.of(opt)));
            }
            long t0 = System.nanoTime();
            try {
                c.start();
            } catch (RuntimeException e) {
                String logs = output.toUtf8String();
                throw new AssertionError(what + " did not start, or did not exit within " + timeout.toSeconds() + " s: "
                        + e + hint(logs) + "\n--- container output ---\n" + logs + "\n--- end ---", e);
            }
            DockerClient docker = c.getDockerClient();
            InspectContainerResponse.ContainerState state =
                    docker.inspectContainerCmd(c.getContainerId()).exec().getState();
            Long exit = state.getExitCodeLong();
            String out = c.getLogs(OutputType.STDOUT);
            String err = c.getLogs(OutputType.STDERR);
            System.out.printf("[it] %s: exit %s in %.1f s%n", what, exit, (System.nanoTime() - t0) / 1e9);
            return new Result(what, exit == null ? -1 : exit, out, err + hint(out + err));
        }
    }

    private String hint(String output) {
        if (arch == Arch.ARM64 && output.contains("exec format error")) {
            return "\n(hint: arm64 binaries do not run: register qemu-aarch64 in binfmt_misc with the F flag: "
                    + "tools/docker-up.sh as root)";
        }
        return "";
    }

    /** Waits until the container has stopped, whatever its exit status: the test judges the status. */
    private static final class UntilExited extends StartupCheckStrategy {
        @Override
        public StartupStatus checkStartupState(DockerClient docker, String containerId) {
            return DockerStatus.isContainerStopped(getCurrentState(docker, containerId))
                    ? StartupStatus.SUCCESSFUL : StartupStatus.NOT_YET_KNOWN;
        }
    }

    static Path doctorJar() {
        String p = System.getProperty("pb.it.doctorJar");
        if (p == null || p.isBlank()) {
            throw new AssertionError("system property pb.it.doctorJar is not set: run these tests "
                    + "through Maven (mvn verify), whose failsafe configuration points it at cli/target");
        }
        Path jar = Path.of(p).toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("the doctor jar " + jar + " does not exist: build it first (mvn install from "
                    + "the root, or mvn package -pl cli -am)");
        }
        return jar;
    }

    /** The engine answers and the image exists locally with the right architecture; else a clear failure. */
    private static synchronized String checkedImage(Arch arch) {
        String done = CHECKED.get(arch);
        if (done != null) {
            return done;
        }
        DockerClient docker;
        try {
            docker = DockerClientFactory.instance().client();
        } catch (RuntimeException e) {
            throw new AssertionError("no Docker engine answers (" + e.getMessage() + "). Start one with "
                    + "tools/docker-up.sh (as root it installs docker.io and starts dockerd); the container tests "
                    + "never skip", e);
        }
        String image = arch.image();
        InspectImageResponse info;
        try {
            info = docker.inspectImageCmd(image).exec();
        } catch (NotFoundException e) {
            throw new AssertionError("the local image " + image + " does not exist: run it-tests/images/build-images.sh"
                    + " (as root; it builds processbarrier-it:amd64 and processbarrier-it:arm64 from debootstrap, "
                    + "nothing is pulled)", e);
        }
        if (!arch.docker.equals(info.getArch())) {
            throw new AssertionError("the local image " + image + " records architecture '" + info.getArch()
                    + "', expected '" + arch.docker + "': rebuild it with it-tests/images/build-images.sh");
        }
        CHECKED.put(arch, image);
        return image;
    }

    /** The provider entry of a doctor report, or a failure listing the providers it has. */
    static JsonNode provider(JsonNode report, String name) {
        StringJoiner names = new StringJoiner(", ");
        for (JsonNode p : report.path("providers")) {
            if (name.equals(p.path("name").asText())) {
                return p;
            }
            names.add(p.path("name").asText());
        }
        throw new AssertionError("no provider '" + name + "' in the report (it has: " + names + ")");
    }

    /** The verdict entry of a verify report for one provider. */
    static JsonNode verdict(JsonNode report, String name) {
        StringJoiner names = new StringJoiner(", ");
        for (JsonNode p : report.path("providers")) {
            String n = p.path("name").isMissingNode() ? p.path("provider").asText() : p.path("name").asText();
            if (name.equals(n)) {
                return p;
            }
            names.add(n);
        }
        throw new AssertionError("no verdict for '" + name + "' in the verify report (it has: " + names + ")");
    }
}
