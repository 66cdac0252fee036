package io.processbarrier.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Child processes for tests: typically a JVM on (a filtered copy of) the test's class path, running a main class of the
 * test, optionally behind a prefix command ({@code prlimit}, a seccomp launcher, {@code unshare}, {@code taskset}),
 * always bounded in time. Stdout and stderr are drained concurrently (a chatty child cannot block on a full pipe) and
 * kept apart unless {@link Stderr#MERGED} is asked for. A child that outlives its time is killed with its descendants
 * and the test fails with what it printed so far.
 *
 * <p>Shared by the tests of every module through the module {@code processbarrier-test-support} (test scope; never
 * published), which holds only this package.
 */
public final class ChildProcess {
    /** How long {@link #run(List)} lets a child run. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    /** Where the child's stderr goes. */
    public enum Stderr {
        /** to {@link Result#err()} */
        SEPARATE,
        /** into {@link Result#out()}, interleaved as the child wrote it; {@link Result#err()} is empty */
        MERGED
    }

    private ChildProcess() {
    }

    /** What a finished child did. */
    public record Result(int exit, String out, String err) {
        /** The value of the first {@code key=value} line of stdout, or null. */
        public String value(String key) {
            for (String line : out.split("\n")) {
                if (line.startsWith(key + "=")) {
                    return line.substring(key.length() + 1);
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /** The {@code java} launcher of the JVM running the tests. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The entries of this JVM's class path that {@code keep} accepts, in order. */
    public static List<String> classPathEntries(Predicate<String> keep) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).filter(keep)
                .collect(Collectors.toList());
    }

    /** {@link #classPathEntries} joined with the path separator, ready for {@code -cp}. */
    public static String classPath(Predicate<String> keep) {
        return String.join(File.pathSeparator, classPathEntries(keep));
    }

    /** This JVM's whole class path. */
    public static String classPath() {
        return classPath(e -> true);
    }

    /**
     * Whether a class path entry is where this class comes from (the test-support jar, or that module's classes
     * directory): for tests that build a class path or module path of their own and want it without the test support.
     */
    public static boolean isTestSupport(String classPathEntry) {
        try {
            Path self = Path.of(ChildProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Path.of(classPathEntry).toAbsolutePath().normalize().equals(self.toAbsolutePath().normalize());
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return false;
        }
    }

    /** {@code prefix... java jvmArgs... -cp classPath main args...} */
    public static List<String> javaCommand(List<String> prefix, List<String> jvmArgs, String classPath, Class<?> main,
                                           String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(java());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code cmd} for at most {@link #DEFAULT_TIMEOUT}, stdout and stderr apart. */
    public static Result run(List<String> cmd) throws Exception {
        return run(cmd, DEFAULT_TIMEOUT, Stderr.SEPARATE);
    }

    /** Runs {@code cmd} for at most {@code timeout}; fails the test if it takes longer. */
    public static Result run(List<String> cmd, Duration timeout, Stderr stderr) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stderr == Stderr.MERGED) {
            pb.redirectErrorStream(true);
        }
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = stderr == Stderr.MERGED ? CompletableFuture.completedFuture("")
                : drain(p.getErrorStream());
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            boolean dumped = dumpThreads(p);
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            // the drains end at the pipes' end of file, which the kill brings: wait for them, or "so far" is empty
            fail("child did not finish within " + timeout.toSeconds() + " s: " + cmd + "\n--- stdout so far"
                    + (dumped ? " (ends with its threads, dumped on SIGQUIT before the kill)" : "") + "\n"
                    + drained(out) + "\n--- stderr so far\n" + drained(err));
        }
        return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    /**
     * Asks every JVM among {@code p} and its descendants for a thread dump (SIGQUIT: HotSpot prints every platform
     * thread, a carrier with the virtual thread it carries, to its stdout) and gives them a moment to print it, so that
     * a child that hangs says where. Only processes whose command is a {@code java} launcher get the signal: to any
     * other (a prefix command), SIGQUIT is a kill.
     *
     * @return whether a dump was asked for
     */
    private static boolean dumpThreads(Process p) throws InterruptedException {
        List<ProcessHandle> jvms = new ArrayList<>();
        Stream.concat(Stream.of(p.toHandle()), p.descendants())
                .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false)).forEach(jvms::add);
        boolean asked = false;
        for (ProcessHandle h : jvms) {
            try {
                Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(h.pid())).start();
                asked |= kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0;
            } catch (IOException e) {
                // no kill(1): the failure says what it can without the dump
            }
        }
        if (asked) {
            Thread.sleep(2_000); // not synchronisation: the dump's time to reach the pipe, which has no end to wait for
        }
        return asked;
    }

    /** What a drain read, once the pipe has ended (bounded: a grandchild may hold the pipe open). */
    private static String drained(CompletableFuture<String> f) {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return f.getNow("<the pipe stays open: " + e + ">");
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("<" + e + ">");
            }
        }, "child-process-drain");
        t.setDaemon(true);
        t.start();
        return f;
    }

    /** Runs a short command (mount helpers, gcc) and returns its exit status; its output goes to the result. */
    public static Result tool(String... cmd) throws Exception {
        return run(List.of(cmd));
    }

    /** Whether this process runs as uid 0. */
    public static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Whether an executable {@code command} is in a directory of {@code PATH}. */
    public static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, command).canExecute()) {
                return true;
            }
        }
        return false;
    }
}
