/*
 * The signal barrier for ProcessBarrier, the approach of userspace RCU's signal flavor without its thread
 * registry: heavy() lists the threads in /proc/self/task, sends each one a real-time signal whose handler runs a
 * full fence and acknowledges, and waits for every acknowledgement (or for the thread to be gone).
 *
 * Acknowledgements. Every signalled thread gets its own slot, and the signal carries (slot index, generation) in
 * its sigval (rt_tgsigqueueinfo). The handler acknowledges with a compare-and-swap from "pending in generation g"
 * to "acknowledged in g". Slots live in a pool that is never freed, so a handler that runs late (after its barrier
 * timed out, or for a duplicate signal) always writes into valid memory, and the generation makes its write a
 * no-op once the slot belongs to another barrier. Concurrent barriers therefore need no lock around the wait, and
 * an acknowledgement can neither be lost nor counted for the wrong barrier.
 *
 * Ordering. The handler's fence comes before its release CAS; the waiter reads the slot with acquire and then
 * fences (AsymmetricBarrier). Stores the thread made before the interruption are visible to the waiter; loads it
 * makes after the handler come after the sender's fence and signal (the kernel's siglock orders send and delivery).
 *
 * Only async-signal-safe operations in the handler: atomics, getpid, futex. No libc call here may need a glibc
 * symbol newer than 2.17, hence raw syscalls for getdents64, gettid, tgkill, rt_tgsigqueueinfo and futex.
 */
#define _GNU_SOURCE
#include "pb_dl.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pb_signal.h"

/* ---- the slot pool ------------------------------------------------------------------------------------------ */


/* slot word: generation << 1 | acknowledged */
static uint64_t *pb_segment[PB_SEGMENTS];
static int pb_segments;
static uint32_t *pb_free;
static size_t pb_free_count;
static pthread_mutex_t pb_pool_lock = PTHREAD_MUTEX_INITIALIZER;
uint64_t pb_generation;

/*
 * The process id the handler compares a signal's sender with, recorded by the barrier that sends. Every
 * signalled thread runs the handler on the barrier's critical path, and getpid() is a system call in glibc 2.25+:
 * comparing with the recorded value first saves one per thread. A mismatch (a forked child, a foreign sender)
 * falls back to getpid().
 */
pid_t pb_pid;

/* bumped by every acknowledgement; the futex that waiting callers sleep on */
int pb_ack_seq;
int pb_sleepers;

int pb_installed_signal;
static pthread_mutex_t pb_install_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t *pb_slot(uint32_t index) {
    uint32_t j = index / PB_SEG0 + 1;
    int k = 31 - __builtin_clz(j);
    if (k >= PB_SEGMENTS) {
        return NULL;
    }
    uint64_t *segment = __atomic_load_n(&pb_segment[k], __ATOMIC_ACQUIRE);
    if (segment == NULL) {
        return NULL;
    }
    return &segment[index - PB_SEG0 * ((1u << k) - 1)];
}

/* Takes n slot indices. Returns 0 or an errno. */
int pb_alloc_slots(uint32_t *out, size_t n) {
    int err = 0;
    pthread_mutex_lock(&pb_pool_lock);
    while (pb_free_count < n) {
        if (pb_segments == PB_SEGMENTS) {
            err = ENOMEM;
            goto out;
        }
        size_t size = (size_t) PB_SEG0 << pb_segments;
        size_t total = (size_t) PB_SEG0 * (((size_t) 1 << (pb_segments + 1)) - 1);
        uint64_t *segment = calloc(size, sizeof(uint64_t));
        uint32_t *free_list = realloc(pb_free, total * sizeof(uint32_t));
        if (segment == NULL || free_list == NULL) {
            free(segment);
            if (free_list != NULL) {
                pb_free = free_list;
            }
            err = ENOMEM;
            goto out;
        }
        pb_free = free_list;
        uint32_t base = PB_SEG0 * ((1u << pb_segments) - 1);
        for (size_t i = size; i > 0; i--) {
            pb_free[pb_free_count++] = base + (uint32_t) (i - 1);
        }
        __atomic_store_n(&pb_segment[pb_segments], segment, __ATOMIC_RELEASE);
        pb_segments++;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = pb_free[--pb_free_count];
    }
out:
    pthread_mutex_unlock(&pb_pool_lock);
    return err;
}

