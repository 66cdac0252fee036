/* One signal barrier: send to every listed thread, wait for each acknowledgement, report the silent ones. */
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
jintArray pb_signal_barrier(JNIEnv *env, jclass cls, jint sig, jlong timeout_ns,
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

static const JNINativeMethod pb_signal_methods[] = {
    {"sigrtmin", "()I", (void *) pb_signal_sigrtmin},
    {"sigrtmax", "()I", (void *) pb_signal_sigrtmax},
    {"disposition", "(I)I", (void *) pb_signal_disposition},
    {"installedSignal", "()I", (void *) pb_signal_installed_signal},
    {"handlerFile", "(I)Ljava/lang/String;", (void *) pb_signal_handler_file},
    {"install", "(I)I", (void *) pb_signal_install},
    {"barrier", "(IJZ)[I", (void *) pb_signal_barrier},
    {"listThreads", "(J)[I", (void *) pb_signal_list_threads},
};
PB_GROUP(signal, pb_signal_methods)
