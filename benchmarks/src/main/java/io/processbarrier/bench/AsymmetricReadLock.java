package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A read lock with a fence-free reader path: the asymmetric pattern the library exists for.
 *
 * <pre>
 * reader enter: slot = 1; light(); if (writer) { slot = 0; wait for !writer; retry }
 * reader exit:  slot = 0 (release)
 * writer lock:  (one writer at a time) writer = 1; heavy(); wait until every slot is 0
 * writer unlock: writer = 0 (release)
 * </pre>
 * The entry is the store-buffering pattern: reader {@code store slot; light; load writer} against writer
 * {@code store writer; heavy; load slots}. heavy() guarantees that the writer sees the reader's slot or the reader
 * sees the writer's flag, so a reader and the writer are never both inside. Built on the {@code fence} provider
 * (a full fence on both sides) it is the classic symmetric version, which the benchmark compares it with.
 * Each reader owns one slot, 128 bytes apart from the others (no false sharing).
 */
final class AsymmetricReadLock {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle WRITER;
    private static final int STRIDE = 16; // longs: 128 bytes, two cache lines (adjacent-line prefetch)

    static {
        try {
            WRITER = MethodHandles.lookup().findVarHandle(AsymmetricReadLock.class, "writer", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ProcessBarrier barrier;
    private final long[] slots;
    private final int readers;
    @SuppressWarnings("unused") // through WRITER
    private int writer;

    AsymmetricReadLock(ProcessBarrier barrier, int readers) {
        this.barrier = barrier;
        this.readers = readers;
        this.slots = new long[(readers + 2) * STRIDE];
    }

    private static int index(int reader) {
        return (reader + 1) * STRIDE;
    }

    void readLock(int reader) {
        int i = index(reader);
        for (;;) {
            SLOTS.setOpaque(slots, i, 1L);
            barrier.light();
            if ((int) WRITER.getAcquire(this) == 0) {
                return;
            }
            SLOTS.setRelease(slots, i, 0L); // let the writer in, then try again
            while ((int) WRITER.getAcquire(this) != 0) {
                Thread.onSpinWait();
            }
        }
    }

    void readUnlock(int reader) {
        SLOTS.setRelease(slots, index(reader), 0L);
    }

    /** One writer at a time: the caller serializes writers. */
    void writeLock() {
        WRITER.setOpaque(this, 1);
        barrier.heavy();
        for (int r = 0; r < readers; r++) {
            while ((long) SLOTS.getAcquire(slots, index(r)) != 0L) {
                Thread.onSpinWait();
            }
        }
    }

    void writeUnlock() {
        WRITER.setRelease(this, 0);
    }
}
