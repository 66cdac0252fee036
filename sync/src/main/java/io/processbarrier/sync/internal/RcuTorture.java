package io.processbarrier.sync.internal;

import io.processbarrier.sync.Rcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An rcutorture-style self-test of an {@link Rcu} on its barrier, for tests and {@code doctor verify}: readers follow
 * a shared pointer inside read sections and check, all along the section, that the object they hold was not
 * reclaimed; writers swap the pointer and hand the old object to the {@code Rcu} by every route it offers
 * ({@code retire}, {@code synchronize}, {@code startPoll}/{@code poll}); reclamation poisons the object (a mark and
 * its payload overwritten). Platform readers spin inside their sections; virtual-thread readers (JDK 21+) also park
 * inside them, so they unmount and may resume on another carrier. Any reclaimed object seen by a reader is an error.
 *
 * <p>{@link Mode#CONTROL_NO_GRACE_PERIOD} reclaims at once instead: it must show errors, which proves that this
 * torture can see a broken grace period on this machine.
 *
 * <p>Not API: a test tool, used by the doctor ({@code processbarrier-cli}) and the tests. This package is not exported
 * by the module {@code io.processbarrier.sync} and may change in any release.
 */
public final class RcuTorture {
    /** What the writers do with the object they unlinked. */
    public enum Mode {
        /** Through the {@code Rcu}: a grace period before each reclamation. */
        RCU,
        /** The control: reclaim at once, no grace period. Must show errors. */
        CONTROL_NO_GRACE_PERIOD
    }

    /**
     * What a run did.
     *
     * @param reads      read sections completed
     * @param errors     reclaimed objects seen inside a section (and unexpected exceptions, see {@code messages})
     * @param swaps      pointer swaps, i.e. objects unlinked
     * @param reclaimed  objects reclaimed by the end (must equal {@code swaps})
     * @param messages   the first few error descriptions
     */
    public record Result(String barrier, Mode mode, int platformReaders, int virtualReaders, long reads, long errors,
                         long swaps, long reclaimed, double seconds, List<String> messages) {
        /** No error, something was read and swapped, and every unlinked object was reclaimed. */
        public boolean passed() {
            return errors == 0 && reads > 0 && swaps > 0 && reclaimed == swaps;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%s %s: %,d reads by %d platform + %d virtual readers, %,d "
                    + "swaps, %,d reclaimed, %,d errors in %.2f s%s", barrier, mode, reads, platformReaders,
                    virtualReaders, swaps, reclaimed, errors, seconds, messages.isEmpty() ? "" : " " + messages);
        }
    }

    private static final int LIVE = 0;
    private static final int RECLAIMED = 2;
    private static final long POISON = -1L;
    private static final int PAYLOAD = 8;
    private static final VarHandle CURRENT;
    private static final VarHandle STATE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CURRENT = l.findVarHandle(RcuTorture.class, "current", Item.class);
            STATE = l.findVarHandle(Item.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The object readers follow; the payload holds the serial until poisoned. */
    static final class Item {
        final long serial;
        final long[] payload = new long[PAYLOAD];
        /** LIVE, then RECLAIMED: release store by the reclaimer, acquire loads by readers. */
        int state;

        Item(long serial) {
            this.serial = serial;
            java.util.Arrays.fill(payload, serial);
        }
    }

    /** Release stores by writers (the item's fields before it), acquire loads by readers. */
    private Item current = new Item(0);
    private final Rcu rcu;
    private final Mode mode;
    private final AtomicLong reclaimed = new AtomicLong();
    private final List<String> messages = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stop;

    private RcuTorture(Rcu rcu, Mode mode) {
        this.rcu = rcu;
        this.mode = mode;
    }

    /**
     * Runs the torture for about {@code duration} (plus the time to stop: the readers' last sections and the last
     * grace periods, bounded by 30 s), with two writers.
     *
     * @param virtualReaders ignored (0) on a JVM without virtual threads
     */
    public static Result run(Rcu rcu, Duration duration, int platformReaders, int virtualReaders, Mode mode) {
        if (platformReaders < 0 || virtualReaders < 0 || platformReaders + virtualReaders == 0) {
            throw new IllegalArgumentException("RcuTorture.run: need at least one reader, got " + platformReaders
                    + " platform and " + virtualReaders + " virtual");
        }
        return new RcuTorture(rcu, mode).run(duration, platformReaders,
                VirtualThreads.supported() ? virtualReaders : 0);
    }

    /** Whether this JVM can run virtual-thread readers (JDK 21+). */
    public static boolean virtualThreadsSupported() {
        return VirtualThreads.supported();
    }

    private Result run(Duration duration, int platformReaders, int virtualReaders) {
        long start = System.nanoTime();
        List<Reader> readers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < platformReaders + virtualReaders; i++) {
            boolean virtual = i >= platformReaders;
            Reader r = new Reader(virtual);
            readers.add(r);
            String name = "rcu-torture-" + (virtual ? "virtual-" : "platform-") + i;
            if (virtual) {
                threads.add(VirtualThreads.start(name, r));
            } else {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }
        Writer retirer = new Writer(true);
        Writer syncer = new Writer(false);
        Thread w1 = new Thread(retirer, "rcu-torture-writer-retire");
        Thread w2 = new Thread(syncer, "rcu-torture-writer-synchronize");
        w1.setDaemon(true);
        w2.setDaemon(true);
        w1.start();
        w2.start();
        LockSupport.parkNanos(duration.toNanos());
        stop = true;
        long deadline = System.nanoTime() + 30_000_000_000L;
        joinAll(List.of(w1, w2), deadline);
        joinAll(threads, deadline);
        if (mode == Mode.RCU) {
            rcu.barrier(); // every retired object reclaimed
        }
        long reads = 0;
        long errors = retirer.errors + syncer.errors;
        for (Reader r : readers) {
            reads += r.reads;
            errors += r.errors;
        }
        List<String> msgs;
        synchronized (messages) {
            msgs = List.copyOf(messages);
        }
        return new Result(rcu.toString(), mode, platformReaders, virtualReaders, reads, errors,
                retirer.swaps + syncer.swaps, reclaimed.get(), (System.nanoTime() - start) / 1e9, msgs);
    }

    private void joinAll(List<Thread> threads, long deadline) {
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                note("thread " + t.getName() + " did not stop within 30 s");
            }
        }
    }

    private void note(String message) {
        if (messages.size() < 5) {
            messages.add(message);
        }
    }

    private void reclaim(Item old) {
        STATE.setRelease(old, RECLAIMED);
        java.util.Arrays.fill(old.payload, POISON); // plain: a reader racing with it sees a mix, caught either way
        reclaimed.incrementAndGet();
    }

    /** A reader: sections of varying length, checking the object all along; counters owned by its thread. */
    private final class Reader implements Runnable {
        final boolean virtual;
        long reads;
        long errors;

        Reader(boolean virtual) {
            this.virtual = virtual;
        }

        @Override
        public void run() {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            try {
                while (!stop) {
                    try (Rcu.Reader r = rcu.read()) {
                        Item it = (Item) CURRENT.getAcquire(RcuTorture.this);
                        check(it, "on entry");
                        int work = rnd.nextInt(256);
                        for (int i = 0; i < work; i++) {
                            Thread.onSpinWait();
                        }
                        if ((work & 15) == 0) {
                            try (Rcu.Reader nested = rcu.read()) {
                                check((Item) CURRENT.getAcquire(RcuTorture.this), "in a nested section");
                            }
                        }
                        if (virtual && (work & 7) == 0) {
                            LockSupport.parkNanos(20_000); // unmounts: may resume on another carrier
                        }
                        check(it, "at the end of the section");
                    }
                    reads++;
                }
            } catch (RuntimeException | Error e) {
                errors++;
                note(Thread.currentThread().getName() + ": " + e);
            }
        }

        private void check(Item it, String where) {
            if ((int) STATE.getAcquire(it) != LIVE) {
                errors++;
                note("reader saw object " + it.serial + " reclaimed " + where);
                return;
            }
            for (long v : it.payload) {
                if (v != it.serial) {
                    errors++;
                    note("reader saw the payload of object " + it.serial + " poisoned " + where);
                    return;
                }
            }
        }
    }

    /**
     * A writer: swaps the pointer and reclaims the old object by retire() (the retire writer), or alternately by
     * synchronize() and startPoll()/poll() (the other one); so both kinds of caller share grace periods.
     */
    private final class Writer implements Runnable {
        final boolean retires;
        long swaps;
        long errors;
        private long serial;

        Writer(boolean retires) {
            this.retires = retires;
        }

        @Override
        public void run() {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            ArrayDeque<long[]> cookies = new ArrayDeque<>();
            ArrayDeque<Item> polled = new ArrayDeque<>();
            long base = retires ? 1L << 62 : 1L << 61;
            try {
                while (!stop) {
                    Item next = new Item(base + ++serial);
                    Item old = (Item) CURRENT.getAndSet(RcuTorture.this, next); // release: next's fields first
                    swaps++;
                    if (mode == Mode.CONTROL_NO_GRACE_PERIOD) {
                        reclaim(old);
                    } else if (retires) {
                        rcu.retire(old, RcuTorture.this::reclaim);
                    } else if ((swaps & 1) == 0) {
                        rcu.synchronize();
                        reclaim(old);
                    } else {
                        cookies.add(new long[] {rcu.startPoll()});
                        polled.add(old);
                    }
                    while (!cookies.isEmpty() && rcu.poll(cookies.peek()[0])) {
                        cookies.poll();
                        reclaim(polled.poll());
                    }
                    // let the readers run: 2 CPUs are shared with 2 writers and the retire thread
                    int pause = rnd.nextInt(retires ? 2_000 : 200);
                    for (int i = 0; i < pause; i++) {
                        Thread.onSpinWait();
                    }
                    if ((swaps & 63) == 0) {
                        Thread.yield();
                    }
                }
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!cookies.isEmpty()) {
                    if (rcu.poll(cookies.peek()[0])) {
                        cookies.poll();
                        reclaim(polled.poll());
                    } else if (System.nanoTime() > deadline) {
                        errors++;
                        note("a startPoll() cookie did not complete within 10 s");
                        break;
                    } else {
                        LockSupport.parkNanos(100_000);
                    }
                }
            } catch (RuntimeException | Error e) {
                errors++;
                note(Thread.currentThread().getName() + ": " + e);
            }
        }
    }
}
