package io.processbarrier.sync;

import java.lang.ref.WeakReference;

/**
 * Padding before the fields of {@link ReadMostlyLockReader}: superclass fields are laid out first, so 128 bytes here
 * keep the previous object (and its adjacent-line prefetch pair) off the record's line.
 */
abstract class ReadMostlyLockReaderPadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** The fields of one thread's reader record (see {@link ReadMostlyLockReader}). */
abstract class ReadMostlyLockReaderFields extends ReadMostlyLockReaderPadBefore {
    /**
     * 1 while the owner is inside (or about to be inside) a read section, else 0. Written only by the owner: opaque
     * store on entry, release store on exit, volatile store when backing out; read by a writer with a volatile load.
     */
    int active;
    /** Read holds of the owner (reentrancy); plain, owner only. */
    int holds;
    /** Entries through the fenced path since the last check for the end of a write burst; plain, owner only. */
    int fencedEntries;
    /** The owner, weakly: a dead owner's idle record is dropped from the registry. Final, never written again. */
    final WeakReference<Thread> owner;

    ReadMostlyLockReaderFields(Thread owner) {
        this.owner = new WeakReference<>(owner);
    }
}

/**
 * One thread's reader state for one {@link ReadMostlyLock}, padded so that no other thread writes its cache line:
 * the owner writes it, a writer only reads {@code active}. Holds no reference to the lock, so the thread-local
 * entry that holds it cannot keep the lock (and its {@code ThreadLocal} key) alive.
 */
final class ReadMostlyLockReader extends ReadMostlyLockReaderFields {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    ReadMostlyLockReader(Thread owner) {
        super(owner);
    }

    /** Whether this record can be dropped: its owner has died (or been collected) with no read hold left. */
    boolean abandoned() {
        Thread t = owner.get();
        // volatile load: a dead owner's last release store of 0 must be seen, or the record is kept (safe)
        return (t == null || !t.isAlive()) && (int) ReadMostlyLock.ACTIVE.getVolatile(this) == 0;
    }
}
