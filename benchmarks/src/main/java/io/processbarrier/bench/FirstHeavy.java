package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.locks.LockSupport;

/**
 * What a framework pays at startup: the first {@link ProcessBarrier#get()} (ServiceLoader, probing in priority
 * order, native library extraction and loading, provider creation such as membarrier's registration) and the first
 * {@code heavy()} after it, reported separately, in a fresh JVM. run.sh starts one JVM per run and takes medians:
 * with a forced provider and a fresh {@code -Dprocessbarrier.native.dir} (extraction included), and as a framework
 * starts (default selection, natives already extracted, {@code parked=16} idle threads, as a container has).
 *
 * <p>Usage: {@code FirstHeavy [parked=N]}. Prints {@code provider=NAME getNanos=N firstHeavyNanos=N
 * secondHeavyNanos=N parked=N getCpuNanos=N selectedNanos=N selectedHeavyNanos=N}: {@code firstHeavyNanos} is the
 * first heavy() alone, {@code getNanos} the first get(), {@code getCpuNanos} the part of it the calling thread spent on
 * a CPU; {@code selectedNanos} is from the first get() to the end of the selection (which may run in the background
 * after get() returned: then the first heavy() is the window's fence), {@code selectedHeavyNanos} the first heavy() of
 * the selected barrier (membarrier's may wait for its registration).
 */
public final class FirstHeavy {
    private FirstHeavy() {
    }

    public static void main(String[] args) throws InterruptedException {
        int parked = 0;
        for (String a : args) {
            if (a.startsWith("parked=")) {
                parked = Integer.parseInt(a.substring("parked=".length()));
            } else {
                throw new IllegalArgumentException("unknown argument " + a + " (usage: FirstHeavy [parked=N])");
            }
        }
        for (int i = 0; i < parked; i++) {
            Thread t = new Thread(FirstHeavy::parkForever, "parked-" + i);
            t.setDaemon(true);
            t.start();
        }
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        ProcessBarrier b = ProcessBarrier.get();
        long t1 = System.nanoTime();
        long c1 = cpuNanos();
        b.heavy();
        long t2 = System.nanoTime();
        b.heavy();
        long t3 = System.nanoTime();
        String name = b.name(); // waits for a selection still running in the background (issue 29)
        long t4 = System.nanoTime();
        ProcessBarrier selected = ProcessBarrier.get(); // the selected barrier itself from now on
        selected.heavy();
        long t5 = System.nanoTime();
        System.out.println("provider=" + name + " getNanos=" + (t1 - t0) + " firstHeavyNanos=" + (t2 - t1)
                + " secondHeavyNanos=" + (t3 - t2) + " parked=" + parked + " getCpuNanos=" + (c1 - c0)
                + " selectedNanos=" + (t4 - t0) + " selectedHeavyNanos=" + (t5 - t4));
    }

    /**
     * The time this thread has run on a CPU, from {@code /proc/thread-self/schedstat} (nanoseconds; -1 if absent):
     * on a shared machine the wall clock of get() includes waiting for a CPU, this does not. Read with a
     * FileInputStream, which the JVM has initialized at boot, so that measuring adds no class initialization to get().
     */
    static long cpuNanos() {
        try (java.io.FileInputStream in = new java.io.FileInputStream("/proc/thread-self/schedstat")) {
            byte[] buf = new byte[128];
            int n = in.read(buf);
            long v = 0;
            for (int i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
                v = v * 10 + (buf[i] - '0');
            }
            return v;
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static void parkForever() {
        while (true) {
            LockSupport.park();
        }
    }
}
