/**
 * ProcessBarrier: a process-wide memory barrier for the JVM. See {@link io.processbarrier.ProcessBarrier}.
 */
module io.processbarrier {
    exports io.processbarrier;
    exports io.processbarrier.spi;
    // what the project's own providers use of the api: native loading and configuration, not public API
    exports io.processbarrier.internal.support to io.processbarrier.membarrier, io.processbarrier.mprotect,
            io.processbarrier.signal, io.processbarrier.sync;
    // the natives jars are modules that provide their library as a service: resolved by this module's `uses`
    exports io.processbarrier.internal.bundle to io.processbarrier.natives.linux.x86_64,
            io.processbarrier.natives.linux.aarch64;

    uses io.processbarrier.spi.ProcessBarrierProvider;
    uses io.processbarrier.internal.bundle.NativeBundle;
}
