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

    private HeapHog() {
        super("hog");
        setDaemon(true);
    }

    static HeapHog begin() {
        HeapHog h = new HeapHog();
        h.start();
        return h;
    }

    /** Starts taking, and returns once an allocation of the hog's failed (the heap was full then). */
    void fillUp() {
        go = true;
        while (!filledOnce) {
            Thread.onSpinWait();
        }
    }

    /** Stops, lets go of what it took; returns how many arrays it held. */
    long release() throws InterruptedException {
        go = true;
        stop = true;
        join();
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
