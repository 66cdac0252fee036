package io.processbarrier.internal;

import io.processbarrier.internal.support.LibraryThreads;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The api's own threads inherit nothing from the thread that caused them (a web application's get() caller): no
 * context class loader, no inheritable thread-local, the system thread group, normal priority, a daemon. Checked on
 * a thread of the factory and on the provider scan's live thread, each made from a creator that has all of these.
 * Control: the scan's thread as made before ({@code new Thread(null, ...)}) is in the creator's group with its
 * priority (seen failing "the system thread group").
 */
class LibraryThreadsTest {
    /** What a thread saw of itself: context loader, thread-local, group, priority, daemon. */
    private static Object[] self(InheritableThreadLocal<String> tenant) {
        Thread t = Thread.currentThread();
        return new Object[] {t.getContextClassLoader(), tenant.get(), t.getThreadGroup(), t.getPriority(), t.isDaemon()};
    }

    /** Runs {@code body} on a creator with a plugin context loader, a tenant thread-local, an application group. */
    private static void fromAnApplicationThread(InheritableThreadLocal<String> tenant, Runnable body) throws Exception {
        ClassLoader plugin = new java.net.URLClassLoader(new java.net.URL[0], null);
        ThreadGroup app = new ThreadGroup("an-application");
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread creator = new Thread(app, () -> {
            tenant.set("tenant-a");
            try {
                body.run();
            } catch (Throwable t) {
                failed.set(t);
            }
        }, "creator");
        creator.setDaemon(false);
        creator.setPriority(Thread.MAX_PRIORITY);
        creator.setContextClassLoader(plugin);
        creator.start();
        creator.join(60_000);
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
    }

    private static void assertInheritsNothing(Object[] s) {
        assertNull(s[0], "no context class loader");
        assertNull(s[1], "no inherited thread-local");
        assertNull(((ThreadGroup) s[2]).getParent(), "the system thread group, not " + s[2]);
        assertEquals(Thread.NORM_PRIORITY, s[3], "normal priority");
        assertEquals(true, s[4], "a daemon");
    }

    @Test
    void aLibraryThreadInheritsNothing() throws Exception {
        InheritableThreadLocal<String> tenant = new InheritableThreadLocal<>();
        AtomicReference<Object[]> seen = new AtomicReference<>();
        fromAnApplicationThread(tenant, () -> {
            Thread t = LibraryThreads.newThread(() -> seen.set(self(tenant)), "probe");
            t.start();
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertNotNull(seen.get(), "the probe ran");
        assertInheritsNothing(seen.get());
    }

    @Test
    void theProviderScansThreadInheritsNothing() throws Exception {
        InheritableThreadLocal<String> tenant = new InheritableThreadLocal<>();
        AtomicReference<Object[]> seen = new AtomicReference<>();
        AtomicReference<String> name = new AtomicReference<>();
        java.util.concurrent.CountDownLatch scanned = new java.util.concurrent.CountDownLatch(1);
        ProviderScan scan = new ProviderScan(LibraryThreadsTest.class.getClassLoader(), () -> {
            seen.set(self(tenant));
            name.set(Thread.currentThread().getName());
            scanned.countDown();
        });
        fromAnApplicationThread(tenant, () -> scan.start(null));
        assertTrue(scanned.await(60, java.util.concurrent.TimeUnit.SECONDS), "the scan's thread ran"); // not await():
        scan.await(); // it would scan here had the thread not claimed it yet
        assertEquals("processbarrier-providers", name.get(), "the premise: the scan ran on its own thread");
        assertInheritsNothing(seen.get());
    }
}
