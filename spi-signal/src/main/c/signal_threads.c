/* Listing this process's threads for the signal barrier (see signal_handler.c for the whole design). */
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

/* ---- listing the threads -------------------------------------------------------------------------------------- */

struct pb_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

long pb_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long) ts.tv_sec * 1000000000L + ts.tv_nsec;
}

int pb_thread_gone(pid_t pid, pid_t tid) {
    return syscall(SYS_tgkill, pid, tid, 0) != 0 && errno == ESRCH;
}

/*
 * Whether thread `tid` blocks `sig`, from the SigBlk line of /proc/self/task/TID/status; 0 when unreadable (an
 * exited thread is handled by the barrier like any other). Only used under user-mode emulation, where qemu-user's
 * own threads (its RCU thread) appear in /proc/self/task with every signal blocked: they never run guest code,
 * so they have nothing to order and would otherwise make every barrier time out.
 */
int pb_blocks_signal(pid_t tid, int sig) {
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
 * So each attempt is one getdents64 call into a buffer with room to spare, with every blockable signal blocked, and
 * it is trusted only if the walk demonstrably reached the end:
 *   - the directory position advanced by exactly one per entry returned (case 2 advances it one more);
 *   - the last entry returned is still alive afterwards (case 1);
 *   - a second getdents64 call returns nothing (case 3 would resume where the first one stopped; new threads
 *     also make it return something, and the attempt is repeated).
 * Signals are blocked in every attempt, the first one included, because case 3 can hide from the last check: the
 * second call resumes from the thread that did not fit, and if that thread has died meanwhile it restarts from the
 * position, which is past the end once enough threads died, so it returns nothing. Found by a CI run of
 * SignalBarrierTest (a trusted listing missed a live thread while a barrier signalled the listing thread under
 * churn). The two rt_sigprocmask calls do not show in the barrier's cost (RcuBench.heavyIdle, signal, 2-vCPU AMD EPYC
 * VM: 151 us after, 132-157 us in two runs before). A job-control stop or a freeze during the listing (neither can be
 * blocked) could still cut a walk that way.
 * Under churn, with concurrent callers signalling each other, no trusted listing missed a live thread (tests).
 */
int pb_list_threads(JNIEnv *env, pid_t pid, pid_t self, pid_t **out, size_t *count, long deadline) {
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
    for (;;) {
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
        if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &saved, sizeof all) != 0) {
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
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, NULL, sizeof saved); /* restoring cannot fail */
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
jintArray pb_signal_list_threads(JNIEnv *env, jclass cls, jlong timeout_ns) {
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
