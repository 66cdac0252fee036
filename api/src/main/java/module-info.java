/**
 * ProcessBarrier: a process-wide memory barrier for the JVM. See {@link io.processbarrier.ProcessBarrier}.
 */
module io.processbarrier {
    exports io.processbarrier;
    exports io.processbarrier.spi;

    uses io.processbarrier.spi.ProcessBarrierProvider;
}
