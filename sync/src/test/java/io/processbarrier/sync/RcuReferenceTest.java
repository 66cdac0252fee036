package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.internal.VirtualThreads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import static io.processbarrier.sync.RcuFaultTest.join;
import static io.processbarrier.sync.RcuTest.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RcuReference}: a torture with 4 concurrent updaters and readers (2 platform, and 2 virtual on JDK 21+) that
 * check that no value they hold has been reclaimed, and every replaced value is reclaimed exactly once; its control
 * (a reference that reclaims at once, without a grace period) runs the same readers and must be caught.
 */
class RcuReferenceTest {
    static final int UPDATERS = 4;
    static final int UPDATES_EACH = 5_000;

    private final List<Rcu> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() {
        toClose.forEach(Rcu::close);
    }

    /** A value that knows whether, and how often, it was reclaimed. */
    static final class Val {
        final long n;
        volatile boolean reclaimed;
        final AtomicInteger reclaims = new AtomicInteger();

        Val(long n) {
            this.n = n;
        }

        static void reclaim(Val v) {
            v.reclaims.incrementAndGet();
            v.reclaimed = true;
        }
    }

    /** What the harness needs of a reference: the real one, or the control. */
    interface Ref {
        <R> R read(Function<? super Val, ? extends R> reader);

        void update(UnaryOperator<Val> next);

        void set(Val v);
    }

    /** The control: swaps and reclaims at once, as a writer without a grace period would. */
    static final class ReclaimAtOnce implements Ref {
        final AtomicReference<Val> v = new AtomicReference<>(new Val(0));

        @Override
        public <R> R read(Function<? super Val, ? extends R> reader) {
            return reader.apply(v.get());
        }

        @Override
        public void update(UnaryOperator<Val> next) {
            Val old = v.getAndUpdate(next);
            Val.reclaim(old);
        }

        @Override
        public void set(Val n) {
            Val.reclaim(v.getAndSet(n));
        }
    }

    /** Readers: inside a read, the value must not be reclaimed at the start or after a little work. */
    static final class Harness {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final AtomicInteger readersRunning = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> readers = new ArrayList<>();

