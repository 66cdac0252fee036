package io.processbarrier.sync;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** For the tests that count the bytes a thread allocates: the JVM's counter, or the test skipped where it has none. */
final class AllocatedBytes {
    private AllocatedBytes() {
    }

    /**
     * The JVM's per-thread byte counter. Skips the calling test if it is missing, unsupported or off: then every count
     * is -1, and a difference of two would be 0, which measures nothing.
     */
    static com.sun.management.ThreadMXBean counter() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "this JVM cannot count allocated bytes per thread");
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count allocated bytes per thread");
        return bean;
    }
}
