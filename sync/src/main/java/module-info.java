/** Constructs on ProcessBarrier whose readers pay no fence: {@code Rcu} and {@code ReadMostlyLock}. */
module io.processbarrier.sync {
    requires transitive io.processbarrier; // Rcu.create and the ReadMostlyLock constructor take a ProcessBarrier

    exports io.processbarrier.sync;
}
