/* semstat_count.so: an LD_PRELOAD counter of the kernel's set listings.
 *
 * Counts, per process, the semctl(SEM_STAT) and semctl(SEM_STAT_ANY) calls
 * (one per index of a listing of the kernel's table) and the listings they
 * make up: a listing starts whenever index 0 is asked for (every listing walks
 * the indices upward from 0). The module's marks between hooks (issue #15)
 * ask for one index to place a creation cursor and walk only the indices
 * between two cursors, or above the highest one SEM_INFO reported before:
 * those calls count in stat_calls and start no listing, unless they touch
 * index 0 (then the count errs high, never low). A count is deterministic
 * where a start-up time is not.
 *
 *   LD_PRELOAD=.../semstat_count.so SEMSTAT_COUNT_FILE=/path apache2 ...
 *
 * At the exit of every process that loaded it, one line is appended to
 * $SEMSTAT_COUNT_FILE (a single write on an O_APPEND descriptor opened at load
 * time, so it still works after httpd switched to User):
 *
 *   pid=N ppid=N role=preflight|parent|child|exec gen=N stat_calls=N listings=N info_calls=N
 * cmd=ARGV...
 *
 * role is what the process is to httpd, from the number of forks since the
 * exec (gen): an exec'd apache2 is the preflight process (or a control
 * command such as -k stop: see cmd), its first fork is the detached parent,
 * the parent's forks are children. A non-apache2 program (RewriteMap prg,
 * piped logger) is "exec". A process killed by a signal writes nothing.
 * Used by tests/integration/test_listings.py and bench/bench.py; never by the
 * module itself. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

typedef int (*semctl_fn)(int, int, int, ...);

static semctl_fn real_semctl;
static int out_fd = -1;
static unsigned gen;
static unsigned long stat_calls, listings, info_calls;
static char cmd[256];

static void after_fork_child(void) {
    ++gen;
    stat_calls = listings = info_calls = 0;
}

__attribute__((constructor)) static void semstat_init(void) {
    real_semctl = (semctl_fn)dlsym(RTLD_NEXT, "semctl");
    const char* path = getenv("SEMSTAT_COUNT_FILE");
    if (path && *path) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (fd >= 0) {
            /* out of the way of the descriptors httpd numbers itself */
            out_fd = fcntl(fd, F_DUPFD_CLOEXEC, 900);
            close(fd);
        }
    }
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        for (ssize_t i = 0; i < n; ++i)
            if (cmd[i] == '\0' || cmd[i] == '\n') cmd[i] = ' ';
        cmd[n > 0 ? n : 0] = '\0';
    }
    pthread_atfork(NULL, NULL, after_fork_child);
}

__attribute__((destructor)) static void semstat_report(void) {
    if (out_fd < 0) return;
    char exe[64] = "";
    sscanf(cmd, "%63s", exe);
    const char* slash = strrchr(exe, '/');
    const char* name = slash ? slash + 1 : exe;
    int is_httpd = strcmp(name, "apache2") == 0 || strcmp(name, "httpd") == 0;
    const char* role = !is_httpd ? "exec" : gen == 0 ? "preflight" : gen == 1 ? "parent" : "child";
    char line[512];
    int len =
        snprintf(line, sizeof line,
                 "pid=%ld ppid=%ld role=%s gen=%u stat_calls=%lu listings=%lu "
                 "info_calls=%lu cmd=%s\n",
                 (long)getpid(), (long)getppid(), role, gen, stat_calls, listings, info_calls, cmd);
    if (len > 0) {
        if (len >= (int)sizeof line) {
            len = sizeof line;
            line[len - 1] = '\n';
        }
        ssize_t w = write(out_fd, line, (size_t)len);
        (void)w;
    }
}

int semctl(int semid, int semnum, int command, ...) {
    unsigned long arg = 0;
    switch (command) { /* the commands that take the fourth argument */
        case IPC_STAT:
        case IPC_SET:
        case IPC_INFO:
        case SEM_INFO:
        case SEM_STAT:
        case SEM_STAT_ANY:
        case GETALL:
        case SETALL:
        case SETVAL: {
            va_list ap;
            va_start(ap, command);
            arg = va_arg(ap, unsigned long); /* union semun: one pointer-sized word */
            va_end(ap);
            break;
        }
        default: break;
    }
    if (command == SEM_STAT || command == SEM_STAT_ANY) {
        if (semid == 0) ++listings;
        ++stat_calls;
    } else if (command == SEM_INFO) {
        ++info_calls;
    }
    if (!real_semctl) {
        real_semctl = (semctl_fn)dlsym(RTLD_NEXT, "semctl");
        if (!real_semctl) return -1;
    }
    return real_semctl(semid, semnum, command, arg);
}
