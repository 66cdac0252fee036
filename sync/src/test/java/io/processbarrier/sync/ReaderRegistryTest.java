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

/** The registry's lookup: one slot per thread, whatever the ids say; dead threads' slots dropped. */
class ReaderRegistryTest {

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

    /** Starts the threads, releases them together, and waits for every one to end. */
    private static void runAll(List<Thread> threads, CountDownLatch release) throws InterruptedException {
        for (Thread t : threads) {
            t.setDaemon(true); // a lookup that never ends fails the test instead of keeping the JVM alive
            t.start();
        }
        release.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(!t.isAlive(), t.getName() + " did not finish");
        }
    }

    /** {@code n} threads, alive at once, each take its slot, then end. */
    private void registerOnThreads(int n) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < n; i++) {
            threads.add(new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                registry.current();
            }));
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
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    TestSlot mine = registry.current();
                    seen.put(Thread.currentThread(), mine);
                    registered.countDown();
                    registered.await(); // every thread is registered: the front cells are contended now
                    for (int k = 0; k < 1000; k++) {
                        if (registry.current() != mine || registry.find() != mine
                                || mine.owner != Thread.currentThread()) {
                            wrong.incrementAndGet();
                        }
                    }
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "reader-" + i));
        }
        for (Thread t : threads) {
            t.start();
        }
        start.countDown();
        assertTrue(registered.await(30, TimeUnit.SECONDS));
        assertEquals(n, registry.size(), "one slot per thread");
        done.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
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
                    try {
                        go.await();
                    } catch (InterruptedException e) {
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
