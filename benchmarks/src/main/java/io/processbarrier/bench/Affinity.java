package io.processbarrier.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Pins benchmark threads to CPUs with {@code taskset}, so that "one caller and one reader on another CPU" is what
 * runs. Left to the scheduler, the two sometimes share a CPU for a whole fork: membarrier then has no CPU to
 * interrupt and costs 0.3 us instead of 12, and the median of a run flips between the two (seen here).
 * The C baseline pins the same way (caller on CPU 0, reader i on CPU (1 + i) mod n).
 */
final class Affinity {
    private Affinity() {
    }

    /** The CPU for spinning reader {@code i}: the ones after the caller's CPU 0 first. */
    static int readerCpu(int i) {
        int n = Runtime.getRuntime().availableProcessors();
        return n < 2 ? 0 : (1 + i) % n;
    }

    /**
     * Pins the calling thread to {@code cpu}.
     *
     * @throws IllegalStateException if it cannot (no taskset, no /proc/thread-self): the benchmark would measure
     *                               another setup than the C baseline
     */
    static void pinCurrentThread(int cpu) {
        String tid;
        try {
            tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString(); // PID/task/TID
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot find this thread's id in /proc/thread-self: " + e, e);
        }
        try {
            Process p = new ProcessBuilder("taskset", "-p", "-c", String.valueOf(cpu), tid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("taskset -p -c " + cpu + " " + tid + " failed (exit "
                        + (p.isAlive() ? "none" : p.exitValue()) + "); run with -p pin=false to leave placement to "
                        + "the scheduler");
            }
        } catch (IOException e) {
            throw new IllegalStateException("taskset not found (Debian: apt-get install util-linux); run with "
                    + "-p pin=false to leave placement to the scheduler", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while pinning", e);
        }
    }
}
