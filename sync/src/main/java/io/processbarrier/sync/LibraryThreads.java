package io.processbarrier.sync;

/**
 * The library's own threads (the retire threads of {@link Rcu} and {@link ReadMostlyLock}'s burst timer): made by
 * the api's factory, {@link io.processbarrier.internal.support.LibraryThreads}, as every thread of the library is, so
 * that they hold nothing of whoever happened to start them.
 *
 * <p><b>Fault model.</b> Making a thread calls no user code; {@code new Thread} may throw an {@link Error}
 * ({@link OutOfMemoryError}), which reaches the caller, and so may the caller's {@code start()} ("unable to create
 * native thread"): each caller says what it does then.
 */
final class LibraryThreads {
    private LibraryThreads() {
    }

    /**
     * A library thread (the default retire thread, {@code ReadMostlyLock}'s burst timer), not started: see
     * {@link io.processbarrier.internal.support.LibraryThreads#newThread} for what it does not inherit (context class
     * loader, inheritable thread-locals, the creator's access-control context and thread group, its priority).
     */
    static Thread newThread(Runnable task, String name) {
        return io.processbarrier.internal.support.LibraryThreads.newThread(task, name);
    }
}
