package io.processbarrier.sync;

/**
 * Links a class's {@code VarHandle} accesses while it is initialized. The JVM links such an access where it first
 * runs (once per class, access mode and type: two call sites with the same mode and type share the link, measured on
 * JDK 17 and Temurin 25 with a full heap), and linking allocates: on a full heap a first link throws
 * {@link OutOfMemoryError} out of whatever runs it (CI of de124bd: a writer's first contended write, which killed
 * the thread). A path that only contention, a fault or a waiting reader runs cannot be warmed by a user, so each class
 * of the lock and of {@link Rcu} passes here, from its static initializer, one lambda per mode and type it uses (a
 * lambda is a method of that class, so the link is that class's), each run on no object: the access links, then
 * throws {@link NullPointerException}. {@code VarHandleLinkingTest} reads the class files and fails on an access that
 * is not linked so.
 */
final class VarHandleLinks {
    private VarHandleLinks() {
    }

    static void link(Runnable... accesses) {
        for (Runnable a : accesses) {
            try {
                a.run();
            } catch (NullPointerException linkedThenThrown) {
                // as intended: linked, then run on nothing
            }
        }
    }
}
