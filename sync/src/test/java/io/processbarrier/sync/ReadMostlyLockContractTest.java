package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import org.junit.jupiter.api.Nested;

import java.util.concurrent.locks.ReadWriteLock;

/**
 * The contract suite on {@link ReadMostlyLock}: on the default barrier, on the symmetric {@code fence} provider, and
 * with a burst window of 0 (every write raises the flag and pays {@code heavy()}; readers go back to the fast path as
 * soon as they can), so the fast, fenced and blocking paths are all exercised.
 */
class ReadMostlyLockContractTest extends ReadWriteLockContract {
    @Override
    ReadWriteLock newLock() {
        return new ReadMostlyLock();
    }

    @Override
    boolean upgradeThrows() {
        return true;
    }

    @Nested
    class OnFence extends ReadWriteLockContract {
        @Override
        ReadWriteLock newLock() {
            return new ReadMostlyLock(ProcessBarrier.of("fence"));
        }

        @Override
        boolean upgradeThrows() {
            return true;
        }
    }

    @Nested
    class WithoutBursts extends ReadWriteLockContract {
        @Override
        ReadWriteLock newLock() {
            return new ReadMostlyLock(ProcessBarrier.get(), 0L);
        }

        @Override
        boolean upgradeThrows() {
            return true;
        }
    }
}
