package io.processbarrier.sync;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Back-pressure bounds memory: 10 million retires in a child JVM with {@code -Xmx64m} all get reclaimed, with no
 * OutOfMemoryError. The control holds the same 10 million objects without a bound, in the same heap: it must fail,
 * which shows that only the back-pressure made the first one fit.
 */
class RcuBackPressureTest {
    static final String N = "10000000";
    static final List<String> JVM = List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");

    @Test
    void tenMillionRetiresFitIn64Megabytes() throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), JVM, ChildProcess.classPath(),
                RetireFlood.class, "rcu", N), Duration.ofSeconds(180), ChildProcess.Stderr.SEPARATE);
        assertEquals(0, r.exit(), r.toString());
        assertEquals(N, r.value("reclaimed"), r.toString());
        System.out.println("RcuBackPressureTest: " + N + " retires with -Xmx64m, " + r.value("nanosPerRetire")
                + " ns per retire (wall time, including waits)");
    }

    @Test
    void controlTheSameObjectsUnboundedRunOutOfMemory() throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(), JVM, ChildProcess.classPath(),
                RetireFlood.class, "unbounded", N), Duration.ofSeconds(180), ChildProcess.Stderr.SEPARATE);
        assertNotEquals(0, r.exit(), "10 million objects held without a bound fitted in 64 MB: the test has no power\n"
                + r);
        assertTrue(r.err().contains("OutOfMemoryError") || r.out().contains("OutOfMemoryError"), r.toString());
    }
}
