/*
 * Test helper, compiled by SeccompTest at test time into cli/target (it lives under src/test/c so that it never
 * enters the shipped JNI library, which is built from every src/main/c).
 *
 *   deny_membarrier ERRNO PROGRAM [ARGS...]
 *
 * Installs a seccomp filter that makes membarrier(2) fail with ERRNO (a number, e.g. 1 for EPERM) and allows every
 * other system call, then executes PROGRAM: a JVM started this way runs under the filter from its first instruction,
 * as it would in a container whose seccomp profile denies membarrier. No privilege is needed (PR_SET_NO_NEW_PRIVS).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define PB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "deny_membarrier: x86_64 and aarch64 only"
#endif

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ERRNO PROGRAM [ARGS...]\n", argv[0]);
        return 2;
    }
    char *end;
    long err = strtol(argv[1], &end, 10);
    if (*end != '\0' || err < 1 || err > 4095) {
        fprintf(stderr, "%s: ERRNO must be a number from 1 to 4095, not '%s'\n", argv[0], argv[1]);
        return 2;
    }
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PB_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_membarrier, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned) err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {
        .len = (unsigned short) (sizeof(filter) / sizeof(filter[0])),
        .filter = filter,
    };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        perror("prctl(PR_SET_NO_NEW_PRIVS)");
        return 1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("prctl(PR_SET_SECCOMP)");
        return 1;
    }
    execvp(argv[2], argv + 2);
    perror("execvp");
    return 127;
}
