package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The store-buffering litmus test with coalesced writers: one reader ({@code x = 1; light(); r1 = y}) and one
 * writer ({@code y = 1; heavy(); r2 = x}) race round after round, while {@code hammers} other threads call heavy()
 * in a loop, so that the writer's heavy() is often served by a barrier another thread started. {@code r1 == 0 &&
 * r2 == 0} is forbidden. {@code control} replaces the writer's heavy() by nothing, to show that the test sees
 * the forbidden outcome when the barrier is missing.
 *
 * <pre>java -cp benchmarks.jar io.processbarrier.bench.CoalescedLitmus PROVIDER SECONDS HAMMERS [control]</pre>
 * Prints {@code provider=... hammers=... rounds=N forbidden=F heavyCalls=C barriers=B barriersPerCall=B/C}; exits 1
 * if a forbidden outcome was seen without {@code control}.
 */
public final class CoalescedLitmus {
    private static final VarHandle INT = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int X = 16;
    private static final int Y = 48;
    private static final int GO = 80;
    private static final int DONE = 112;

    private CoalescedLitmus() {
    }

    public static void main(String[] args) throws InterruptedException {
        String provider = args[0];
        long seconds = Long.parseLong(args[1]);
        int hammers = Integer.parseInt(args[2]);
        boolean control = args.length > 3 && args[3].equals("control");
        ProcessBarrier b = ProcessBarrier.of(provider);
        int[] m = new int[128]; // x, y and the handshake words on separate cache lines
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        java.util.concurrent.atomic.LongAdder hammerCalls = new java.util.concurrent.atomic.LongAdder();

        List<Thread> hammerThreads = new ArrayList<>();
        boolean[] stop = new boolean[1];
        for (int i = 0; i < hammers; i++) {
            Thread t = new Thread(() -> {
                while (!((boolean) MethodHandles.arrayElementVarHandle(boolean[].class).getOpaque(stop, 0))) {
                    b.heavy();
                    hammerCalls.increment();
                }
            }, "hammer-" + i);
            t.setDaemon(true);
            t.start();
            hammerThreads.add(t);
        }
        int[] r1s = new int[1];
        Thread reader = new Thread(() -> {
            for (int round = 1; ; round++) {
                while ((int) INT.getAcquire(m, GO) != round) {
                    if ((int) INT.getAcquire(m, GO) < 0) {
                        return;
                    }
                    Thread.onSpinWait();
                }
                INT.setOpaque(m, X, 1);
                b.light();
                r1s[0] = (int) INT.getOpaque(m, Y);
                INT.setRelease(m, DONE, round);
            }
        }, "litmus-reader");
        reader.setDaemon(true);
        reader.start();

        long rounds = 0;
        long forbidden = 0;
        long barriersBefore = Barriers.executed(b);
        while (System.nanoTime() < end) {
            int round = (int) ++rounds;
            INT.setOpaque(m, X, 0);
            INT.setOpaque(m, Y, 0);
            INT.setRelease(m, GO, round); // the reader starts now; the writer right away
            INT.setOpaque(m, Y, 1);
            if (!control) {
                b.heavy();
            }
            int r2 = (int) INT.getOpaque(m, X);
            while ((int) INT.getAcquire(m, DONE) != round) {
                Thread.onSpinWait();
            }
            if (r1s[0] == 0 && r2 == 0) {
                forbidden++;
            }
        }
        INT.setRelease(m, GO, -1);
        MethodHandles.arrayElementVarHandle(boolean[].class).setOpaque(stop, 0, true);
        for (Thread t : hammerThreads) {
            t.join();
        }
        reader.join(1000);
        long calls = (control ? 0 : rounds) + hammerCalls.sum();
        long barriers = Barriers.executed(b) - barriersBefore;
        System.out.println("provider=" + provider + " hammers=" + hammers + (control ? " control(writer without heavy)" : "")
                + " rounds=" + rounds + " forbidden=" + forbidden + " heavyCalls=" + calls + " barriers=" + barriers
                + String.format(java.util.Locale.ROOT, " barriersPerCall=%.3f", calls == 0 ? 0.0 : (double) barriers / calls));
        System.exit(!control && forbidden > 0 ? 1 : 0);
    }
}
