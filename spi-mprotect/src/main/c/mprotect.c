/*
 * The mprotect TLB-shootdown barrier for ProcessBarrier (x86_64): what HotSpot's old serialize_memory and
 * .NET's FlushProcessWriteBuffers do on kernels without membarrier. Downgrading a page that this process has
 * written makes the kernel flush its TLB entry on every CPU that may cache it, and on x86_64 that flush is an
 * IPI: each interrupted CPU drains its store buffer before it acknowledges, which is the barrier we want.
 * The platform policy (which arch, INVLPGB) lives in MprotectProvider.java, where it can be tested and reported.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#  include <cpuid.h>
#endif

#include "pb_jni.h"

/* CPUID Fn8000_0008 EBX bit 3: AMD INVLPGB (broadcast TLB invalidation, used by Linux 6.15+ instead of IPIs). */
static jboolean pb_mprotect_cpuid_invlpgb(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    /* __get_cpuid checks the maximum extended leaf first: an old CPU without the leaf has no INVLPGB either */
    if (!__get_cpuid(0x80000008u, &eax, &ebx, &ecx, &edx)) {
        return JNI_FALSE;
    }
    return (ebx & (1u << 3)) ? JNI_TRUE : JNI_FALSE;
#else
    return JNI_FALSE;
#endif
}

static jint pb_mprotect_page_size(JNIEnv *env, jclass cls) {
    (void) cls;
    long size = sysconf(_SC_PAGESIZE);
    if (size <= 0) {
        PB_THROW_ERRNO(env, size < 0 ? errno : EINVAL, "sysconf(_SC_PAGESIZE)");
        return -1;
    }
    return (jint) size;
}

/*
 * Maps the page, touches it, locks it and makes it read-only. Locked because a page that reclaim has unmapped
 * has no PTE to downgrade; touched first so that the lock is taken on a private page, not the shared zero page.
 */
static jlong pb_mprotect_map_page(JNIEnv *env, jclass cls) {
    (void) cls;
    long size = sysconf(_SC_PAGESIZE);
    if (size <= 0) {
        PB_THROW_ERRNO(env, size < 0 ? errno : EINVAL, "sysconf(_SC_PAGESIZE)");
        return 0;
    }
    void *page = mmap(NULL, (size_t) size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        PB_THROW_ERRNO(env, errno, "mmap(NULL, %ld, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)", size);
        return 0;
    }
    __atomic_store_n((volatile long *) page, 1L, __ATOMIC_RELAXED);
    if (mlock(page, (size_t) size) != 0) {
        int err = errno;
        munmap(page, (size_t) size); /* the mlock failure is the one to report */
        PB_THROW_ERRNO(env, err, "mlock(%p, %ld)", page, size);
        return 0;
    }
    if (mprotect(page, (size_t) size, PROT_READ) != 0) {
        int err = errno;
        munmap(page, (size_t) size);
        PB_THROW_ERRNO(env, err, "mprotect(%p, %ld, PROT_READ)", page, size);
        return 0;
    }
    return (jlong) (intptr_t) page;
}

/*
 * One barrier. Callers serialize (MprotectProvider): with two callers interleaved, one could make the page
 * read-only between the other's mprotect(RW) and its write, and that write would fault.
 * The write must be there: x86 does not flush a TLB entry whose PTE was never accessed, so a downgrade of an
 * untouched page sends no IPI. The atomic read-modify-write also fences this CPU.
 */
static void pb_mprotect_barrier(JNIEnv *env, jclass cls, jlong address, jint size) {
    (void) cls;
    void *page = (void *) (intptr_t) address;
    if (mprotect(page, (size_t) size, PROT_READ | PROT_WRITE) != 0) {
        PB_THROW_ERRNO(env, errno, "mprotect(%p, %d, PROT_READ|PROT_WRITE)", page, (int) size);
        return;
    }
    __atomic_fetch_add((volatile long *) page, 1L, __ATOMIC_SEQ_CST);
    if (mprotect(page, (size_t) size, PROT_READ) != 0) {
        PB_THROW_ERRNO(env, errno, "mprotect(%p, %d, PROT_READ)", page, (int) size);
    }
}

static const JNINativeMethod pb_mprotect_methods[] = {
    {"cpuidInvlpgb", "()Z", (void *) pb_mprotect_cpuid_invlpgb},
    {"pageSize", "()I", (void *) pb_mprotect_page_size},
    {"mapPage", "()J", (void *) pb_mprotect_map_page},
    {"barrier", "(JI)V", (void *) pb_mprotect_barrier},
};
PB_GROUP(mprotect, pb_mprotect_methods)
