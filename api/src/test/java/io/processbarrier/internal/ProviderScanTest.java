package io.processbarrier.internal;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The background scan's failure paths: a waiter never waits for a scan that died or never started. */
class ProviderScanTest {
    @Test
    void aScanThatThrowsEndsDoneWithTheCauseAsALoadFailure() {
        OutOfMemoryError boom = new OutOfMemoryError("no room for the service iterator");
        ProviderScan scan = new ProviderScan(ProviderScanTest.class.getClassLoader(), () -> {
            throw boom;
        });
        scan.await(); // not started: the waiter scans, and returns although the scan threw
        assertTrue(scan.isDone());
        assertEquals(List.of(boom), scan.failures());
        assertTrue(scan.found().isEmpty());
    }

    @Test
    void aScanNobodyStartedRunsOnTheWaiterOnce() {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        ProviderScan scan = new ProviderScan(ProviderScanTest.class.getClassLoader(),
                () -> assertTrue(ranOn.compareAndSet(null, Thread.currentThread()), "scanned twice"));
        scan.await();
        scan.await();
        assertSame(Thread.currentThread(), ranOn.get());
        assertTrue(scan.found().stream().anyMatch(p -> p.name().equals("service-good")), scan.found().toString());
        assertEquals(2, scan.failures().size(), "the two broken entries of the test's service file");
    }

    @Test
    void aWaiterWaitsForTheScansThreadAndKeepsItsInterrupt() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch inScan = new java.util.concurrent.CountDownLatch(1);
        ProviderScan scan = new ProviderScan(ProviderScanTest.class.getClassLoader(), () -> {
            inScan.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        scan.start(null);
        inScan.await(); // the daemon has claimed the scan
        Thread.currentThread().interrupt();
        Thread waiter = Thread.currentThread();
        Thread releaser = new Thread(() -> {
            // release only once the waiter is seen waiting in await()
            while (waiter.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            release.countDown();
        });
        releaser.setDaemon(true);
        releaser.start();
        scan.await();
        assertTrue(Thread.interrupted(), "the interrupt status is kept, not thrown");
        assertTrue(scan.isDone());
    }
}
