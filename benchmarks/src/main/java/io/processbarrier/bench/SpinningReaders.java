package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Threads that spin on {@code light()}, as the readers of a read-mostly algorithm do. They are what heavy() has to
 * reach: with no other running thread an expedited barrier has no CPU to interrupt and looks free.
 */
final class SpinningReaders implements AutoCloseable {
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;

    SpinningReaders(ProcessBarrier b, int count) {
        this(b::light, count, false);
    }

    SpinningReaders(ProcessBarrier b, int count, boolean pin) {
        this(b::light, count, pin);
    }

    /**
     * @param light what the readers call in their loop
     * @param pin   pin reader i to {@link Affinity#readerCpu(int)} before it starts spinning
     */
    SpinningReaders(Runnable light, int count, boolean pin) {
        CountDownLatch pinned = new CountDownLatch(count);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            Thread t = new Thread(() -> {
                try {
                    if (pin) {
                        Affinity.pinCurrentThread(Affinity.readerCpu(index));
                    }
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                    return;
                } finally {
                    pinned.countDown();
                }
                while (!stop) {
                    light.run();
                    Thread.onSpinWait();
                }
            }, "spinning-reader-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        try {
            pinned.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            close();
            throw failure.get();
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
