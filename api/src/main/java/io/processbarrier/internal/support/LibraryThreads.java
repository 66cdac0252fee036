package io.processbarrier.internal.support;

/**
 * Every thread the library starts for itself (the api's registration, provider-scan and log threads, sync's retire
 * threads and burst timer), made as the JDK makes its InnocuousThread: it holds nothing of whoever happened to cause
 * it, typically the first caller of {@code ProcessBarrier.get()}, which may be a web application's thread.
 *
 * <p><b>Fault model.</b> Making a thread calls no user code; {@code new Thread} may throw an {@link Error}
 * ({@link OutOfMemoryError}), which reaches the caller, and so may the caller's {@code start()} ("unable to create
 * native thread"): each caller says what it does then.
 */
@SuppressWarnings("removal") // AccessController: the JDK 17 access-control context, gone from JDK 24 on
public final class LibraryThreads implements java.security.PrivilegedAction<Thread> {
    /** As the JDK's InnocuousThread: one protection domain with no code source and no permissions. */
    private static final java.security.AccessControlContext NOTHING_INHERITED = new java.security.AccessControlContext(
            new java.security.ProtectionDomain[] {new java.security.ProtectionDomain(null, null)});

    private final Runnable task;
    private final String name;

    // the instance is its own PrivilegedAction, and the context a field here rather than a holder class: the api
    // makes its first threads inside the first get(), where every class loaded from its jar costs about 0.3 ms
    private LibraryThreads(Runnable task, String name) {
        this.task = task;
        this.name = name;
    }

    /**
     * A library thread, not started: inherits nothing from its creator (like the JDK's InnocuousThread): no context
     * class loader (a web application's loader stays collectable after an undeploy), no inheritable thread-locals, no
     * access-control context of the creator's stack (on JDK 17 a thread keeps its creator's
     * {@code AccessControlContext}, whose protection domains hold the class loaders of every class on that stack), the
     * system thread group (not the creator's), normal priority, a daemon named {@code name}.
     */
    public static Thread newThread(Runnable task, String name) {
        // a class, not a lambda: the api makes its first threads inside the first get(), where a lambda costs ms
        return java.security.AccessController.doPrivileged(new LibraryThreads(task, name), NOTHING_INHERITED);
    }

    /** Makes the thread, inside {@link #newThread}'s privileged block: not for other callers. */
    @Override
    public Thread run() {
        Thread t = new Thread(systemGroup(), task, name, 0, false); // false: no inheritable thread-locals
        t.setDaemon(true);
        t.setContextClassLoader(null);
        t.setPriority(Thread.NORM_PRIORITY);
        return t;
    }

    /** The root of the thread groups: a thread there keeps no application's group alive. */
    private static ThreadGroup systemGroup() {
        ThreadGroup g = Thread.currentThread().getThreadGroup();
        for (ThreadGroup p = g == null ? null : g.getParent(); p != null; p = p.getParent()) {
            g = p;
        }
        return g;
    }
}
