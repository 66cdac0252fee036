/** Constructs on ProcessBarrier whose readers pay no fence: {@code Rcu} and {@code ReadMostlyLock}. */
module io.processbarrier.sync {
    requires io.processbarrier;

    exports io.processbarrier.sync;
}
