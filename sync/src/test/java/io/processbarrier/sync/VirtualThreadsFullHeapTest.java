package io.processbarrier.sync;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code VirtualThreads.isVirtual} on a full heap: every wait of a writer for the lock's mutex asks it, and so do the
 * read side's paths for threads without a record. A child JVM ({@link FullHeapMain}'s {@code is-virtual}) fills its
 * heap, then asks {@link FullHeapMain#IS_VIRTUAL_CALLS} times from code the JIT has not compiled with C2.
 */
class VirtualThreadsFullHeapTest {
    private static ChildProcess.Result child(String how) throws Exception {
        return ChildProcess.run(ChildProcess.javaCommand(List.of(), List.of("-Xmx12m", "-XX:+UseSerialGC",
                "-XX:-UseTLAB"), ChildProcess.classPath(), FullHeapMain.class, "is-virtual", how),
                Duration.ofSeconds(240), ChildProcess.Stderr.SEPARATE);
    }

    /**
     * Not one call throws, and each says the thread is a platform thread. Fails at de124bd, where it asked the method
     * handle on every call: the 128th call from code that C2 has not compiled customizes the handle (a lambda form and
     * a class, allocated), which threw {@link OutOfMemoryError} here, out of a writer waiting for the mutex in
     * {@code ReadMostlyLockFullHeapTest} (CI of de124bd, platform threads: the thread died).
     */
    @Test
    void askingAllocatesNothing() throws Exception {
        ChildProcess.Result r = child("class");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("full", r.value("premise"), r.toString());
        // before JDK 21 the answer is a constant false, asked of neither (the handle there was a constant too, and
        // threw the same way: 874 of 1,000 calls on JDK 17)
        assertEquals(String.valueOf(Runtime.version().feature() >= 21), r.value("byClass"), r.toString());
        assertEquals("0", r.value("errors"), r.toString());
        assertEquals("platform", r.value("answer"), r.toString());
    }

    /**
     * The control: the same calls through the method handle throw on the same full heap (876 of 1,000 on Temurin 25,
     * 2 vCPU AMD EPYC).
     */
    @Test
    void controlThroughTheHandleTheCallsThrow() throws Exception {
        ChildProcess.Result r = child("handle");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("full", r.value("premise"), r.toString());
        assertTrue(Integer.parseInt(r.value("errors")) > 0, r.toString());
    }
}
