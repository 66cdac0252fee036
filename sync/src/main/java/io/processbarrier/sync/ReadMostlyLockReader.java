package io.processbarrier.sync;

/** The fields of one thread's reader record (see {@link ReadMostlyLockReader}). */
abstract class ReadMostlyLockReaderFields extends ReaderRegistry.Slot { // padded before by Slot
    /**
     * 1 while the owner is inside (or about to be inside) a read section, else 0. Written only by the owner: opaque
     * store on entry, release store on exit, volatile store when backing out; read by a writer with a volatile load.
     */
    int active;
    /** Read holds of the owner (reentrancy); plain, owner only. */
    int holds;
    /** Entries through the fenced path since the last check for the end of a write burst; plain, owner only. */
    int fencedEntries;
    ReadMostlyLockReaderFields(Thread owner) {
        super(owner);
    }
}

/**
 * One thread's reader state for one {@link ReadMostlyLock}, padded so that no other thread writes its cache line:
 * the owner writes it, a writer only reads {@code active}. Held by the lock's registry only.
 */
final class ReadMostlyLockReader extends ReadMostlyLockReaderFields {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    ReadMostlyLockReader(Thread owner) {
        super(owner);
    }

    /** Whether this record can be dropped: its owner has died with no read hold left. */
    @Override
    boolean abandoned() {
        // volatile load: a dead owner's last release store of 0 must be seen, or the record is kept (safe)
        return ownerGone() && (int) ReadMostlyLock.ACTIVE.getVolatile(this) == 0;
    }
}
