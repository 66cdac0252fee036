package io.processbarrier.internal.support;

/**
 * The premise of {@link LogHandoffTest}'s short programs, in a fresh JVM: whether this JDK writes a record through a
 * logging backend that is first initialized in a shutdown hook. OpenJDK 17 does; Temurin 25 writes nothing (seen
 * with java.util.logging), so there a record that only the library's exit hook could write is lost with the JVM.
 */
public final class HookLoggingProbe {
    private HookLoggingProbe() {
    }

    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.getLogger("io.processbarrier")
                .log(System.Logger.Level.DEBUG, "hook-probe: written from a shutdown hook")));
        System.exit(0);
    }
}