        void startReaders(Ref ref) {
            Runnable body = () -> {
                readersRunning.incrementAndGet();
                try {
                    long local = 0;
                    while (!stop.get()) {
                        long bad = ref.read(v -> {
                            long e = v.reclaimed ? 1 : 0;
                            for (int i = 0; i < 64; i++) {
                                Thread.onSpinWait();
                            }
                            return e + (v.reclaimed ? 1 : 0);
                        });
                        if (bad != 0) {
                            errors.incrementAndGet();
                        }
                        if ((++local & 1023) == 0) {
                            reads.addAndGet(1024);
                            Thread.yield();
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            };
            for (int i = 0; i < 2; i++) {
                Thread t = new Thread(body, "ref-reader-" + i);
                t.setDaemon(true);
                t.start();
                readers.add(t);
            }
            if (VirtualThreads.supported()) {
                for (int i = 0; i < 2; i++) {
                    readers.add(VirtualThreads.start("ref-virtual-reader-" + i, body));
                }
            }
        }

        void awaitReadersRunning() throws InterruptedException {
            RcuTest.awaitTrue(() -> readersRunning.get() == readers.size() && reads.get() >= 1024 * readers.size(),
                    "every reader running");
        }

        void stopReaders() throws InterruptedException {
            stop.set(true);
            for (Thread t : readers) {
                join(t, "a reader");
            }
        }
    }

    static List<Thread> startUpdaters(Ref ref, long updatesEach, AtomicBoolean stopEarly, List<Val> created) {
        List<Thread> out = new ArrayList<>();
        for (int u = 0; u < UPDATERS; u++) {
            boolean useSet = u % 2 == 1;
            Thread t = new Thread(() -> {
                for (long i = 0; i < updatesEach && !stopEarly.get(); i++) {
                    if (useSet) {
                        Val v = new Val(-1);
                        synchronized (created) {
                            created.add(v);
                        }
                        ref.set(v);
                    } else {
                        ref.update(cur -> new Val(cur.n + 1)); // may run more than once: no side effect here
                    }
                }
            }, "ref-updater-" + u);
            t.setDaemon(true);
            t.start();
            out.add(t);
        }
        return out;
    }

    @Test
    void fourUpdatersAndReadersNeverSeeAReclaimedValueAndEachReplacedValueIsReclaimedOnce() throws Exception {
        Rcu rcu = Rcu.create(ProcessBarrier.get());
        toClose.add(rcu);
        List<Val> all = new ArrayList<>();
        Val first = new Val(0);
        all.add(first);
        RcuReference<Val> real = new RcuReference<>(rcu, first, v -> {
            Val.reclaim(v);
            synchronized (all) {
                if (!all.contains(v)) {
                    all.add(v);
                }
            }
        });
        Ref ref = new Ref() {
            @Override
            public <R> R read(Function<? super Val, ? extends R> reader) {
                return real.read(reader);
            }

            @Override
            public void update(UnaryOperator<Val> next) {
                real.update(next);
            }

            @Override
            public void set(Val v) {
                real.set(v);
            }
        };
        Harness h = new Harness();
        h.startReaders(ref);
        h.awaitReadersRunning(); // the premise: every reader is reading before the first update
        List<Val> setValues = new ArrayList<>();
        for (Thread t : startUpdaters(ref, UPDATES_EACH, new AtomicBoolean(), setValues)) {
            t.join(TimeUnit.SECONDS.toMillis(2 * WAIT));
            assertFalse(t.isAlive(), "an updater did not finish");
        }
        h.stopReaders();
        rcu.barrier();
        assertEquals(null, h.failure.get());
        assertEquals(0, h.errors.get(), "a reader saw a reclaimed value");
        long replaced = (long) UPDATERS * UPDATES_EACH;
        Val last = real.read(v -> v);
        assertFalse(last.reclaimed, "the current value was reclaimed");
        long reclaimed = 0;
        synchronized (all) {
            for (Val v : all) {
                assertTrue(v.reclaims.get() <= 1, "a value reclaimed " + v.reclaims.get() + " times");
                reclaimed += v.reclaims.get();
            }
        }
        assertEquals(replaced, reclaimed, "every replaced value reclaimed exactly once");
        System.out.println("RcuReferenceTest: " + h.reads.get() + " reads, " + replaced + " replacements, "
                + h.readers.size() + " readers, 0 errors");
    }

    @Test
    void controlReclaimingAtOnceIsCaught() throws Exception {
        ReclaimAtOnce ref = new ReclaimAtOnce();
        Harness h = new Harness();
        h.startReaders(ref);
        h.awaitReadersRunning();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> updaters = startUpdaters(ref, Long.MAX_VALUE, stop, new ArrayList<>() {
            @Override
            public boolean add(Val v) {
                return true; // the control keeps nothing
            }
        });
        // runs until the readers catch it, or a generous bound passes
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (h.errors.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10); // polling a counter against a bound, not synchronising
        }
        stop.set(true);
        for (Thread t : updaters) {
            join(t, "an updater");
        }
        h.stopReaders();
        assertTrue(h.errors.get() > 0, "the harness did not catch a reference that reclaims without a grace period: "
                + "it has no power");
    }

    @Test
    void contract() {
        Rcu rcu = Rcu.create(ProcessBarrier.get());
        toClose.add(rcu);
        List<String> reclaimed = new ArrayList<>();
        Consumer<String> r = s -> {
            synchronized (reclaimed) {
                reclaimed.add(s);
            }
        };
        RcuReference<String> ref = new RcuReference<>(rcu, "a", r);
        assertEquals("a", ref.read(s -> s));
        assertEquals("ab", ref.update(s -> s + "b"));
        assertSame(ref.update(s -> s), rcu.read(ref::get), "next returning the current value replaces nothing");
        ref.set("c");
        String c = rcu.read(ref::get);
        ref.set(c); // the same value: nothing replaced
        rcu.barrier();
        assertEquals(List.of("a", "ab"), reclaimed);
        assertThrows(NullPointerException.class, () -> ref.set(null));
        assertThrows(NullPointerException.class, () -> ref.update(s -> null));
        assertThrows(NullPointerException.class, () -> new RcuReference<>(rcu, null, r));
        assertThrows(NullPointerException.class, () -> new RcuReference<>(null, "x", r));
        assertThrows(NullPointerException.class, () -> new RcuReference<>(rcu, "x", null));
        assertEquals("c", ref.read(s -> s));
    }
}
