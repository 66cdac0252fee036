/** The real-time signal provider of ProcessBarrier (any Linux architecture). */
module io.processbarrier.signal {
    requires io.processbarrier;

    provides io.processbarrier.spi.ProcessBarrierProvider with io.processbarrier.signal.SignalProvider;
}
