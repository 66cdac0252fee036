/*
 * The signal barrier's parts, shared by its three files: signal_handler.c (the acknowledgement slots, the handler
 * and its installation), signal_threads.c (listing this process's threads from /proc) and signal_barrier.c (one
 * barrier: send, wait, report; and the JNI table). Hidden like everything in the library but JNI_OnLoad.
 */
#ifndef PB_SIGNAL_H
#define PB_SIGNAL_H

#include <jni.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pb_jni.h"

/*
 * Segment k holds PB_SEG0 << k slots, so 14 segments give 16,776,192 slots: an index fits in 24 bits, which leaves
 * 40 bits of generation in a 64-bit sigval. A stale generation would have to survive 2^40 barriers to match again.
 */
#define PB_SEG0 1024u
#define PB_SEGMENTS 14
#define PB_INDEX_BITS 24
#define PB_GEN_MASK ((UINT64_C(1) << 40) - 1)

/* Keep these in sync with RtSignal.java. */
#define PB_DISPOSITION_DEFAULT 0
#define PB_DISPOSITION_OURS 1
#define PB_DISPOSITION_FOREIGN 2
#define PB_DISPOSITION_IGNORED 3
/* the handler of another copy of this library (another class loader, a shaded copy) whose Java side is alive */
#define PB_DISPOSITION_OTHER_COPY 4
/* the handler of another copy whose Java side was unloaded: install() takes the signal over */
#define PB_DISPOSITION_ORPHANED_COPY 5

/* the slot pool (signal_handler.c) */
extern uint64_t pb_generation;
extern pid_t pb_pid;
extern int pb_ack_seq;
extern int pb_sleepers;
extern int pb_installed_signal;
uint64_t *pb_slot(uint32_t index);
int pb_alloc_slots(uint32_t *out, size_t n);
void pb_release_slots(const uint32_t *slots, size_t n);
int pb_disposition(JNIEnv *env, int sig);

/* listing the threads (signal_threads.c) */
long pb_now_ns(void);
int pb_thread_gone(pid_t pid, pid_t tid);
int pb_blocks_signal(pid_t tid, int sig);
int pb_list_threads(JNIEnv *env, pid_t pid, pid_t self, pid_t **out, size_t *count, long deadline);

/* the JNI methods, bound by signal_barrier.c's table */
jint pb_signal_sigrtmin(JNIEnv *env, jclass cls);
jint pb_signal_sigrtmax(JNIEnv *env, jclass cls);
jint pb_signal_disposition(JNIEnv *env, jclass cls, jint sig);
jint pb_signal_installed_signal(JNIEnv *env, jclass cls);
jstring pb_signal_handler_file(JNIEnv *env, jclass cls, jint sig);
jint pb_signal_install(JNIEnv *env, jclass cls, jint sig);
jintArray pb_signal_list_threads(JNIEnv *env, jclass cls, jlong timeout_ns);
jintArray pb_signal_barrier(JNIEnv *env, jclass cls, jint sig, jlong timeout_ns, jboolean skip_blocking);

#endif
