/*
 * The C baseline of the ProcessBarrier benchmarks: the three system barriers done by hand, with the thread setup
 * of the Java benchmark (HeavyBench): one caller timing each call on CPU 0 while READERS threads spin (a compiler
 * barrier and a pause, as light() + Thread.onSpinWait() do; reader i pinned to CPU (1 + i) mod n, as the Java ones
 * are), plus IDLE threads blocked in the kernel, as the JVM's own
 * threads are (the signal barrier has to reach those too, so run.sh matches the JVM's thread count).
 *
 * Not part of the shipped library (it is not in any src/main/c directory); run.sh compiles it with gcc, twice:
 *
 *   pbbaseline OP [SECONDS [IDLE [READERS]]]    OP = membarrier | mprotect | signal
 *       a program; prints one line: op=OP readers=R threads=T calls=N median_ns=X p99_ns=Y mean_ns=Z
 *   libpbbaseline.so (-DPB_JNI)
 *       the same barriers as JNI functions for RawCBench, which times them in a JMH fork like HeavyBench: the
 *       same JVM threads, the same harness, the same readers; only the code of the barrier differs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_membarrier
#  if defined(__x86_64__)
#    define __NR_membarrier 324
#  elif defined(__aarch64__)
#    define __NR_membarrier 283
#  endif
#endif
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED (1 << 3)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)

#define MAX_THREADS 4096
#define MAX_SAMPLES (1 << 22)

static volatile int stop;

static inline void cpu_relax(void) {
#if defined(__x86_64__)
    __asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long) ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "pbbaseline: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* ---- the threads ---- */

/* Pins the calling thread to `cpu`, as the Java benchmark does (Affinity.java): caller on 0, reader i on (1+i) mod n. */
static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    int err = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (err != 0) {
        errno = err;
        die("pthread_setaffinity_np");
    }
}

static int ncpu(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int) n;
}

static void *spin_reader(void *arg) {
    int index = (int) (intptr_t) arg;
    if (ncpu() > 1) {
        pin((1 + index) % ncpu());
    }
    while (!stop) {
        __asm__ __volatile__("" ::: "memory"); /* light(): a compiler barrier */
        cpu_relax();                            /* Thread.onSpinWait() */
    }
    return NULL;
}

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

static void *idle_thread(void *arg) {
    (void) arg;
    pthread_mutex_lock(&idle_lock);
    while (!stop) {
        pthread_cond_wait(&idle_cond, &idle_lock); /* a parked JVM thread: asleep on a futex */
    }
    pthread_mutex_unlock(&idle_lock);
    return NULL;
}

/* ---- membarrier ---- */

static void membarrier_setup(void) {
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0) {
        die("membarrier(REGISTER_PRIVATE_EXPEDITED)");
    }
}

static void membarrier_barrier(void) {
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
        die("membarrier(PRIVATE_EXPEDITED)");
    }
}

/* ---- mprotect: RW, an atomic write to the page, RO (the write makes the downgrade flush TLBs by IPI) ---- */

static volatile long *page;
static long page_size;

static void mprotect_setup(void) {
    page_size = sysconf(_SC_PAGESIZE);
    page = mmap(NULL, (size_t) page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        die("mmap");
    }
    *page = 1;
    if (mlock((void *) page, (size_t) page_size) != 0) {
        die("mlock");
    }
    if (mprotect((void *) page, (size_t) page_size, PROT_READ) != 0) {
        die("mprotect(PROT_READ)");
    }
}

static void mprotect_barrier(void) {
    if (mprotect((void *) page, (size_t) page_size, PROT_READ | PROT_WRITE) != 0) {
        die("mprotect(PROT_READ|PROT_WRITE)");
    }
    __atomic_fetch_add(page, 1L, __ATOMIC_SEQ_CST);
    if (mprotect((void *) page, (size_t) page_size, PROT_READ) != 0) {
        die("mprotect(PROT_READ)");
    }
}

/* ---- signal: a real-time signal to every other thread (listed from /proc/self/task), wait for every ack ---- */

#define SLOT_BITS 16
static int barrier_signal;
static uint64_t acks[MAX_THREADS];
static int ack_seq;
static int sleepers;
static uint64_t generation;

static void handler(int sig, siginfo_t *si, void *uc) {
    (void) sig;
    (void) uc;
    int saved = errno;
    uint64_t v = (uint64_t) (uintptr_t) si->si_value.sival_ptr;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the barrier this thread owes */
    __atomic_store_n(&acks[v & ((1u << SLOT_BITS) - 1)], v >> SLOT_BITS, __ATOMIC_RELEASE);
    __atomic_add_fetch(&ack_seq, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&sleepers, __ATOMIC_SEQ_CST) != 0) {
        syscall(SYS_futex, &ack_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    }
    errno = saved;
}

