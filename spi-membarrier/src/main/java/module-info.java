/** The membarrier(2) provider of ProcessBarrier. */
module io.processbarrier.membarrier {
    requires io.processbarrier;

    provides io.processbarrier.spi.ProcessBarrierProvider with io.processbarrier.membarrier.MembarrierProvider;
}
