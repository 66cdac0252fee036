/*
 * What the signal provider's tests need of the kernel and the shipped library does not offer: block a signal in the
 * calling thread, install another library's handler, the calling thread's tid. Compiled by the tests (TestHooks)
 * into a library of their own, so that none of it ships in libprocessbarrier.so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jni.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void throw_errno(JNIEnv *env, const char *call, int err) {
    char message[200];
    snprintf(message, sizeof message, "%s failed: errno %d (%s)", call, err, strerror(err));
    jclass cls = (*env)->FindClass(env, "java/lang/IllegalStateException");
    if (cls != NULL) {
        (*env)->ThrowNew(env, cls, message);
    }
}

JNIEXPORT jint JNICALL Java_io_processbarrier_signal_TestHooks_gettid(JNIEnv *env, jclass cls) {
    return (jint) syscall(SYS_gettid);
}

/* Blocks or unblocks `sig` in the calling thread only (rt_sigprocmask acts per thread; 8 = the kernel's sigset). */
JNIEXPORT void JNICALL Java_io_processbarrier_signal_TestHooks_block(JNIEnv *env, jclass cls, jint sig, jboolean block) {
    uint64_t set = UINT64_C(1) << (sig - 1);
    if (syscall(SYS_rt_sigprocmask, block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL, sizeof set) != 0) {
        throw_errno(env, block ? "rt_sigprocmask(SIG_BLOCK)" : "rt_sigprocmask(SIG_UNBLOCK)", errno);
    }
}

static void foreign_handler(int sig) {
    (void) sig;
}

/* Installs a do-nothing handler (or SIG_DFL when `foreign` is false), as another library in the process would. */
JNIEXPORT void JNICALL Java_io_processbarrier_signal_TestHooks_setForeignHandler(JNIEnv *env, jclass cls, jint sig,
                                                                                  jboolean foreign) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = foreign ? foreign_handler : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        throw_errno(env, "sigaction", errno);
    }
}
