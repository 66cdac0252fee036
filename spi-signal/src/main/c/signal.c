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

#include "pb_jni.h"

/* ---- the slot pool ------------------------------------------------------------------------------------------ */

/*
 * Segment k holds PB_SEG0 << k slots, so 14 segments give 16,776,192 slots: an index fits in 24 bits, which leaves
 * 40 bits of generation in a 64-bit sigval. A stale generation would have to survive 2^40 barriers to match again.
 */
#define PB_SEG0 1024u
#define PB_SEGMENTS 14
#define PB_INDEX_BITS 24
#define PB_GEN_MASK ((UINT64_C(1) << 40) - 1)

/* slot word: generation << 1 | acknowledged */
static uint64_t *pb_segment[PB_SEGMENTS];
static int pb_segments;
static uint32_t *pb_free;
static size_t pb_free_count;
static pthread_mutex_t pb_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t pb_generation;

/*
 * The process id the handler compares a signal's sender with, recorded by the barrier that sends. Every
 * signalled thread runs the handler on the barrier's critical path, and getpid() is a system call in glibc 2.25+:
 * comparing with the recorded value first saves one per thread. A mismatch (a forked child, a foreign sender)
 * falls back to getpid().
 */
static pid_t pb_pid;

/* bumped by every acknowledgement; the futex that waiting callers sleep on */
static int pb_ack_seq;
static int pb_sleepers;

