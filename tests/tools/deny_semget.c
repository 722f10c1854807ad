/* deny_semget ERRNO PROGRAM [ARGS...]
 *
 * Runs PROGRAM under a seccomp filter that makes every semget(2) fail with
 * ERRNO (a number: 95 EOPNOTSUPP, 38 ENOSYS, 1 EPERM), as qemu-user emulation
 * or a container's seccomp profile does. Everything else is allowed. Used by
 * tests/integration/test_diagnosis.py to start the real apache2 where SysV
 * semaphores are unusable. Raw BPF through prctl: no libseccomp needed. */
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
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#else
#error "deny_semget: add this architecture's AUDIT_ARCH"
#endif

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ERRNO PROGRAM [ARGS...]\n", argv[0]);
        return 2;
    }
    char* end = NULL;
    const long err = strtol(argv[1], &end, 10);
    if (!end || *end || err <= 0 || err > 4095) {
        fprintf(stderr, "deny_semget: bad errno \"%s\"\n", argv[1]);
        return 2;
    }
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_semget, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)(err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        perror("deny_semget: prctl(PR_SET_NO_NEW_PRIVS)");
        return 1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("deny_semget: prctl(PR_SET_SECCOMP)");
        return 1;
    }
    execvp(argv[2], argv + 2);
    perror("deny_semget: exec");
    return 127;
}
