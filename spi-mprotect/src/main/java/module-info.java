/** The mprotect (TLB shootdown) provider of ProcessBarrier, x86_64 only. */
module io.processbarrier.mprotect {
    requires io.processbarrier;

    provides io.processbarrier.spi.ProcessBarrierProvider with io.processbarrier.mprotect.MprotectProvider;
}