static int pb_installed_signal;
static pthread_mutex_t pb_install_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t *pb_slot(uint32_t index) {
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
static int pb_alloc_slots(uint32_t *out, size_t n) {
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

static void pb_release_slots(const uint32_t *slots, size_t n) {
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

/* Keep these in sync with RtSignal.java. */
#define PB_DISPOSITION_DEFAULT 0
#define PB_DISPOSITION_OURS 1
#define PB_DISPOSITION_FOREIGN 2
#define PB_DISPOSITION_IGNORED 3
/* the handler of another copy of this library (another class loader, a shaded copy) whose Java side is alive */
#define PB_DISPOSITION_OTHER_COPY 4
/* the handler of another copy whose Java side was unloaded: install() takes the signal over */
#define PB_DISPOSITION_ORPHANED_COPY 5

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

static int pb_disposition(JNIEnv *env, int sig) {
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

static jint pb_signal_sigrtmin(JNIEnv *env, jclass cls) {
    return SIGRTMIN; /* glibc's, above the two it keeps for itself */
}

static jint pb_signal_sigrtmax(JNIEnv *env, jclass cls) {
    return SIGRTMAX;
}

static jint pb_signal_disposition(JNIEnv *env, jclass cls, jint sig) {
    return pb_disposition(env, sig);
}

static jint pb_signal_installed_signal(JNIEnv *env, jclass cls) {
    return __atomic_load_n(&pb_installed_signal, __ATOMIC_ACQUIRE);
}

/* The file of the other copy of the library whose handler holds `sig`, or null. */
static jstring pb_signal_handler_file(JNIEnv *env, jclass cls, jint sig) {
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
static jint pb_signal_install(JNIEnv *env, jclass cls, jint sig) {
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

/* ---- listing the threads -------------------------------------------------------------------------------------- */

struct pb_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static long pb_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long) ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int pb_thread_gone(pid_t pid, pid_t tid) {
    return syscall(SYS_tgkill, pid, tid, 0) != 0 && errno == ESRCH;
}

/*
 * Whether thread `tid` blocks `sig`, from the SigBlk line of /proc/self/task/TID/status; 0 when unreadable (an
 * exited thread is handled by the barrier like any other). Only used under user-mode emulation, where qemu-user's
 * own threads (its RCU thread) appear in /proc/self/task with every signal blocked: they never run guest code,
 * so they have nothing to order and would otherwise make every barrier time out.
 */
static int pb_blocks_signal(pid_t tid, int sig) {
    char path[64];
    char buf[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int) tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0) {
        return 0;
    }
    buf[len] = '\0';
    const char *line = strstr(buf, "\nSigBlk:");
    if (line == NULL) {
        return 0;
    }
    unsigned long long mask = strtoull(line + 8, NULL, 16);
    return (int) ((mask >> (sig - 1)) & 1ULL);
}

/*
 * The directory stays open between barriers: opening and closing /proc/self/task walks a path through procfs, about
 * 0.7 us per barrier here. One caller at a time uses it (the file position is shared); a concurrent caller opens its
 * own. The pid it was opened by tells a forked child to open its own.
 */
static int pb_task_fd = -1;
static pid_t pb_task_fd_pid;
static int pb_task_busy; /* a try-lock: pthread_mutex_trylock would need GLIBC_2.34 */

/* An open /proc/self/task: the shared one (*shared = 1, unlock with pb_task_release) or a fresh one; -1 on error. */
static int pb_task_open(pid_t pid, int *shared) {
    *shared = 0;
    if (!__atomic_exchange_n(&pb_task_busy, 1, __ATOMIC_ACQUIRE)) {
        if (pb_task_fd >= 0 && pb_task_fd_pid != pid) {
            /* a forked child's copy of its parent's directory; not closed: the child may have reused the number */
            pb_task_fd = -1;
        }
        if (pb_task_fd < 0) {
            pb_task_fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            pb_task_fd_pid = pid;
        }
        if (pb_task_fd >= 0) {
            *shared = 1;
            return pb_task_fd;
        }
        __atomic_store_n(&pb_task_busy, 0, __ATOMIC_RELEASE);
    }
    return open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void pb_task_release(int fd, int shared) {
    if (shared) {
        __atomic_store_n(&pb_task_busy, 0, __ATOMIC_RELEASE);
    } else {
        close(fd);
    }
}

/*
 * Lists the threads of this process except `self` into *out (malloc'ed). Returns 0, -1 with a Java exception
 * pending, or 1 if the deadline passed before a listing could be trusted.
 *
 * The kernel's readdir of /proc/PID/task (proc_task_readdir) walks the thread list, which is in creation order,
 * and ends early, silently, in three ways; every live thread after that point is then missing (measured here:
 * a few listings in a thousand under heavy thread churn, and nearly every barrier when concurrent callers signal
 * each other), and a second getdents call resumes by position, which can skip a thread as well:
 *   1. the thread it has just emitted is dead when it looks for the next one (next_tid() gives up);
 *   2. the next thread is already dead and skipped ("if (!tid) continue"), after which the walk gives up too;
 *   3. filldir stops at the next entry when the reader has a signal pending (or a stop, freeze or io_uring
 *      notification), like a full buffer.
 * So each attempt is one getdents64 call into a buffer with room to spare (from the second attempt on, with every
 * blockable signal blocked, so that case 3 cannot strike twice), and it is trusted only if the walk demonstrably
 * reached the end:
 *   - the directory position advanced by exactly one per entry returned (case 2 advances it one more);
 *   - the last entry returned is still alive afterwards (case 1);
 *   - a second getdents64 call returns nothing (case 3 would resume where the first one stopped; new threads
 *     also make it return something, and the attempt is repeated).
 * Under churn, with concurrent callers signalling each other, no trusted listing missed a live thread (tests).
 */
static int pb_list_threads(JNIEnv *env, pid_t pid, pid_t self, pid_t **out, size_t *count, long deadline) {
    static size_t capacity_hint = 16384;
    char tail[512];
    size_t capacity = __atomic_load_n(&capacity_hint, __ATOMIC_RELAXED);
    char *buf = NULL;
    pid_t *tids = NULL;
    int result = -1;
    int shared;
    int fd = pb_task_open(pid, &shared);
    if (fd < 0) {
        PB_THROW_ERRNO(env, errno, "open(\"/proc/self/task\", O_RDONLY|O_DIRECTORY)");
        return -1;
    }
    for (int attempt = 0;; attempt++) {
        char *grown = realloc(buf, capacity);
        /* at most one entry per 24 bytes, the smallest dirent64 that holds a tid */
        pid_t *grown_tids = realloc(tids, (capacity / 24 + 1) * sizeof(pid_t));
        if (grown != NULL) {
            buf = grown;
        }
        if (grown_tids != NULL) {
            tids = grown_tids;
        }
        if (grown == NULL || grown_tids == NULL) {
            PB_THROW_ERRNO(env, ENOMEM, "malloc(%zu) for the thread list", capacity);
            goto out;
        }
        /* one attempt: rewind, read everything in one call, note where the walk ended, check nothing follows */
        uint64_t all = ~UINT64_C(0), saved;
        if (attempt > 0 && syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &saved, sizeof all) != 0) {
            PB_THROW_ERRNO(env, errno, "rt_sigprocmask(SIG_SETMASK, all, &saved, 8)");
            goto out;
        }
        int err = 0;
        const char *call = NULL;
        long n = -1, more = -1;
        off_t end_pos = -1;
        if (lseek(fd, 0, SEEK_SET) != 0) {
            err = errno, call = "lseek(/proc/self/task, 0, SEEK_SET)";
        } else if ((n = syscall(SYS_getdents64, fd, buf, capacity)) < 0) {
            err = errno, call = "getdents64(/proc/self/task)";
        } else if ((end_pos = lseek(fd, 0, SEEK_CUR)) < 0) {
            err = errno, call = "lseek(/proc/self/task, 0, SEEK_CUR)";
        } else if ((more = syscall(SYS_getdents64, fd, tail, sizeof tail)) < 0) {
            err = errno, call = "getdents64(/proc/self/task) after the end";
        }
        if (attempt > 0) {
            syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, NULL, sizeof saved); /* restoring cannot fail */
        }
        if (call != NULL) {
            PB_THROW_ERRNO(env, err, "%s", call);
            goto out;
        }
        size_t found = 0;
        long entries = 0;
        int seen_self = 0;
        pid_t last = 0;
        for (long pos = 0; pos < n;) {
            struct pb_dirent64 *d = (struct pb_dirent64 *) (buf + pos);
            pos += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
                continue;
            }
            entries++;
            char *end;
            long tid = strtol(d->d_name, &end, 10);
            if (end == d->d_name || *end != '\0' || tid <= 0) {
                continue;
            }
            last = (pid_t) tid;
            if (last == self) {
                seen_self = 1;
            } else {
                tids[found++] = last;
            }
        }
        if ((size_t) n + 256 > capacity) {
            capacity *= 2; /* possibly full: a thread that did not fit would be missed */
            __atomic_store_n(&capacity_hint, capacity, __ATOMIC_RELAXED);
        } else if (more == 0 && end_pos == 2 + entries && (last == self || !pb_thread_gone(pid, last))) {
            if (!seen_self) {
                /* a complete listing without the caller: this /proc shows another PID namespace */
                PB_THROW_ERRNO(env, ESRCH, "/proc/self/task does not list the calling thread %d (is /proc mounted "
                               "from another PID namespace?)", (int) self);
                goto out;
            }
            *out = tids;
            *count = found;
            tids = NULL;
            result = 0;
            goto out;
        }
        if (pb_now_ns() >= deadline) {
            result = 1;
            goto out;
        }
    }
out:
    pb_task_release(fd, shared);
    free(buf);
    free(tids);
    return result;
}

/* The threads the barrier would signal (all but the caller), or null if no listing could be trusted in time. */
static jintArray pb_signal_list_threads(JNIEnv *env, jclass cls, jlong timeout_ns) {
    pid_t *tids = NULL;
    size_t n = 0;
    int listed = pb_list_threads(env, getpid(), (pid_t) syscall(SYS_gettid), &tids, &n, pb_now_ns() + (long) timeout_ns);
    if (listed != 0) {
        return NULL;
    }
    jintArray array = (*env)->NewIntArray(env, (jsize) n);
    if (array != NULL && n > 0) {
        (*env)->SetIntArrayRegion(env, array, 0, (jsize) n, (const jint *) tids);
    }
    free(tids);
    return array;
}

/* ---- the barrier ---------------------------------------------------------------------------------------------- */

enum { PB_PENDING, PB_UNSENT, PB_DONE };

struct pb_target {
    pid_t tid;
    uint32_t slot;
    int state;
    int sends;
    long sent_at;
};

static int pb_send(pid_t pid, uid_t uid, int sig, struct pb_target *t, uint64_t generation, long now) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = SI_QUEUE;
    info.si_pid = pid;
    info.si_uid = uid;
    info.si_value.sival_ptr = (void *) (uintptr_t) ((generation << PB_INDEX_BITS) | t->slot);
    if (syscall(SYS_rt_tgsigqueueinfo, pid, t->tid, sig, &info) == 0) {
        t->state = PB_PENDING;
        t->sends++;
        t->sent_at = now;
        return 0;
    }
    switch (errno) {
        case ESRCH: /* exited: its last stores were made visible by the exit itself */
            t->state = PB_DONE;
            return 0;
        case EAGAIN: /* RLIMIT_SIGPENDING reached: try again while waiting */
            t->state = PB_UNSENT;
            return 0;
        default:
            return errno;
    }
}

/* Fills `stuck` (a Java int[]): {number of threads signalled, tid of each thread that did not acknowledge...}. */
static jintArray pb_stuck(JNIEnv *env, struct pb_target *targets, size_t n) {
    size_t stuck = 0;
    for (size_t i = 0; i < n; i++) {
        stuck += targets[i].state != PB_DONE;
    }
    jintArray array = (*env)->NewIntArray(env, (jsize) (stuck + 1));
    if (array == NULL) {
        return NULL;
    }
    jint first = (jint) n;
    (*env)->SetIntArrayRegion(env, array, 0, 1, &first);
    jsize at = 1;
    for (size_t i = 0; i < n; i++) {
        if (targets[i].state != PB_DONE) {
            jint tid = targets[i].tid;
            (*env)->SetIntArrayRegion(env, array, at++, 1, &tid);
        }
    }
    return array;
}

#define PB_SPIN_NS 20000L        /* an acknowledgement from a running thread takes microseconds */
#define PB_FIRST_CHECK_NS 100000L /* then look for exited threads, with doubling intervals ... */
#define PB_MAX_CHECK_NS 50000000L /* ... up to this */
#define PB_RESEND_NS 100000000L  /* signal a still-silent thread once more: its tid may have been reused */

static inline void pb_cpu_relax(void) {
#if defined(__x86_64__)
    __asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * One barrier: every thread of the process but the caller runs pb_handler, or has exited, before this returns
 * NULL. Returns an empty int[] if no trustworthy thread listing was obtained before the deadline, or
 * {signalled, stuck tids...} on timeout. Throws ErrnoException when a system call fails.
 */
static jintArray pb_signal_barrier(JNIEnv *env, jclass cls, jint sig, jlong timeout_ns,
                                               jboolean skip_blocking) {
    long start = pb_now_ns();
    long deadline = start + (long) timeout_ns;
    if (__atomic_load_n(&pb_installed_signal, __ATOMIC_ACQUIRE) != sig) {
        PB_THROW_ERRNO(env, EINVAL, "barrier(signal %d): the handler is not installed for this signal", (int) sig);
        return NULL;
    }
    /* a signal whose handler someone replaced with SIG_DFL would terminate the process: check before sending */
    int disposition = pb_disposition(env, sig);
    if (disposition < 0) {
        return NULL;
    }
    if (disposition != PB_DISPOSITION_OURS) {
        PB_THROW_ERRNO(env, EBUSY, "sigaction(%d): the handler ProcessBarrier installed was replaced by other code",
                       (int) sig);
        return NULL;
    }
    pid_t pid = getpid();
    uid_t uid = getuid(); /* once per barrier, not once per signal: the sends are on the critical path */
    pid_t self = (pid_t) syscall(SYS_gettid);
    __atomic_store_n(&pb_pid, pid, __ATOMIC_RELAXED); /* before any send: the send is the handler's ordering */
    pid_t *tids = NULL;
    size_t n = 0;
    int listed = pb_list_threads(env, pid, self, &tids, &n, deadline);
    if (listed < 0) {
        return NULL;
    }
    if (listed > 0) {
        return (*env)->NewIntArray(env, 0);
    }
    if (skip_blocking) {
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (!pb_blocks_signal(tids[i], sig)) {
                tids[kept++] = tids[i];
            }
        }
        n = kept;
    }
    jintArray result = NULL;
    struct pb_target *targets = calloc(n ? n : 1, sizeof *targets);
    uint32_t *slots = malloc((n ? n : 1) * sizeof *slots);
    if (targets == NULL || slots == NULL) {
        PB_THROW_ERRNO(env, ENOMEM, "malloc for %zu threads", n);
        goto out_free;
    }
    int err = pb_alloc_slots(slots, n);
    if (err != 0) {
        PB_THROW_ERRNO(env, err, "allocating acknowledgement slots for %zu threads", n);
        goto out_free;
    }
    uint64_t generation;
    do {
        generation = __atomic_add_fetch(&pb_generation, 1, __ATOMIC_RELAXED) & PB_GEN_MASK;
    } while (generation == 0); /* 0 is what a never-used slot holds */
    for (size_t i = 0; i < n; i++) {
        targets[i].tid = tids[i];
        targets[i].slot = slots[i];
        /* the send system call below publishes it to the handler; release documents that */
        __atomic_store_n(pb_slot(slots[i]), generation << 1, __ATOMIC_RELEASE);
    }
    long now = pb_now_ns();
    for (size_t i = 0; i < n; i++) {
        err = pb_send(pid, uid, sig, &targets[i], generation, now);
        if (err != 0) {
            PB_THROW_ERRNO(env, err, "rt_tgsigqueueinfo(%d, %d, %d, SI_QUEUE)", (int) pid, (int) targets[i].tid,
                           (int) sig);
            goto out_release;
        }
    }

    size_t left = 0; /* targets[0..left) are not done, compacted as they finish */
    for (size_t i = 0; i < n; i++) {
        if (targets[i].state != PB_DONE) {
            struct pb_target t = targets[left];
            targets[left++] = targets[i];
            targets[i] = t;
        }
    }
    /* from the last send, not the first: sending to many threads takes longer than the spin itself */
    now = pb_now_ns();
    long interval = PB_FIRST_CHECK_NS;
    long next_check = now + interval;
    long spin_until = now + PB_SPIN_NS;
    while (left > 0) {
        int seq = __atomic_load_n(&pb_ack_seq, __ATOMIC_SEQ_CST);
        for (size_t i = 0; i < left;) {
            uint64_t word = __atomic_load_n(pb_slot(targets[i].slot), __ATOMIC_ACQUIRE);
            if (word == ((generation << 1) | 1)) { /* from any of its signals, even if a resend failed */
                targets[i].state = PB_DONE;
                struct pb_target t = targets[i];
                targets[i] = targets[--left];
                targets[left] = t;
            } else {
                i++;
            }
        }
        if (left == 0) {
            break;
        }
        now = pb_now_ns();
        if (now >= next_check) {
            for (size_t i = 0; i < left; i++) {
                struct pb_target *t = &targets[i];
                if (t->state == PB_UNSENT || (t->sends < 2 && now - t->sent_at >= PB_RESEND_NS)) {
                    err = pb_send(pid, uid, sig, t, generation, now);
                    if (err != 0) {
                        PB_THROW_ERRNO(env, err, "rt_tgsigqueueinfo(%d, %d, %d, SI_QUEUE)", (int) pid, (int) t->tid,
                                       (int) sig);
                        goto out_release;
                    }
                } else if (pb_thread_gone(pid, t->tid)) {
                    t->state = PB_DONE; /* exited after the signal was queued: the kernel discards it */
                }
            }
            for (size_t i = 0; i < left;) {
                if (targets[i].state == PB_DONE) {
                    struct pb_target t = targets[i];
                    targets[i] = targets[--left];
                    targets[left] = t;
                } else {
                    i++;
                }
            }
            interval = interval * 2 > PB_MAX_CHECK_NS ? PB_MAX_CHECK_NS : interval * 2;
            next_check = now + interval;
            continue;
        }
        if (now >= deadline) {
            result = pb_stuck(env, targets, n);
            goto out_release;
        }
        if (now < spin_until) {
            pb_cpu_relax();
            continue;
        }
        long wake = next_check < deadline ? next_check : deadline;
        struct timespec ts = {(wake - now) / 1000000000L, (wake - now) % 1000000000L};
        __atomic_add_fetch(&pb_sleepers, 1, __ATOMIC_SEQ_CST);
        /* the kernel sleeps only if pb_ack_seq still equals seq: an acknowledgement after the scan wakes us */
        syscall(SYS_futex, &pb_ack_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
        __atomic_sub_fetch(&pb_sleepers, 1, __ATOMIC_SEQ_CST);
    }
out_release:
    /* late handlers of these slots find another generation (or none) and change nothing */
    pb_release_slots(slots, n);
out_free:
    free(slots);
    free(targets);
    free(tids);
    return result;
}

/* ---- for tests and diagnostics --------------------------------------------------------------------------------- */

static jint pb_signal_gettid(JNIEnv *env, jclass cls) {
    return (jint) syscall(SYS_gettid);
}

/* Blocks or unblocks `sig` in the calling thread only (rt_sigprocmask acts per thread; 8 = the kernel's sigset). */
static void pb_signal_block(JNIEnv *env, jclass cls, jint sig, jboolean block) {
    uint64_t set = UINT64_C(1) << (sig - 1);
    if (syscall(SYS_rt_sigprocmask, block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL, sizeof set) != 0) {
        PB_THROW_ERRNO(env, errno, "rt_sigprocmask(%s, {%d}, NULL, 8)", block ? "SIG_BLOCK" : "SIG_UNBLOCK",
                       (int) sig);
    }
}

static void pb_foreign_handler(int sig) {
    (void) sig;
}

/* Installs a do-nothing handler (or SIG_DFL when `foreign` is false), as another library in the process would. */
static void pb_signal_set_foreign_handler(JNIEnv *env, jclass cls, jint sig, jboolean foreign) {
    pthread_mutex_lock(&pb_install_lock);
    if (__atomic_load_n(&pb_installed_signal, __ATOMIC_ACQUIRE) == sig) {
        pthread_mutex_unlock(&pb_install_lock);
        PB_THROW_ERRNO(env, EBUSY, "sigaction(%d): ProcessBarrier's own signal; pick another for the test", (int) sig);
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = foreign ? pb_foreign_handler : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        PB_THROW_ERRNO(env, errno, "sigaction(%d, %s, NULL)", (int) sig, foreign ? "handler" : "SIG_DFL");
    }
    pthread_mutex_unlock(&pb_install_lock);
}

static const JNINativeMethod pb_signal_methods[] = {
    {"sigrtmin", "()I", (void *) pb_signal_sigrtmin},
    {"sigrtmax", "()I", (void *) pb_signal_sigrtmax},
    {"disposition", "(I)I", (void *) pb_signal_disposition},
    {"installedSignal", "()I", (void *) pb_signal_installed_signal},
    {"handlerFile", "(I)Ljava/lang/String;", (void *) pb_signal_handler_file},
    {"install", "(I)I", (void *) pb_signal_install},
    {"barrier", "(IJZ)[I", (void *) pb_signal_barrier},
    {"listThreads", "(J)[I", (void *) pb_signal_list_threads},
    {"gettid", "()I", (void *) pb_signal_gettid},
    {"block", "(IZ)V", (void *) pb_signal_block},
    {"setForeignHandler", "(IZ)V", (void *) pb_signal_set_foreign_handler},
};
PB_GROUP(signal, pb_signal_methods)
