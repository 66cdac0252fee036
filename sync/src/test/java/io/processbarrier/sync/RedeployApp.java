package io.processbarrier.sync;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;

/**
 * A web application of {@link RcuRedeployTest}, loaded by a throwaway class loader together with the library: it
 * uses {@code Rcu.shared()}, an {@link RcuReference}, a {@link ReadMostlyLock} through a write burst and an
 * {@code Rcu.create()} it never closes, then returns what proves the library's threads ran (the premise).
 */
public final class RedeployApp {
    private RedeployApp() {
    }

    /** Uses the library; returns {@code key=value} pairs for the host to print. */
    public static String use() throws Exception {
        AtomicReference<String> sharedOn = new AtomicReference<>();
        RcuReference<String> config = new RcuReference<>(Rcu.shared(), "v1", s -> sharedOn.set(name()));
        int length = config.read(String::length);
        config.set("v2"); // retires v1 on the shared Rcu's retire thread
        Rcu.shared().barrier();
        AtomicReference<String> ownOn = new AtomicReference<>();
        Rcu own = Rcu.create(); // never closed: a redeployed application forgets to
        own.read(() -> length);
        own.retire("x", s -> ownOn.set(name()));
        own.barrier();
        ReadMostlyLock lock = new ReadMostlyLock();
        Lock read = lock.readLock();
        Lock write = lock.writeLock();
        int burstThreadsBefore = BurstEnder.THREADS.get();
        for (int i = 0; i < 3; i++) {
            read.lock();
            read.unlock();
            write.lock(); // a write raises the burst flag; its release arms the burst timer
            write.unlock();
            read.lock();
            read.unlock();
        }
        return "sharedRetiredOn=" + sharedOn.get() + " ownRetiredOn=" + ownOn.get() + " burstTimersStarted="
                + (BurstEnder.THREADS.get() - burstThreadsBefore);
    }

    private static String name() {
        return Thread.currentThread().getName();
    }
}
