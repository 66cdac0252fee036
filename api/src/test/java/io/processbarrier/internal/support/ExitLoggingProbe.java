package io.processbarrier.internal.support;

/**
 * The premise of {@link LogHandoffTest}'s {@code exit} case, in a fresh JVM: whether {@code System.exit} itself logs
 * (through the {@code System.Logger} "java.lang.Runtime", before the shutdown hooks run: JDK 21 and later,
 * JDK-8301627).
 * If it does, a configured java.util.logging is initialized before the hooks, with its own hook that closes every
 * handler, and the JVM runs that hook concurrently with the library's: a record still queued at {@code System.exit}
 * is then written only if the library's hook wins (seen in 1 of 10 runs on Temurin 25). If it does not (OpenJDK 17),
 * the library's hook initializes java.util.logging itself, too late for a hook of its own, and the record is written
 * every time. The test runs this with {@code java.lang.Runtime} at level ALL: the line is in standard error exactly
 * when this JDK logs at exit. Unlike a record written from a hook, no race decides it.
 */
public final class ExitLoggingProbe {
    private ExitLoggingProbe() {
    }

    public static void main(String[] args) {
        System.exit(0);
    }
}
