package io.processbarrier.sync;

import java.util.concurrent.RejectedExecutionException;

/**
 * Loads the classes that the JDK's own failure paths for virtual threads need, while the heap has room. The JDK
 * schedules a virtual thread (an unpark, a park interrupted by an unpark, a yield) by a submission that it retries on
 * an {@link OutOfMemoryError}, 100 ms apart, until it succeeds ({@code VirtualThread.submitRunContinuation}). Ahead of
 * that retry, {@code submitRunContinuation}, {@code lazySubmitRunContinuation} and
 * {@code externalSubmitRunContinuation} catch {@link RejectedExecutionException}, a class nothing else loads: the first
 * exception that passes makes the JVM load it to match the catch, and on a full heap that load throws a new
 * OutOfMemoryError, which escapes the retry. The thread concerned is then left runnable with no task to run it, for
 * ever (Temurin 25.0.3, -Xlog:exceptions: thrown at the bytecode of the {@code RejectedExecutionException} handler;
 * -Xlog:class+load: the class was never loaded; {@code ReadMostlyLockFullHeapTest}'s {@code jdkLostAThread}). Loaded
 * here first, the catch matches without a load, and the JDK's retry runs as written.
 */
final class JdkFailurePaths {
    /** Loaded with this class: a class literal loads its class (without initializing it). */
    private static final Class<?>[] LOADED = {RejectedExecutionException.class};

    private JdkFailurePaths() {
    }

    /** Loads them, once: initializes this class. Called from the static initializers of the lock and of {@link Rcu}. */
    static void load() {
        // nothing more: calling a static method initializes the class, whose field above loads them
    }
}
