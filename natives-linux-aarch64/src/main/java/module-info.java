/** libprocessbarrier.so for linux-aarch64, as a service of the api (resolved with no --add-modules). */
module io.processbarrier.natives.linux.aarch64 {
    requires io.processbarrier;

    provides io.processbarrier.internal.bundle.NativeBundle with io.processbarrier.natives.linux.aarch64.Natives;
}
