/*
 * membarrier(2) for ProcessBarrier: the raw system call, nothing else. The strategy (which command, when to
 * register) lives in MembarrierProvider.java, where it can be tested and reported.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pb_jni.h"

#ifndef __NR_membarrier
#  if defined(__x86_64__)
#    define __NR_membarrier 324
#  elif defined(__aarch64__)
#    define __NR_membarrier 283
#  else
#    error "membarrier syscall number unknown for this architecture"
#  endif
#endif

static jint pb_membarrier_call(JNIEnv *env, jclass cls, jint cmd, jint flags) {
    (void) cls;
    /* glibc has no wrapper before 2.x and the headers may lack it: the raw syscall works everywhere */
    long r = syscall(__NR_membarrier, (int) cmd, (unsigned int) flags, 0);
    if (r < 0) {
        PB_THROW_ERRNO(env, errno, "membarrier(cmd=%d, flags=%d)", (int) cmd, (int) flags);
        return -1;
    }
    return (jint) r;
}

static const JNINativeMethod pb_membarrier_methods[] = {
    {"call", "(II)I", (void *) pb_membarrier_call},
};
PB_GROUP(membarrier, pb_membarrier_methods)