void pb_release_slots(const uint32_t *slots, size_t n) {
    pthread_mutex_lock(&pb_pool_lock);
    for (size_t i = 0; i < n; i++) {
        pb_free[pb_free_count++] = slots[i];
    }
    pthread_mutex_unlock(&pb_pool_lock);
}

/* ---- the handler -------------------------------------------------------------------------------------------- */

static void pb_handler(int sig, siginfo_t *info, void *context) {
    (void) sig;
    (void) context;
    int saved_errno = errno;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the barrier this thread owes the caller of heavy() */
    /* only our own rt_tgsigqueueinfo carries a slot; a foreign kill/sigqueue of this signal just gets a fence */
    if (info != NULL && info->si_code == SI_QUEUE
        && (info->si_pid == __atomic_load_n(&pb_pid, __ATOMIC_RELAXED) || info->si_pid == getpid())) {
        uint64_t value = (uint64_t) (uintptr_t) info->si_value.sival_ptr;
        uint64_t *slot = pb_slot((uint32_t) (value & ((1u << PB_INDEX_BITS) - 1)));
        uint64_t expected = (value >> PB_INDEX_BITS) << 1;
        if (slot != NULL
            && __atomic_compare_exchange_n(slot, &expected, expected | 1, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
            __atomic_add_fetch(&pb_ack_seq, 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&pb_sleepers, __ATOMIC_SEQ_CST) > 0) {
                syscall(SYS_futex, &pb_ack_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
            }
        }
    }
    errno = saved_errno;
}

static int pb_is_ours(const struct sigaction *sa) {
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == pb_handler;
}

/* ---- installation -------------------------------------------------------------------------------------------- */


/*
 * Whether `handler` lives in another copy of libprocessbarrier (it exports processbarrier_orphaned), and if so,
 * whether that copy is orphaned; its file name goes to `file`. Copies are pinned (see pb_pin_self), so the address
 * is mapped code and dladdr/dlopen(RTLD_NOLOAD) only look it up.
 */
static int pb_other_copy(void *handler, char *file, size_t size) {
    Dl_info info;
    Dl_info self;
    if (handler == NULL || dladdr(handler, &info) == 0 || info.dli_fname == NULL
        || dladdr((void *) pb_handler, &self) == 0 || info.dli_fbase == self.dli_fbase) {
        return PB_DISPOSITION_FOREIGN; /* not a library, or this copy's own non-barrier code */
    }
    void *lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (lib == NULL) {
        return PB_DISPOSITION_FOREIGN;
    }
    int (*orphaned)(void) = (int (*)(void)) dlsym(lib, "processbarrier_orphaned");
    int result = orphaned == NULL ? PB_DISPOSITION_FOREIGN
                                  : orphaned() ? PB_DISPOSITION_ORPHANED_COPY : PB_DISPOSITION_OTHER_COPY;
    dlclose(lib);
    if (file != NULL && size > 0) {
        snprintf(file, size, "%s", info.dli_fname);
    }
    return result;
}

static int pb_disposition_of(JNIEnv *env, int sig, char *file, size_t size) {
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0) {
        PB_THROW_ERRNO(env, errno, "sigaction(%d, NULL, &old)", sig);
        return -1;
    }
    if (pb_is_ours(&old)) {
        return PB_DISPOSITION_OURS;
    }
    if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
        return PB_DISPOSITION_DEFAULT;
    }
    if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN) {
        return PB_DISPOSITION_IGNORED;
    }
    return pb_other_copy((old.sa_flags & SA_SIGINFO) ? (void *) old.sa_sigaction : (void *) old.sa_handler,
                         file, size);
}

