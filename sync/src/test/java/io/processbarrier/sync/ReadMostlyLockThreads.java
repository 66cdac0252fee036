package io.processbarrier.sync;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Threads for the lock tests: platform or virtual (JDK 21+, reached by reflection since the tests compile for 17), each
 * task's result or exception collected for the test thread, every wait bounded.
 */
final class ReadMostlyLockThreads {
    /** Generous: the CPUs are shared with other builds. A wait that runs out fails the test, never hangs it. */
    static final long BOUND_SECONDS = 30;

    private static final Method OF_VIRTUAL;
    private static final Method UNSTARTED;

    static {
        Method ofVirtual = null;
        Method unstarted = null;
        try {
            ofVirtual = Thread.class.getMethod("ofVirtual");
            unstarted = Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class);
        } catch (ReflectiveOperationException e) {
            // JDK < 21: no virtual threads
        }
        OF_VIRTUAL = ofVirtual;
        UNSTARTED = unstarted;
    }

    private ReadMostlyLockThreads() {
    }

    static boolean virtualThreadsAvailable() {
        return OF_VIRTUAL != null;
    }

    static void assumeVirtualThreads() {
        assumeTrue(virtualThreadsAvailable(), "virtual threads need JDK 21+ (this is "
                + Runtime.version().feature() + "); tools/test runs these tests again on Temurin 25");
    }

    /** An unstarted thread, virtual or platform. */
    static Thread newThread(boolean virtual, String name, Runnable body) {
        if (!virtual) {
            Thread t = new Thread(body, name);
            t.setDaemon(true);
            return t;
        }
        if (OF_VIRTUAL == null) {
            throw new IllegalStateException("virtual threads need JDK 21+: call assumeVirtualThreads() first");
        }
        try {
            Thread t = (Thread) UNSTARTED.invoke(OF_VIRTUAL.invoke(null), body);
            t.setName(name);
            return t;
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("could not create a virtual thread", e);
        }
    }

    /** A task on its own thread whose outcome the test thread collects with {@link #get()}. */
    static final class Task<T> {
        final Thread thread;
        private final CompletableFuture<T> result = new CompletableFuture<>();

        private Task(boolean virtual, String name, Predicate<Thread> fits, Callable<T> body) {
            Thread t = null;
            for (int i = 0; i < 100_000 && t == null; i++) {
                Thread c = newThread(virtual, name, () -> {
                    try {
                        result.complete(body.call());
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                });
                t = fits.test(c) ? c : null; // an unstarted thread that does not fit is dropped
            }
            if (t == null) {
                throw new IllegalStateException("no new thread fits " + fits + " in 100,000 tries");
            }
            thread = t;
            thread.start();
        }

        static <T> Task<T> start(String name, Callable<T> body) {
            return new Task<>(false, name, x -> true, body);
        }

        static <T> Task<T> start(boolean virtual, String name, Callable<T> body) {
            return new Task<>(virtual, name, x -> true, body);
        }

        /**
         * A task on the first new thread that {@code fits} accepts (one whose id hashes to a given stripe, say: threads
         * are created unstarted until one does).
         */
        static <T> Task<T> startOn(boolean virtual, String name, Predicate<Thread> fits, Callable<T> body) {
            return new Task<>(virtual, name, fits, body);
        }

        /** The result; an exception of the task is rethrown as the cause of an {@link ExecutionException}. */
        T get() throws ExecutionException, InterruptedException {
            try {
                return result.get(BOUND_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                thread.interrupt();
                return fail(thread.getName() + " did not finish within " + BOUND_SECONDS + " s; it was "
                        + thread.getState() + " at " + stack(thread));
            }
        }

        /** The exception the task threw (fails if it returned normally). */
        Throwable failure() throws InterruptedException {
            try {
                T value = get();
                return fail(thread.getName() + " returned " + value + " instead of throwing");
            } catch (ExecutionException e) {
                return e.getCause();
            }
        }

        boolean isDone() {
            return result.isDone();
        }

        /**
         * Waits until the task's thread is parked or waiting inside a method of {@code lockView}'s class (its
         * {@code lock()}, say): the premise of "it still waits" is that it reached the wait, not only that it is
         * parked somewhere (a class load, a log call). Bounded.
         */
        Task<T> awaitWaitingIn(Object lockView) {
            String cls = lockView.getClass().getName();
            await(() -> {
                Thread.State s = thread.getState();
                boolean parked = s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
                return result.isDone() || parked && Arrays.stream(thread.getStackTrace())
                        .anyMatch(f -> f.getClassName().equals(cls));
            }, thread.getName() + " to wait inside " + cls);
            if (result.isDone()) {
                fail(thread.getName() + " finished instead of waiting: " + result);
            }
            return this;
        }

        /**
         * Whether the task's thread is in {@code state} and the innermost frame of class {@code cls} on its stack is
         * {@code method}: it is parked there, not in a helper that method calls (a short park while taking a mutex,
         * say) and not on its way in.
         */
        boolean isAt(Thread.State state, Class<?> cls, String method) {
            if (thread.getState() != state) {
                return false;
            }
            for (StackTraceElement f : thread.getStackTrace()) {
                if (f.getClassName().equals(cls.getName())) {
                    return f.getMethodName().equals(method) && thread.getState() == state; // still there
                }
            }
            return false;
        }

        /** Waits until {@link #isAt} holds, bounded; fails if the task finished instead. */
        Task<T> awaitAt(Thread.State state, Class<?> cls, String method) {
            await(() -> result.isDone() || isAt(state, cls, method),
                    thread.getName() + " to be " + state + " in " + cls.getSimpleName() + "." + method);
            if (result.isDone()) {
                fail(thread.getName() + " finished instead of waiting in " + cls.getSimpleName() + "." + method
                        + ": " + result);
            }
            return this;
        }

        /** Waits until the task's thread is parked or waiting (e.g. blocked on a lock), bounded. */
        Task<T> awaitWaiting() {
            await(() -> {
                Thread.State s = thread.getState();
                return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || result.isDone();
            }, thread.getName() + " to wait");
            if (result.isDone()) {
                fail(thread.getName() + " finished instead of waiting: " + result);
            }
            return this;
        }
    }

    /** Polls {@code condition} until it holds; fails after {@link #BOUND_SECONDS}. */
    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("waited " + BOUND_SECONDS + " s for " + what);
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting for " + what);
            }
        }
    }

    static String stack(Thread t) {
        return frames(t.getStackTrace());
    }

    /** The first frames of a stack, innermost first, as the tests print them. */
    static String frames(StackTraceElement[] stack) {
        return Arrays.stream(stack).limit(12).map(String::valueOf).collect(Collectors.joining(" <- "));
    }

    static void join(Thread t) throws InterruptedException {
        t.join(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
        if (t.isAlive()) {
            fail(t.getName() + " did not end within " + BOUND_SECONDS + " s; it is " + t.getState() + " at " + stack(t));
        }
    }
}