static void signal_setup(void) {
    barrier_signal = SIGRTMAX - 3; /* the provider's default */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(barrier_signal, &sa, NULL) != 0) {
        die("sigaction");
    }
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static void signal_barrier(void) {
    static char buf[1 << 16];
    static pid_t tids[MAX_THREADS];
    pid_t pid = getpid();
    pid_t self = (pid_t) syscall(SYS_gettid);
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        die("open /proc/self/task");
    }
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0) {
        die("getdents64");
    }
    close(fd);
    size_t count = 0;
    for (long pos = 0; pos < n;) {
        struct linux_dirent64 *d = (struct linux_dirent64 *) (buf + pos);
        pos += d->d_reclen;
        long tid = strtol(d->d_name, NULL, 10);
        if (tid > 0 && tid != self && count < MAX_THREADS) {
            tids[count++] = (pid_t) tid;
        }
    }
    uint64_t gen = ++generation;
    uid_t uid = getuid();
    for (size_t i = 0; i < count; i++) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        info.si_signo = barrier_signal;
        info.si_code = SI_QUEUE;
        info.si_pid = pid;
        info.si_uid = uid;
        info.si_value.sival_ptr = (void *) (uintptr_t) ((gen << SLOT_BITS) | i);
        if (syscall(SYS_rt_tgsigqueueinfo, pid, tids[i], barrier_signal, &info) != 0) {
            die("rt_tgsigqueueinfo");
        }
    }
    long spin_until = now_ns() + 20000; /* spin 20 us, then sleep on the futex: as the provider does */
    for (;;) {
        int seq = __atomic_load_n(&ack_seq, __ATOMIC_SEQ_CST);
        size_t done = 0;
        for (size_t i = 0; i < count; i++) {
            done += __atomic_load_n(&acks[i], __ATOMIC_ACQUIRE) == gen;
        }
        if (done == count) {
            return;
        }
        if (now_ns() < spin_until) {
            cpu_relax();
            continue;
        }
        struct timespec ts = {0, 1000000};
        __atomic_add_fetch(&sleepers, 1, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, &ack_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
        __atomic_sub_fetch(&sleepers, 1, __ATOMIC_SEQ_CST);
    }
}

/* ---- measurement ---- */

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *) a, y = *(const long *) b;
    return x < y ? -1 : x > y;
}

static const struct {
    const char *name;
    void (*setup)(void);
    void (*barrier)(void);
} OPS[] = {
    {"membarrier", membarrier_setup, membarrier_barrier},
    {"mprotect", mprotect_setup, mprotect_barrier},
    {"signal", signal_setup, signal_barrier},
};

#ifdef PB_JNI
#include <jni.h>

/* op: an index into OPS (RawC.java: 0 membarrier, 1 mprotect, 2 signal) */
JNIEXPORT void JNICALL Java_io_processbarrier_bench_RawC_setup(JNIEnv *env, jclass cls, jint op) {
    (void) env;
    (void) cls;
    OPS[op].setup();
}

JNIEXPORT void JNICALL Java_io_processbarrier_bench_RawC_barrier(JNIEnv *env, jclass cls, jint op) {
    (void) env;
    (void) cls;
    OPS[op].barrier();
}
#else
int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pbbaseline membarrier|mprotect|signal [SECONDS [IDLE_THREADS [READERS]]]\n");
        return 2;
    }
    const char *op = argv[1];
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    int idle = argc > 3 ? atoi(argv[3]) : 0;
    int readers = argc > 4 ? atoi(argv[4]) : 1;
    void (*barrier)(void) = NULL;
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
        if (strcmp(op, OPS[i].name) == 0) {
            OPS[i].setup();
            barrier = OPS[i].barrier;
        }
    }
    if (barrier == NULL) {
        fprintf(stderr, "pbbaseline: unknown operation %s\n", op);
        return 2;
    }
    if (idle + readers + 1 > MAX_THREADS) {
        fprintf(stderr, "pbbaseline: too many threads\n");
        return 2;
    }
    pthread_t threads[MAX_THREADS];
    int started = 0;
    for (int i = 0; i < readers; i++) {
        if (pthread_create(&threads[started++], NULL, spin_reader, (void *) (intptr_t) i) != 0) {
            die("pthread_create");
        }
    }
    for (int i = 0; i < idle; i++) {
        if (pthread_create(&threads[started++], NULL, idle_thread, NULL) != 0) {
            die("pthread_create");
        }
    }
    if (ncpu() > 1) {
        pin(0);
    }
    long *samples = malloc(sizeof(long) * MAX_SAMPLES);
    if (samples == NULL) {
        die("malloc");
    }
    /* warm up for a tenth of the time, as the JVM gets warm-up iterations */
    long warm_end = now_ns() + (long) (seconds * 1e8);
    while (now_ns() < warm_end) {
        barrier();
    }
    long end = now_ns() + (long) (seconds * 1e9);
    size_t n = 0;
    double sum = 0;
    while (n < MAX_SAMPLES) {
        long t0 = now_ns();
        barrier();
        long t1 = now_ns();
        samples[n++] = t1 - t0;
        sum += (double) (t1 - t0);
        if (t1 >= end) {
            break;
        }
    }
    stop = 1;
    pthread_mutex_lock(&idle_lock);
    pthread_cond_broadcast(&idle_cond);
    pthread_mutex_unlock(&idle_lock);
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    qsort(samples, n, sizeof(long), cmp_long);
    printf("op=%s readers=%d threads=%d calls=%zu median_ns=%ld p99_ns=%ld mean_ns=%.0f\n", op, readers,
           1 + readers + idle, n, samples[(n - 1) / 2], samples[(size_t) ((double) n * 0.99) - (n >= 100 ? 1 : 0)],
           sum / (double) n);
    free(samples);
    return 0;
}
#endif
