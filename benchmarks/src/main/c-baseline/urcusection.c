/*
 * The hardware floor of a read section, for issue 27's Local handle: liburcu's read side around one load, from
 * Debian's liburcu-dev, inlined (_LGPL_SOURCE: the static inline read side of <urcu/static/...>, not the exported
 * functions, which cost a call each). Not part of the shipped library; run.sh compiles it twice with gcc -O2:
 *
 *   urcusection-memb  (-DPB_FLAVOUR_MEMB)  the memb flavour: rcu_read_lock/unlock with a compiler barrier each and a
 *                                          membarrier() on the writer's side, as our light()/heavy()
 *   urcusection-qsbr  (-DPB_FLAVOUR_QSBR)  QSBR: a read section adds nothing (0, for reference)
 *
 *   urcusection-FLAVOUR [ITERATIONS [ROUNDS]]
 *       prints one line per round: flavour=F load_ns=L section_ns=S added_ns=(S-L)
 * The load is a volatile load of a field of an object reached through a pointer, as in the Java benchmark.
 */
#define _LGPL_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(PB_FLAVOUR_MEMB)
#include <urcu/urcu-memb.h>
#define FLAVOUR "memb"
#define REGISTER() urcu_memb_register_thread()
#define UNREGISTER() urcu_memb_unregister_thread()
#define LOCK() urcu_memb_read_lock()
#define UNLOCK() urcu_memb_read_unlock()
#elif defined(PB_FLAVOUR_QSBR)
#include <urcu/urcu-qsbr.h>
#define FLAVOUR "qsbr"
#define REGISTER() urcu_qsbr_register_thread()
#define UNREGISTER() urcu_qsbr_unregister_thread()
#define LOCK() urcu_qsbr_read_lock()
#define UNLOCK() urcu_qsbr_read_unlock()
#else
#error "define PB_FLAVOUR_MEMB or PB_FLAVOUR_QSBR"
#endif

struct version { long value; };
static struct version v = { 42 };
static struct version *volatile current = &v;

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static long __attribute__((noinline)) loads(long n) {
    long sum = 0;
    for (long i = 0; i < n; i++) {
        sum += ((volatile struct version *) current)->value;
    }
    return sum;
}

static long __attribute__((noinline)) sections(long n) {
    long sum = 0;
    for (long i = 0; i < n; i++) {
        LOCK();
        sum += ((volatile struct version *) current)->value;
        UNLOCK();
    }
    return sum;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000000L;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    long sink = 0;
    REGISTER();
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();
        sink += loads(n);
        double t1 = now_ns();
        sink += sections(n);
        double t2 = now_ns();
        double l = (t1 - t0) / n, s = (t2 - t1) / n;
        printf("flavour=%s load_ns=%.3f section_ns=%.3f added_ns=%.3f\n", FLAVOUR, l, s, s - l);
        fflush(stdout);
    }
    UNREGISTER();
    return sink == 42 ? 1 : 0;
}
