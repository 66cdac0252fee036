package io.processbarrier.jcstress;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;
import org.openjdk.jcstress.infra.results.II_Result;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The locks of the {@code RML_*} tests. A trial must start with the readers' flag lowered, or the reader takes the fenced
 * path and the trial tests full fences instead of {@code light()}/{@code heavy()}; and the reader's record must already
 * be registered, or its registration (under the lock's mutex) puts fences where the trial wants none. So the states
 * take their lock from a pool reused round robin (each lock registers each actor thread once), built with a burst
 * window of 0, and end the previous trial's burst before their trial. Both knobs are package-private in
 * {@code io.processbarrier.sync} (they are not API) and reached by reflection, which the class path allows.
 */
final class RmlPool {
    private static final int SIZE = 1024; // more than a jcstress batch of states, so a lock is idle when reused

    private static final Constructor<ReadMostlyLock> WITH_WINDOW;
    private static final Method END_BURST;
    private static final Method FORGET_READERS;
    private static final Method FORGET_STRIPES;

    static {
        try {
            WITH_WINDOW = ReadMostlyLock.class.getDeclaredConstructor(ProcessBarrier.class, long.class);
            WITH_WINDOW.setAccessible(true);
            END_BURST = ReadMostlyLock.class.getDeclaredMethod("endBurst");
            END_BURST.setAccessible(true);
            FORGET_READERS = ReadMostlyLock.class.getDeclaredMethod("forgetReaders");
            FORGET_READERS.setAccessible(true);
            FORGET_STRIPES = ReadMostlyLock.class.getDeclaredMethod("forgetStripes");
            FORGET_STRIPES.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ReadMostlyLock[] locks = new ReadMostlyLock[SIZE];
    private final AtomicInteger next = new AtomicInteger();
    private final boolean broken;

    /** The pool of the real tests. */
    RmlPool(ProcessBarrier barrier) {
        this(barrier, false);
    }

    /**
     * {@code broken}: the pool of the control, whose locks forget their readers before each trial (their writers
     * see no reader record any more), so that their writers drain nobody: a lock that does not exclude readers.
     */
    RmlPool(ProcessBarrier barrier, boolean broken) {
        this.broken = broken;
        try {
            for (int i = 0; i < SIZE; i++) {
                locks[i] = WITH_WINDOW.newInstance(barrier, 0L);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build the pool of ReadMostlyLocks", e);
        }
    }

    /**
     * One trial: a pair the writer writes under the write lock and the reader reads under the read lock, with about a
     * few tens of microseconds between its two loads so that a writer let in by mistake is caught writing.
     */
    static final class Trial {
        final ReadMostlyLock lock;
        int x;
        int y;

        Trial(ReadMostlyLock lock) {
            this.lock = lock;
        }

        void read(II_Result r) {
            lock.readLock().lock();
            try {
                r.r1 = x;
                pause();
                r.r2 = y;
            } finally {
                lock.readLock().unlock();
            }
        }

        void write() {
            lock.writeLock().lock();
            try {
                x = 1;
                y = 1;
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    /** The next trial, its lock's burst ended (unless a writer of a late trial still holds it: then fenced). */
    Trial next() {
        return new Trial(take(true));
    }

    /**
     * The next trial inside a burst: the harness writes once on the trial's lock first (which raises the flag and pays
     * the heavy() if the last trial's reader ended the burst, and costs no fence otherwise), so the trial's reader,
     * with its record, takes the fenced path (its full fence, then a look at the writers' claim word) and the trial's
     * writer writes inside a sealed burst: no heavy(), and no fence of its own but its claim's CAS.
     */
    Trial nextInBurst() {
        ReadMostlyLock lock = take(false);
        lock.writeLock().lock(); // opens the burst, or writes inside the one still open
        lock.writeLock().unlock();
        return new Trial(lock);
    }

    /** The pool's next lock, its burst ended first if {@code endBurst}, its readers forgotten if the pool is broken. */
    private ReadMostlyLock take(boolean endBurst) {
        ReadMostlyLock lock = locks[next.getAndIncrement() & (SIZE - 1)];
        try {
            if (endBurst) {
                END_BURST.invoke(lock);
            }
            if (broken) {
                FORGET_READERS.invoke(lock);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return lock;
    }

    /**
     * A trial whose reader has no record (a thread that reads this lock for the first time: it counts itself on a
     * stripe) and whose writer writes inside a burst that began with every stripe empty, so that it reads the stripes
     * only if the reader marked them in use (ReaderStripes' view). A fresh lock per trial (a reader waiting for a
     * writer gets a record: a reused lock would soon have one for every actor thread), and a write by the harness to
     * open the burst. {@code broken}: the control's lock, whose writers never read the stripes.
     */
    static Trial rareTrial(ProcessBarrier barrier, boolean broken) {
        try {
            ReadMostlyLock lock = WITH_WINDOW.newInstance(barrier, 0L);
            if (broken) {
                FORGET_STRIPES.invoke(lock);
            }
            lock.writeLock().lock(); // starts the burst (a heavy()); the trial's writer then writes inside it
            lock.writeLock().unlock();
            return new Trial(lock);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build a ReadMostlyLock", e);
        }
    }

    /**
     * Long enough to outlast the writer's heavy() (tens of microseconds here), which every trial's writer pays before
     * it writes: with a shorter window, a writer let in by mistake mostly writes after the reader has left, and the
     * control showed a handful of torn pairs in a million trials (none under the interpreter).
     */
    private static void pause() {
        for (int i = 0; i < 512; i++) {
            Thread.onSpinWait();
        }
    }
}
