package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 item 2: after threads that read ended, no ended {@code Thread} (hence no context class loader) is
 * reachable from an {@link Rcu}, {@link Rcu#shared()}, an {@link RcuReference} or a {@link ReadMostlyLock}, without
 * any write, grace period or call: weak references to the threads are cleared by the collector while the constructs
 * stay reachable. Threads that read once and threads that read often (with a record) both. The control: a registry
 * whose slots keep their thread strongly (what every record did before) keeps every one of them reachable, and this
 * test's probe says so.
 */
class ReadSideReachabilityTest {
    private static final int THREADS = 100;

    /** Runs {@code body} on {@code THREADS} threads, one after the other, and returns weak references to them. */
    private static List<WeakReference<Thread>> runAndForget(boolean virtual, Runnable body) throws Exception {
        return runAndForget(virtual, body, THREADS);
    }

    private static List<WeakReference<Thread>> runAndForget(boolean virtual, Runnable body, int n) throws Exception {
        List<WeakReference<Thread>> refs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = ReadMostlyLockThreads.newThread(virtual, "reader-" + i, body);
            t.setContextClassLoader(new ClassLoader(null) { }); // what a web application's thread would carry
            t.start();
            ReadMostlyLockThreads.join(t);
            refs.add(new WeakReference<>(t));
        }
        return refs;
    }

    /** Collects until every reference is cleared or the bound passes; returns how many are still set. */
    private static int survivors(List<WeakReference<Thread>> refs) throws InterruptedException {
        return survivors(refs, ReadMostlyLockThreads.BOUND_SECONDS);
    }

    private static int survivors(List<WeakReference<Thread>> refs, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int left;
        do {
            System.gc();
            Thread.sleep(10); // the collector's pace, not a premise: the loop re-checks the state it waits for
            left = (int) refs.stream().filter(r -> r.get() != null).count();
        } while (left > 0 && System.nanoTime() - deadline < 0);
        return left;
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void endedReadersAreNotReachableFromTheConstructs(boolean virtual) throws Exception {
        if (virtual) {
            ReadMostlyLockThreads.assumeVirtualThreads();
        }
        ProcessBarrier b = ProcessBarrier.get();
        ReadMostlyLock lock = new ReadMostlyLock(b);
        Rcu rcu = Rcu.create(b);
        Rcu shared = Rcu.shared();
        RcuReference<String> ref = new RcuReference<>(shared, "v", s -> { });
        Runnable once = () -> {
            lock.readLock().lock();
            lock.readLock().unlock();
            rcu.read(() -> "x");
            ref.read(String::length);
            try (Rcu.Reader r = shared.read()) {
                r.getClass();
            }
        };
        Runnable often = () -> { // past the promotion to a record, and a Local of each
            for (int i = 0; i < 2 * ReadMostlyLock.PROMOTE_AFTER; i++) {
                once.run();
            }
            lock.localReadLock().lock();
            lock.readLock().unlock();
            Rcu.Local l = rcu.local();
            l.enter();
            l.exit();
        };
        List<WeakReference<Thread>> refs = runAndForget(virtual, once);
        refs.addAll(runAndForget(virtual, often));
        assertEquals(0, survivors(refs), "ended threads still reachable (records registered: lock "
                + lock.registeredReaders() + ", rcu " + rcu.registeredReaders() + ")");
        assertTrue(lock.registeredReaders() > 0 && rcu.registeredReaders() > 0, "the threads that read often had"
                + " records: the test covered them");
        rcu.close();
    }

    /** The control: slots that hold their thread strongly (the old records) keep every ended thread reachable. */
    @Test
    void aRegistryThatKeepsItsThreadsIsCaught() throws Exception {
        final class Strong extends ReaderRegistry.Slot {
            final Thread keep;

            Strong(Thread t) {
                super(t);
                keep = t;
            }
        }
        ReaderRegistry<Strong> registry = new ReaderRegistry<>(Strong::new, Strong[]::new, new ReentrantLock());
        int n = ReaderRegistry.MIN_PRUNE - 1; // below the pruning on registration: every slot is kept
        List<WeakReference<Thread>> refs = runAndForget(false, registry::current, n);
        assertEquals(n, registry.size());
        // 2 s of collections: the other test's threads are all cleared well within that (a few collections)
        int left = survivors(refs.subList(0, 5), 2);
        assertEquals(5, left, "the probe missed threads that a registry keeps reachable");
        assertEquals(n, registry.size()); // the registry stays reachable until here
    }
}
