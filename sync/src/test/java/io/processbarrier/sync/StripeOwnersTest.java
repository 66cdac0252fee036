package io.processbarrier.sync;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StripeOwners} alone: a slot has one thread at a time and is free again after its release; the promotion
 * table promotes each of four threads that keep reading on one set and take turns (a table of one entry per set
 * would reset their counts and promote none), and threads that read once do not wear off the count of one that keeps
 * reading.
 */
class StripeOwnersTest {
    private static final int PROMOTE_AFTER = 64;

    /** {@code n} ids on the same set of {@code o}'s table, from {@code from} on. */
    private static long[] sharingASet(StripeOwners o, int n, long from) {
        long[] ids = new long[n];
        int k = 0;
        for (long id = from; k < n && id < from + 10_000_000; id++) {
            if (o.entry(id) == o.entry(1)) {
                ids[k++] = id;
            }
        }
        assertEquals(n, k, "ids sharing a set");
        return ids;
    }

    @Test
    void aSlotHasOneThreadAtATimeAndItsOwnerReusesItAfterAnError() {
        StripeOwners o = new StripeOwners(8);
        Thread me = Thread.currentThread();
        Thread other = new Thread(() -> { });
        StripeOwners.Owner slot = o.slot(3);
        assertTrue(o.claim(me, slot));
        assertFalse(slot.inside(me), "taken, but not inside before its depth is set");
        slot.depth = 1;
        assertTrue(slot.inside(me));
        assertFalse(slot.inside(other), "another thread is not inside through my slot");
        assertFalse(o.claim(other, slot), "a taken slot");
        assertEquals(1, o.slotsHeld());
        slot.depth = 0; // as an Error between the last exit and the release leaves it
        assertFalse(slot.inside(me), "depth 0: not inside");
        assertTrue(o.claim(me, slot), "its owner takes it again without a CAS");
        assertFalse(o.claim(other, slot), "still taken for the others");
        o.release(slot);
        assertFalse(slot.inside(me), "released");
        assertTrue(o.claim(other, slot), "free again");
        assertEquals(0, slot.depth, "the depth is reset by the release");
    }

    @Test
    void aSlotLeftAtDepthZeroByAThreadThatEndedIsTakenOverNotOneThatEndedInside() throws Exception {
        StripeOwners o = new StripeOwners(8);
        Thread me = Thread.currentThread();
        for (int depth : new int[] {0, 1}) {
            StripeOwners.Owner slot = o.slot(depth);
            Thread gone = new Thread(() -> {
                assertTrue(o.claim(Thread.currentThread(), slot));
                slot.depth = depth; // 0: an Error struck its release; 1: it ended inside (its hold stays counted)
            });
            gone.start();
            gone.join();
            assertEquals(depth == 0, o.claim(me, slot), "a slot left at depth " + depth + " by a thread that ended");
        }
        // the control: a live owner's slot at depth 0 is not taken over
        StripeOwners.Owner live = o.slot(2);
        java.util.concurrent.CountDownLatch claimed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread owner = new Thread(() -> {
            o.claim(Thread.currentThread(), live);
            claimed.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.start();
        claimed.await();
        assertFalse(o.claim(me, live), "the slot of a live thread at depth 0");
        done.countDown();
        owner.join();
    }

    @Test
    void spillsAreCountedPerSlot() {
        StripeOwners o = new StripeOwners(8);
        assertFalse(o.slot(2).spilled());
        o.spill(o.slot(2), 1);
        assertTrue(o.slot(2).spilled());
        assertFalse(o.slot(3).spilled(), "another stripe's count");
        o.spill(o.slot(2), -1);
        assertFalse(o.slot(2).spilled());
    }

    @Test
    void fourThreadsThatKeepReadingOnOneSetTakingTurnsAllGetARecord() {
        StripeOwners o = new StripeOwners(8);
        long[] ids = sharingASet(o, 4, 1);
        for (int i = 1; i <= PROMOTE_AFTER; i++) {
            for (long id : ids) {
                assertEquals(StripeOwners.SLOT, o.route(id, PROMOTE_AFTER), "section " + i + " of " + id);
            }
        }
        for (long id : ids) {
            assertEquals(StripeOwners.PROMOTE, o.route(id, PROMOTE_AFTER), "after its sections: " + id);
        }
    }

    @Test
    void threadsThatReadOnceDoNotWearOffOneThatKeepsReading() {
        StripeOwners o = new StripeOwners(8);
        long[] ids = sharingASet(o, 1001, 1);
        for (int i = 1; i <= PROMOTE_AFTER / 2; i++) {
            assertEquals(StripeOwners.SLOT, o.route(ids[0], PROMOTE_AFTER));
        }
        for (int k = 1; k < ids.length; k++) { // a thousand threads that read once each, on the same set
            assertEquals(StripeOwners.SLOT, o.route(ids[k], PROMOTE_AFTER));
        }
        for (int i = PROMOTE_AFTER / 2 + 1; i <= PROMOTE_AFTER; i++) {
            assertEquals(StripeOwners.SLOT, o.route(ids[0], PROMOTE_AFTER), "section " + i);
        }
        assertEquals(StripeOwners.PROMOTE, o.route(ids[0], PROMOTE_AFTER), "its count was kept");
    }

    @Test
    void aThreadAloneIsPromotedAfterItsSections() {
        StripeOwners o = new StripeOwners(8);
        for (int i = 1; i <= PROMOTE_AFTER; i++) {
            assertEquals(StripeOwners.SLOT, o.route(42, PROMOTE_AFTER), "section " + i);
        }
        assertEquals(StripeOwners.PROMOTE, o.route(42, PROMOTE_AFTER));
        assertEquals(StripeOwners.PROMOTE, o.route(43, 0), "promoteAfter 0: at once");
    }
}
