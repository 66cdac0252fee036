package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import static io.processbarrier.sync.ReadMostlyLockThreads.Task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Rcu#local()} and {@link ReadMostlyLock#localReadLock()}: a thread's own handle works as the lookup-based
 * entry does (nesting, exclusion, holds, the misuse rules), and used from another thread it throws
 * {@link IllegalStateException} and changes nothing. Platform and virtual threads (JDK 21+).
 */
class LocalHandlesTest {
    private static void assumeKind(boolean virtual) {
        if (virtual) {
            ReadMostlyLockThreads.assumeVirtualThreads();
        }
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void anRcuLocalIsItsThreadsOnly(boolean virtual) throws Exception {
        assumeKind(virtual);
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            Rcu.Local mine = rcu.local();
            mine.enter();
            Task<Void> other = Task.start(virtual, "other", () -> {
                assertThrows(IllegalStateException.class, mine::enter, "enter on another thread");
                assertThrows(IllegalStateException.class, mine::exit, "exit on another thread");
                Rcu.Local own = rcu.local(); // its own works, nested too
                own.enter();
                own.enter();
                own.exit();
                own.exit();
                assertThrows(IllegalStateException.class, own::exit, "an exit with no section open");
                return null;
            });
            other.get();
            // our section survived the other thread's misuse: a synchronize() elsewhere still waits for it
            Task<Void> sync = Task.start(virtual, "synchronize", () -> {
                rcu.synchronize();
                return null;
            });
            sync.awaitAt(Thread.State.TIMED_WAITING, RcuGracePeriods.class, "backOff");
            mine.exit();
            sync.get();
            assertThrows(IllegalStateException.class, mine::exit, "an exit with no section open");
        }
    }

    /**
     * A Local's exit ends whatever section is innermost, one of {@code read()} included: that section's handle is stale
     * from then on, at either depth, and closing it later must not end the sections the Local entered since. (Its
     * control: an exit that does not forget the handle's tag lets both stale closes end the new sections.)
     */
    @org.junit.jupiter.api.Test
    void aLocalExitMakesTheHandleOfTheSectionItEndsStale() {
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            Rcu.Local local = rcu.local();
            Rcu.Reader outer = rcu.read();
            Rcu.Reader inner = rcu.read();
            local.exit(); // ends inner's section (depth 2)
            local.exit(); // ends outer's section (depth 1)
            local.enter();
            local.enter();
            assertThrows(IllegalStateException.class, inner::close, "a stale handle at depth 2");
            assertThrows(IllegalStateException.class, outer::close, "a stale handle at depth 1");
            local.exit(); // both of the Local's sections were still open
            local.exit();
            assertThrows(IllegalStateException.class, local::exit, "an exit with no section open");
            rcu.synchronize(); // and nothing is left inside
        }
    }

    /**
     * A Local stops calling {@code light()} through the barrier field only where that {@code light()} is the api's
     * acquire fence for good: on a barrier of the caller's own it calls it at every entry (the injected error comes
     * out of the fourth entry, which leaves no section behind). On the api's barrier, an entry after the first (the
     * handle emits the fence itself) still holds a grace period back until it exits. Control: a handle that learned
     * from {@code isAsymmetric()} alone skips the counting barrier's {@code light()}, and the error never comes.
     */
    @org.junit.jupiter.api.Test
    void aLocalEmitsTheFenceItselfOnlyForTheApisAsymmetricBarrier() throws Exception {
        CountingBarrier own = new CountingBarrier(ProcessBarrier.get());
        try (Rcu rcu = Rcu.create(own)) {
            Rcu.Local local = rcu.local();
            for (int i = 0; i < 3; i++) { // past the first entry, after which a handle on the api's barrier learns
                local.enter();
                local.exit();
            }
            own.failNextLight.set(new StackOverflowError("injected"));
            assertThrows(StackOverflowError.class, local::enter, "the entry called the barrier's own light()");
            assertThrows(IllegalStateException.class, local::exit, "and left no section behind");
            rcu.synchronize();
        }
        try (Rcu rcu = Rcu.create(ProcessBarrier.get())) {
            Rcu.Local local = rcu.local();
            for (int i = 0; i < 3; i++) {
                local.enter();
                local.exit();
            }
            local.enter();
            Task<Void> sync = Task.start(false, "synchronize", () -> {
                rcu.synchronize();
                return null;
            });
            sync.awaitAt(Thread.State.TIMED_WAITING, RcuGracePeriods.class, "backOff");
            assertFalse(sync.isDone(), "the grace period waits for the section");
            local.exit();
            sync.get();
        }
    }

    @ParameterizedTest(name = "virtual={0}")
    @ValueSource(booleans = {false, true})
    void aLocalReadLockIsItsThreadsOnly(boolean virtual) throws Exception {
        assumeKind(virtual);
        ReadMostlyLock lock = new ReadMostlyLock(ProcessBarrier.get());
        Lock mine = lock.localReadLock();
        mine.lock();
        assertTrue(mine.tryLock(), "re-entry");
        assertEquals(2, lock.getReadHoldCount());
        Task<Void> other = Task.start(virtual, "other", () -> {
            assertThrows(IllegalStateException.class, mine::lock);
            assertThrows(IllegalStateException.class, mine::tryLock);
            assertThrows(IllegalStateException.class, () -> mine.tryLock(1, TimeUnit.SECONDS));
            assertThrows(IllegalStateException.class, mine::lockInterruptibly);
            assertThrows(IllegalStateException.class, mine::unlock);
            assertFalse(lock.writeLock().tryLock(), "the owner's holds exclude a writer");
            return null;
        });
        other.get();
        assertEquals(2, lock.getReadHoldCount(), "the misuse changed nothing");
        mine.unlock();
        lock.readLock().unlock(); // a hold taken through one is released through either
        assertEquals(0, lock.getReadHoldCount());
        assertThrows(IllegalMonitorStateException.class, mine::unlock, "one unlock too many");
        assertThrows(UnsupportedOperationException.class, mine::newCondition);
        Task<Boolean> writer = Task.start(virtual, "writer", () -> {
            boolean got = lock.writeLock().tryLock(ReadMostlyLockThreads.BOUND_SECONDS, TimeUnit.SECONDS);
            if (got) {
                lock.writeLock().unlock();
            }
            return got;
        });
        assertTrue(writer.get(), "a writer once the local holds are released");
    }
}
