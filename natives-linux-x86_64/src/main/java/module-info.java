/** libprocessbarrier.so for linux-x86_64, as a service of the api (resolved with no --add-modules). */
module io.processbarrier.natives.linux.x86_64 {
    requires io.processbarrier;

    provides io.processbarrier.internal.bundle.NativeBundle with io.processbarrier.natives.linux.x86_64.Natives;
}
