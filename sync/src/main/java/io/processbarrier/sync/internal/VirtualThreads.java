package io.processbarrier.sync.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Virtual threads (JDK 21+) from code compiled for Java 17: {@code Thread.ofVirtual().name(n).start(r)} and
 * {@code Thread.isVirtual()} through method handles, looked up once. Used by {@link RcuTorture}, the tests, the
 * benchmarks, and the read side's choice of where a thread without a record keeps its state ({@code StripeOwners}). Not
 * API: this package is not exported by the module {@code io.processbarrier.sync} and may change in any release.
 */
public final class VirtualThreads {
    private static final MethodHandle CREATE; // () -> Thread.ofVirtual()
    private static final MethodHandle NAME;   // (builder, name) -> builder.name(name)
    private static final MethodHandle UNSTARTED; // (builder, task) -> builder.unstarted(task)
    private static final String UNSUPPORTED;
    /** {@code Thread.isVirtual()} (JDK 21+), or a constant false before: a constant, so C2 inlines it. */
    private static final MethodHandle IS_VIRTUAL;
    /**
     * The class every virtual thread is an instance of ({@code java.lang.BaseVirtualThread}: {@code Thread.isVirtual()}
     * is {@code this instanceof BaseVirtualThread} in JDK 21 to 25), once checked against {@link #IS_VIRTUAL} on a
     * virtual thread and this one; null if it is not there or does not agree ({@link #isVirtual} then asks the
     * method handle).
     *
     * <p>Why not the method handle on every call: an {@code invokeExact} of a handle that the JIT does not see as a
     * constant (the interpreter, C1) counts its calls, and the 128th customizes the handle: a new lambda form and a
     * class spun for it, allocated in the heap. On a full heap that threw {@link OutOfMemoryError} out of a writer
     * waiting for the lock's mutex ({@code ReadMostlyLockFullHeapTest}, platform threads, in CI of de124bd: the thread
     * died, and the other waited for a turn for ever). {@link Class#isInstance} allocates nothing, ever, and C2 makes
     * it the same type check as {@code isVirtual()}.
     */
    private static final Class<?> VIRTUAL_BASE;

    static {
        MethodHandle create = null;
        MethodHandle name = null;
        MethodHandle unstarted = null;
        String why = null;
        try {
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            Class<?> builder = Class.forName("java.lang.Thread$Builder");
            Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
            create = l.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual))
                    .asType(MethodType.methodType(Object.class));
            name = l.findVirtual(ofVirtual, "name", MethodType.methodType(ofVirtual, String.class))
                    .asType(MethodType.methodType(Object.class, Object.class, String.class));
            unstarted = l.findVirtual(builder, "unstarted", MethodType.methodType(Thread.class, Runnable.class))
                    .asType(MethodType.methodType(Thread.class, Object.class, Runnable.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            create = null;
            why = "virtual threads need JDK 21+, this is " + System.getProperty("java.version") + " (" + e + ")";
        }
        MethodHandle isVirtual;
        try {
            isVirtual = MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) { // JDK 17-20: no virtual threads
            isVirtual = MethodHandles.dropArguments(MethodHandles.constant(boolean.class, false), 0, Thread.class);
        }
        IS_VIRTUAL = isVirtual;
        CREATE = create;
        NAME = name;
        UNSTARTED = unstarted;
        UNSUPPORTED = why;
        VIRTUAL_BASE = create == null ? null : checkedVirtualBase();
    }

    /** {@link #VIRTUAL_BASE}: the class, if it agrees with {@code Thread.isVirtual()} on both kinds of thread. */
    private static Class<?> checkedVirtualBase() {
        try {
            Class<?> base = Class.forName("java.lang.BaseVirtualThread", false, null);
            Thread virtual = unstarted("processbarrier-probe", () -> { }); // never started
            Thread platform = new Thread(() -> { }, "processbarrier-probe"); // never started; the caller may be virtual
            boolean agrees = isVirtualThroughHandle(virtual) && base.isInstance(virtual)
                    && !isVirtualThroughHandle(platform) && !base.isInstance(platform);
            return agrees ? base : null;
        } catch (Throwable e) { // another JDK's layout: the method handle answers
            return null;
        }
    }

    private VirtualThreads() {
    }

    /** Whether {@code t} is a virtual thread ({@code Thread.isVirtual()}; always false before JDK 21). */
    public static boolean isVirtual(Thread t) {
        Class<?> base = VIRTUAL_BASE;
        if (base != null || CREATE == null) {
            return base != null && base.isInstance(t); // allocates nothing (see VIRTUAL_BASE)
        }
        return isVirtualThroughHandle(t);
    }

    /**
     * {@code Thread.isVirtual()} through the method handle: {@link #isVirtual}'s fallback, and for the test that shows
     * why it is only that ({@code VirtualThreadsFullHeapTest}, its control).
     */
    public static boolean isVirtualThroughHandle(Thread t) {
        try {
            return (boolean) IS_VIRTUAL.invokeExact(t);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e); // isVirtual() throws nothing checked
        }
    }

    /** Whether {@link #isVirtual} asks the class, not the method handle (tests). */
    public static boolean isVirtualByClass() {
        return VIRTUAL_BASE != null;
    }

    /** Whether this JVM has virtual threads. */
    public static boolean supported() {
        return CREATE != null;
    }

    /** Why not, or null. */
    public static String unsupportedReason() {
        return UNSUPPORTED;
    }

    /** Starts a virtual thread. */
    public static Thread start(String name, Runnable task) {
        Thread t = unstarted(name, task);
        t.start();
        return t;
    }

    /** A virtual thread, not started (virtual threads are always daemons). */
    public static Thread unstarted(String name, Runnable task) {
        if (CREATE == null) {
            throw new UnsupportedOperationException(UNSUPPORTED);
        }
        try {
            Object builder = (Object) CREATE.invokeExact();
            builder = (Object) NAME.invokeExact(builder, name);
            return (Thread) UNSTARTED.invokeExact(builder, task);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
