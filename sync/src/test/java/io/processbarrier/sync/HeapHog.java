package io.processbarrier.sync;

/**
 * A test thread that takes every 24 bytes of heap it can get and keeps them, until released: an application under
 * memory pressure, which wins the few bytes a collection frees before a library thread can. Made before the heap is
 * full (a thread is made of heap).
 */
final class HeapHog extends Thread {
    private volatile boolean go;
    private volatile boolean filledOnce;
    private volatile boolean stop;
    private volatile long count;
    /** What the caller's probes took. */
    private Object[] won;

    private HeapHog() {
        super("hog");
        setDaemon(true);
    }

    static HeapHog begin() {
        HeapHog h = new HeapHog();
        h.start();
        return h;
    }

    /**
     * Starts taking; once an allocation of the hog's failed, probes the heap from the calling thread: returns whether
     * a 24-byte allocation of its own failed too, within 1,000 tries (a collection may free a little, and the hog or
     * the probe gets it; what the probe gets is kept until {@link #release()}).
     */
    boolean fillUp() {
        go = true;
        while (!filledOnce) {
            Thread.onSpinWait();
        }
        for (int i = 0; i < 1000; i++) {
            try {
                Object[] probe = new Object[1]; // 24 bytes, as the hog's arrays
                probe[0] = won;
                won = probe;
            } catch (OutOfMemoryError e) {
                return true;
            }
        }
        return false;
    }

    /** Stops, lets go of what it took; returns how many arrays it held. */
    long release() throws InterruptedException {
        go = true;
        stop = true;
        join();
        won = null;
        return count;
    }

    @Override
    public void run() {
        while (!go) {
            Thread.onSpinWait();
        }
        Object[] chain = null;
        long n = 0;
        while (!stop) {
            try {
                Object[] a = new Object[1];
                a[0] = chain;
                chain = a;
                n++;
            } catch (OutOfMemoryError e) {
                filledOnce = true;
            }
        }
        count = n;
    }
}
