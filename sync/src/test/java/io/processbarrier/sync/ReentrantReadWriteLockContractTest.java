package io.processbarrier.sync;

import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/** The reference: the contract suite on {@link ReentrantReadWriteLock} (non-fair, the default). */
class ReentrantReadWriteLockContractTest extends ReadWriteLockContract {
    @Override
    ReadWriteLock newLock() {
        return new ReentrantReadWriteLock();
    }

    @Override
    boolean upgradeThrows() {
        return false;
    }
}