int pb_disposition(JNIEnv *env, int sig) {
    return pb_disposition_of(env, sig, NULL, 0);
}

/*
 * Keeps this library mapped for the life of the process: a handler must never point into unmapped memory, and the
 * JVM unmaps a JNI library when its class loader is collected (a redeploy). RTLD_NODELETE on the loaded object
 * (found by its name, RTLD_NOLOAD) is what the JDK's own loading cannot ask for. Returns 0 or an errno.
 */
static int pb_pin_self(void) {
    Dl_info info;
    if (dladdr((void *) pb_handler, &info) == 0 || info.dli_fname == NULL) {
        return ENOENT;
    }
    void *self = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
    return self == NULL ? ENOENT : 0; /* never closed: the reference is the pin */
}

jint pb_signal_sigrtmin(JNIEnv *env, jclass cls) {
    return SIGRTMIN; /* glibc's, above the two it keeps for itself */
}

jint pb_signal_sigrtmax(JNIEnv *env, jclass cls) {
    return SIGRTMAX;
}

jint pb_signal_disposition(JNIEnv *env, jclass cls, jint sig) {
    return pb_disposition(env, sig);
}

jint pb_signal_installed_signal(JNIEnv *env, jclass cls) {
    return __atomic_load_n(&pb_installed_signal, __ATOMIC_ACQUIRE);
}

/* The file of the other copy of the library whose handler holds `sig`, or null. */
jstring pb_signal_handler_file(JNIEnv *env, jclass cls, jint sig) {
    char file[512];
    file[0] = '\0';
    int found = pb_disposition_of(env, sig, file, sizeof file);
    if (found != PB_DISPOSITION_OTHER_COPY && found != PB_DISPOSITION_ORPHANED_COPY) {
        return NULL;
    }
    return (*env)->NewStringUTF(env, file);
}

/*
 * Installs the handler unless the signal has another owner. Returns the disposition found before: DEFAULT or
 * ORPHANED_COPY (now installed), OURS (already installed), FOREIGN, IGNORED or OTHER_COPY (left alone). Once per
 * process and signal: the handler stays, because a late signal must never meet the default action (which
 * terminates the process), and the library is pinned first so that the handler stays mapped.
 */
jint pb_signal_install(JNIEnv *env, jclass cls, jint sig) {
    pthread_mutex_lock(&pb_install_lock);
    int found = pb_disposition(env, sig);
    if (found == PB_DISPOSITION_DEFAULT || found == PB_DISPOSITION_ORPHANED_COPY) {
        int err = pb_pin_self();
        if (err != 0) {
            PB_THROW_ERRNO(env, err, "dlopen(libprocessbarrier, RTLD_NOLOAD|RTLD_NODELETE) to pin the handler's code");
            pthread_mutex_unlock(&pb_install_lock);
            return -1;
        }
        /* A late signal of an orphaned copy carries (slot, generation) of that copy's pool: start this copy's
         * generations somewhere else, so that it cannot pass for an acknowledgement here. */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        __atomic_store_n(&pb_generation, ((uint64_t) now.tv_nsec << 21 ^ (uint64_t) now.tv_sec) & PB_GEN_MASK,
                         __ATOMIC_RELAXED);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = pb_handler;
        /* SA_RESTART: most interrupted system calls of the interrupted thread resume instead of failing EINTR;
         * SA_ONSTACK: a thread that runs on an alternate signal stack (e.g. near a stack overflow) stays on it */
        sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (sigaction(sig, &sa, NULL) != 0) {
            PB_THROW_ERRNO(env, errno, "sigaction(%d, {pb_handler, SA_SIGINFO|SA_RESTART|SA_ONSTACK}, NULL)",
                           (int) sig);
            found = -1;
        } else {
            __atomic_store_n(&pb_installed_signal, (int) sig, __ATOMIC_RELEASE);
        }
    } else if (found == PB_DISPOSITION_OURS) {
        __atomic_store_n(&pb_installed_signal, (int) sig, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&pb_install_lock);
    return found;
}
