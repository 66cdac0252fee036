package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;

/**
 * Time to the first heavy() in a fresh JVM: selection (ServiceLoader, probing every provider), native library
 * extraction and loading, provider creation (membarrier's registration) and the first barrier. run.sh starts one
 * JVM per run with {@code -Dprocessbarrier.provider=NAME} and a fresh {@code -Dprocessbarrier.native.dir}, so that
 * extraction really happens, and takes the median.
 *
 * <p>Prints {@code provider=NAME firstHeavyNanos=N secondHeavyNanos=N}: from the start of main() to the return
 * of the first heavy(), and the second call alone for contrast.
 */
public final class FirstHeavy {
    private FirstHeavy() {
    }

    public static void main(String[] args) {
        long t0 = System.nanoTime();
        ProcessBarrier b = ProcessBarrier.get();
        b.heavy();
        long t1 = System.nanoTime();
        b.heavy();
        long t2 = System.nanoTime();
        System.out.println("provider=" + b.name() + " firstHeavyNanos=" + (t1 - t0) + " secondHeavyNanos=" + (t2 - t1));
    }
}
