package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;

import java.util.ArrayList;
import java.util.List;

/**
 * Threads that spin on {@code light()}, as the readers of a read-mostly algorithm do. They are what heavy() has to
 * reach: with no other running thread an expedited barrier has no CPU to interrupt and looks free.
 */
final class SpinningReaders implements AutoCloseable {
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;

    SpinningReaders(ProcessBarrier b, int count) {
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(() -> {
                while (!stop) {
                    b.light();
                    Thread.onSpinWait();
                }
            }, "spinning-reader-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    @Override
    public void close() {
        stop = true;
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The number of threads of this process (kernel tasks), for matching the C baseline's thread setup. */
    static int processThreads() {
        String[] tasks = new java.io.File("/proc/self/task").list();
        return tasks == null ? -1 : tasks.length;
    }
}
