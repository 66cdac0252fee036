package io.processbarrier.sync;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry's lookup: one slot per thread, whatever the ids say; dead threads' slots dropped. Every thread here is
 * a daemon and every wait is bounded ({@link #BOUND_SECONDS}) and fails with a message: a registration that hangs
 * fails the test instead of the fork.
 */
class ReaderRegistryTest {
    static final long BOUND_SECONDS = ReadMostlyLockThreads.BOUND_SECONDS;

    static final class TestSlot extends ReaderRegistry.Slot {
        TestSlot(Thread owner) {
            super(owner);
        }
    }

    private final AtomicInteger created = new AtomicInteger();
    private final ReaderRegistry<TestSlot> registry = new ReaderRegistry<>(t -> {
        created.incrementAndGet();
        return new TestSlot(t);
    }, TestSlot[]::new, new ReentrantLock());

    /** Threads' failures to wait (a latch that was never released): the test fails with them. */
    private final List<String> stuck = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A daemon thread: a lookup that never ends fails the test instead of keeping the JVM alive. */
    private static Thread daemon(Thread t) {
        t.setDaemon(true);
        return t;
    }

    /** Waits for {@code latch}, bounded; a wait that runs out is recorded (and fails the test), never hangs. */
    private boolean await(CountDownLatch latch, String what) {
        try {
            if (latch.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
                return true;
            }
            stuck.add(Thread.currentThread().getName() + " waited " + BOUND_SECONDS + " s for " + what);
        } catch (InterruptedException e) {
            stuck.add(Thread.currentThread().getName() + " was interrupted waiting for " + what);
        }
        return false;
    }

    /** Waits for every thread to end, bounded, and fails if one did not or if a thread's wait ran out. */
    private void joinAll(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            ReadMostlyLockThreads.join(t); // bounded; fails with the thread's state and stack
        }
        assertEquals(List.of(), stuck, "threads whose wait ran out");
    }

    /** Starts the threads (daemons), releases them together, and waits for every one to end. */
    private void runAll(List<Thread> threads, CountDownLatch release) throws InterruptedException {
        for (Thread t : threads) {
            daemon(t).start();
        }
        release.countDown();
        joinAll(threads);
    }

    /** {@code n} threads, alive at once, each take its slot, then end. */
    private void registerOnThreads(int n) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < n; i++) {
            threads.add(new Thread(() -> {
                if (await(go, "the start")) {
                    registry.current();
                }
            }, "registrant-" + i));
        }
        runAll(threads, go);
    }

    @Test
    void threadsThatShareAFrontCellEachGetTheirOwnSlot() throws Exception {
        // Thread ids are sequential: of 3 * FRONT threads, every front cell is shared by three of them.
        int n = 3 * ReaderRegistry.FRONT;
        Map<Thread, TestSlot> seen = new ConcurrentHashMap<>();
        AtomicInteger wrong = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch registered = new CountDownLatch(n);
        CountDownLatch done = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(daemon(new Thread(() -> {
                if (!await(start, "the start")) {
                    return;
                }
                TestSlot mine = registry.current();
                seen.put(Thread.currentThread(), mine);
                registered.countDown();
                // every thread is registered: the front cells are contended now
                if (!await(registered, "every thread to register")) {
                    return;
                }
                for (int k = 0; k < 1000; k++) {
                    if (registry.current() != mine || registry.find() != mine
                            || !mine.ownedBy(Thread.currentThread())) {
                        wrong.incrementAndGet();
                    }
                }
                await(done, "the end");
            }, "reader-" + i)));
        }
        for (Thread t : threads) {
            t.start();
        }
        start.countDown();
        assertTrue(registered.await(BOUND_SECONDS, TimeUnit.SECONDS), "the " + n + " threads did not all register"
                + " within " + BOUND_SECONDS + " s (" + registered.getCount() + " left); " + stuck);
        assertEquals(n, registry.size(), "one slot per thread");
        done.countDown();
        joinAll(threads);
        assertEquals(0, wrong.get(), "a thread was handed another thread's slot, or a second one");
        assertEquals(n, created.get(), "slots created");
        assertEquals(n, new IdentityHashMap<>(seen).size());
        Map<TestSlot, Boolean> distinct = new IdentityHashMap<>();
        seen.values().forEach(s -> distinct.put(s, true));
        assertEquals(n, distinct.size(), "distinct slots");
    }

    /** A subclass may override getId() (JDK 17): the id is only a hint, the owner decides. */
    @Test
    void anUnstableThreadIdStillFindsTheOneSlot() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        AtomicInteger wrong = new AtomicInteger();
        for (int i = 0; i < 4; i++) {
            threads.add(new Thread("liar-" + i) {
                @Override
                @SuppressWarnings("deprecation")
                public long getId() {
                    return calls.incrementAndGet(); // a different id at every call
                }

                @Override
                public void run() {
                    if (!await(go, "the start")) {
                        return;
                    }
                    TestSlot first = registry.current();
                    for (int k = 0; k < 500; k++) {
                        if (registry.current() != first || registry.find() != first) {
                            wrong.incrementAndGet();
                        }
                    }
                }
            });
        }
        runAll(threads, go);
        assertEquals(0, wrong.get(), "a lookup with a changing id made a second slot or found another's");
        assertEquals(4, created.get(), "one slot per thread");
    }

    /** The controls' blind registry: scans see nothing, while lookups and registrations go on (and end). */
    @Test
    void aBlindRegistryStillRegistersAndFinds() throws Exception {
        TestSlot mine = registry.current();
        registry.forgetAll();
        assertEquals(0, registry.slots().length);
        registerOnThreads(200);
        assertEquals(0, registry.slots().length, "a blind registry shows no slot to scans");
        assertSame(mine, registry.current());
        assertEquals(201, created.get());
    }

    @Test
    void findRegistersNothing() {
        assertNull(registry.find());
        assertEquals(0, registry.size());
        TestSlot s = registry.current();
        assertSame(s, registry.find());
        assertEquals(1, registry.size());
    }

    @Test
    void deadThreadsSlotsAreDroppedAndTheLiveOnesStillFound() throws Exception {
        TestSlot mine = registry.current();
        for (int round = 0; round < 20; round++) {
            registerOnThreads(50);
        }
        assertTrue(registry.size() <= 2 * 51 + ReaderRegistry.MIN_PRUNE, "1,000 dead threads left " + registry.size());
        assertEquals(1, registry.snapshot().length, "after a snapshot only the live thread's slot is left");
        assertSame(mine, registry.current(), "the live thread still finds its slot after the tables were rebuilt");
        assertEquals(1001, created.get());
    }
}
