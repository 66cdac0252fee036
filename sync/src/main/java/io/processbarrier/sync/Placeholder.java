package io.processbarrier.sync;

/** Removed when Rcu and ReadMostlyLock land (the package must not be empty for module-info to compile). */
final class Placeholder {
    private Placeholder() {
    }
}
