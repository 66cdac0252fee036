package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;

import java.util.Arrays;

/**
 * The cold write of {@link ReadMostlyLock} against a cold {@code heavy()}, measured in the same seconds: the target
 * "a write at a burst's start costs at most 2x heavy()" is judged by this, not by {@link ReadMostlyLockBench}'s
 * separate {@code writeCold} and {@code heavyCold} runs.
 *
 * <p>Why not JMH alone: a single event after a 2 ms sleep costs what the other CPU is doing. On a 2-vCPU VM a cold
 * {@code heavy()} has phases of a second or more in which its median is several times that of the seconds around
 * it, in the same JVM and with the same code (2-vCPU Xeon under Firecracker: about 0.5 µs, then about 4 µs; an
 * interrupt to a vCPU the host has to wake, it seems). JMH measures
 * {@code writeCold} and {@code heavyCold} seconds apart, so a phase that falls on one and not the other moves their
 * ratio anywhere between 1x and 10x from one run to the next. Here the three events take turns (heavyCold,
 * writeCold, writeColdInBurst, each after the set-up of its JMH namesake), every second gives a median of each, and
 * the ratio is taken per second, so that a phase weighs on both sides.
 *
 * <p>Usage: {@code ColdWrite [seconds=N]}. Prints per second {@code second=I heavyColdNanos=N writeColdNanos=N
 * writeColdInBurstNanos=N samples=N} (medians of that second, each over at least {@code samples} events), or
 * {@code second=I samples=0} for a second in which some event had no sample (a stall).
 */
public final class ColdWrite {
    private final ProcessBarrier barrier = SelectedBarrier.get();
    private final ReadMostlyLock lock = new ReadMostlyLock(barrier);
    /**
     * The lock heavyCold's set-up reads: never written, so its reads are on the fast path, as in JMH's heavyCold
     * (reads of {@link #lock} there would end the burst the previous turn's write began, under its mutex).
     */
    private final ReadMostlyLock quiet = new ReadMostlyLock(barrier);

    private ColdWrite() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = 10;
        for (String a : args) {
            if (a.startsWith("seconds=")) {
                seconds = seconds(a.substring("seconds=".length()));
            } else {
                throw new IllegalArgumentException("unknown argument " + a + " (usage: ColdWrite [seconds=N])");
            }
        }
        new ColdWrite().run(seconds);
    }

    private static int seconds(String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is wrong
        }
        throw new IllegalArgumentException("seconds=" + value + ": give a whole number of seconds above 0 (usage:"
                + " ColdWrite [seconds=N])");
    }

    private void write() {
        lock.writeLock().lock();
        lock.writeLock().unlock();
    }

    /** 512 reads: after the 1 ms window, the fenced ones lower the flag by the 256th, as in ReadMostlyLockBench. */
    private static void reads(ReadMostlyLock l) {
        for (int i = 0; i < 512; i++) {
            l.readLock().lock();
            l.readLock().unlock();
        }
    }

    private void run(int seconds) throws Exception {
        ReadMostlyLockBench.warmWrites(lock); // both write branches to C2, as ReadMostlyLockBench.Writer
        for (int i = 0; i < ReadMostlyLockBench.WRITE_WARMUP; i++) { // and heavyCold's reads and heavy()
            quiet.readLock().lock();
            quiet.readLock().unlock();
            barrier.heavy();
        }
        int cap = 1000; // a second holds about 450 events of ~2.1 ms
        for (int s = 0; s < seconds; s++) {
            long[][] t = new long[3][cap];
            int[] n = new int[3];
            long end = System.nanoTime() + 1_000_000_000L;
            for (int k = 0; System.nanoTime() - end < 0L; k++) {
                int op = k % 3;
                Thread.sleep(2);
                if (op == 2) {
                    write(); // inside a burst: the measured write pays no heavy()
                }
                reads(op == 0 ? quiet : lock);
                long t0 = System.nanoTime();
                if (op == 0) {
                    barrier.heavy();
                } else {
                    write();
                }
                long d = System.nanoTime() - t0;
                if (n[op] < cap) {
                    t[op][n[op]++] = d;
                }
            }
            int samples = Math.min(n[0], Math.min(n[1], n[2]));
            if (samples == 0) { // the thread stalled for most of the second: no median of some event to compare
                System.out.println("second=" + s + " samples=0");
                continue;
            }
            System.out.println("second=" + s + " heavyColdNanos=" + median(t[0], n[0]) + " writeColdNanos="
                    + median(t[1], n[1]) + " writeColdInBurstNanos=" + median(t[2], n[2]) + " samples=" + samples);
        }
    }

    private static long median(long[] a, int n) {
        Arrays.sort(a, 0, n);
        return a[n / 2];
    }
}
