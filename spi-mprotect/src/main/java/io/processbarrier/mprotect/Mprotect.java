package io.processbarrier.mprotect;

/** The native half (src/main/c/mprotect.c). Every method throws {@link io.processbarrier.ErrnoException} on failure. */
final class Mprotect {
    private Mprotect() {
    }

    /** CPUID Fn8000_0008 EBX bit 3 (AMD INVLPGB); {@code false} on every other architecture. */
    static native boolean cpuidInvlpgb();

    static native int pageSize();

    /** Maps one private anonymous page, writes to it, mlocks it and makes it read-only; returns its address. */
    static native long mapPage();

    /** mprotect(RW), an atomic write to the page, mprotect(RO). Not thread-safe: callers serialize. */
    static native void barrier(long address, int size);
}
