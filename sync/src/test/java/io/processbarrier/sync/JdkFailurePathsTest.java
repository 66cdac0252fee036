package io.processbarrier.sync;

import io.processbarrier.testsupport.ChildProcess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link JdkFailurePaths}: making a lock or an {@link Rcu} loads the class that the JDK's retry of a failed
 * virtual-thread submission needs, and nothing else loads it, not even a virtual thread that parks, is unparked,
 * yields and parks on a timer ({@code none}, the premise: were it loaded anyway, the load would be moot). Each case
 * is a child JVM ({@link JdkFailurePathsMain}) with class loading logged to its stdout.
 */
class JdkFailurePathsTest {
    private static final String CLASS = " java.util.concurrent.RejectedExecutionException ";

    @ParameterizedTest
    @ValueSource(strings = {"lock", "rcu", "none"})
    void theRetrysCatchClassIsLoadedByTheLockAndRcuAndByNothingElse(String what) throws Exception {
        ChildProcess.Result r = ChildProcess.run(ChildProcess.javaCommand(List.of(),
                List.of("-Xlog:class+load=info:stdout"), ChildProcess.classPath(), JdkFailurePathsMain.class, what),
                Duration.ofSeconds(120), ChildProcess.Stderr.SEPARATE);
        assertEquals(0, r.exit(), r.toString());
        assertEquals(what, r.value("done"), r.toString());
        assertEquals(!what.equals("none"), r.out().contains(CLASS), "loaded" + CLASS + "(" + what + ")");
    }
}
