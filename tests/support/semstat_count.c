/* semstat_count.so: an LD_PRELOAD counter of the kernel's set listings.
 *
 * Counts, per process, the semctl(SEM_STAT) and semctl(SEM_STAT_ANY) calls
 * (one per index of a listing of the kernel's table) and the listings they
 * make up: a listing starts whenever index 0 is asked for (every walk goes
 * over the indices upward from 0), or whenever /proc/sysvipc/sem is opened
 * (open, open64, openat, openat64, fopen, fopen64: the module lists the table
 * by reading that file when it can, issue #15). The lines read from such a
 * file through read() (not through a FILE*) are counted too, the header
 * included, so that a caller can tell a full listing from a partial one.
 * A listing of a large table begins with a sample of each way (issue #15,
 * core/kernel/listing_choice.h): SEM_STAT_ANY on the first 128 indices, then
 * the file's first two pages, and goes on with the cheaper one; so an open of the
 * file that comes within the first SAMPLE_JOIN SEM_STAT calls of a walk from
 * index 0 joins that walk's listing instead of starting one (and a walk that
 * goes on from there never asks for index 0 again).
 * The module confirms a read of the file with one SEM_STAT_ANY at the index of
 * the last set: were that index 0 (a table of one set), the count errs high. The module's marks
 * between hooks (issue #15) ask for one index to place a creation cursor and walk only the indices
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
 * proc_reads=N proc_lines=N cmd=ARGV...
 *
 * listings includes proc_reads (the opens of /proc/sysvipc/sem).
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

#include "../../mod_semguard/core/kernel/walk_sample.h"

typedef int (*semctl_fn)(int, int, int, ...);
typedef int (*open_fn)(const char*, int, ...);
typedef int (*openat_fn)(int, const char*, int, ...);
typedef FILE* (*fopen_fn)(const char*, const char*);
typedef ssize_t (*read_fn)(int, void*, size_t);
typedef int (*close_fn)(int);

static semctl_fn real_semctl;
static int out_fd = -1;
static unsigned gen;
static unsigned long stat_calls, listings, info_calls, proc_reads, proc_lines;
/* The walk sample's size, shared with list_sets. */
#define SAMPLE_JOIN SEMGUARD_WALK_SAMPLE_INDICES
/* stat_calls when the last walk from index 0 began, and whether an open of the
 * file joined it already (0: no walk from 0 yet, or it was joined). */
static unsigned long walk_began_at;
static int walk_open_to_join;
static char cmd[256];

static const char kProcSem[] = "/proc/sysvipc/sem";
/* The descriptors open on the file, whose read()s are counted in proc_lines. */
#define TRACKED 8
static int tracked[TRACKED] = {-1, -1, -1, -1, -1, -1, -1, -1};

static void after_fork_child(void) {
    ++gen;
    stat_calls = listings = info_calls = proc_reads = proc_lines = 0;
    walk_began_at = 0;
    walk_open_to_join = 0;
}

static void* next_symbol(const char* name) { return dlsym(RTLD_NEXT, name); }

static int is_proc_sem(int dirfd, const char* path) {
    if (!path) return 0;
    if (strcmp(path, kProcSem) == 0) return 1;
    /* relative to /proc or /proc/sysvipc, as openat may be given it */
    if (dirfd == AT_FDCWD) return 0;
    return strcmp(path, "sysvipc/sem") == 0 || strcmp(path, "sem") == 0 ? -1 : 0;
}

static void count_open(int fd) {
    /* the file's sample, in the listing the walk's sample began */
    int joins = __atomic_exchange_n(&walk_open_to_join, 0, __ATOMIC_RELAXED) &&
                __atomic_load_n(&stat_calls, __ATOMIC_RELAXED) - walk_began_at <= SAMPLE_JOIN;
    if (!joins) __atomic_add_fetch(&listings, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&proc_reads, 1, __ATOMIC_RELAXED);
    if (fd < 0) return;
    for (int i = 0; i < TRACKED; ++i) {
        int none = -1;
        if (__atomic_compare_exchange_n(&tracked[i], &none, fd, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return;
    }
}

static int is_tracked(int fd) {
    if (fd < 0) return 0;
    for (int i = 0; i < TRACKED; ++i)
        if (__atomic_load_n(&tracked[i], __ATOMIC_RELAXED) == fd) return 1;
    return 0;
}

static void untrack(int fd) {
    for (int i = 0; i < TRACKED; ++i) {
        int was = fd;
        __atomic_compare_exchange_n(&tracked[i], &was, -1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
}

/* openat with a directory descriptor: is it /proc or /proc/sysvipc? */
static int dir_is(int dirfd, const char* want) {
    char link[64], target[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0) return 0;
    target[n] = '\0';
    return strcmp(target, want) == 0;
}

static int opened_proc_sem(int dirfd, const char* path) {
    int r = is_proc_sem(dirfd, path);
    if (r == 0) return 0;
    if (r > 0) return 1;
    return strcmp(path, "sem") == 0 ? dir_is(dirfd, "/proc/sysvipc") : dir_is(dirfd, "/proc");
}

static int mode_of(int flags, va_list ap) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

#define OPEN_LIKE(name)                                      \
    int name(const char* path, int flags, ...) {             \
        static open_fn real;                                 \
        if (!real) real = (open_fn)next_symbol(#name);       \
        va_list ap;                                          \
        va_start(ap, flags);                                 \
        int mode = mode_of(flags, ap);                       \
        va_end(ap);                                          \
        if (!real) return -1;                                \
        int fd = real(path, flags, mode);                    \
        if (is_proc_sem(AT_FDCWD, path) > 0) count_open(fd); \
        return fd;                                           \
    }
OPEN_LIKE(open)
OPEN_LIKE(open64)

/* What _FORTIFY_SOURCE makes of open() when the flags are not constant. */
#define OPEN_2_LIKE(name)                                                \
    int name(const char* path, int flags) {                              \
        static int (*real)(const char*, int);                            \
        if (!real) real = (int (*)(const char*, int))next_symbol(#name); \
        if (!real) return -1;                                            \
        int fd = real(path, flags);                                      \
        if (is_proc_sem(AT_FDCWD, path) > 0) count_open(fd);             \
        return fd;                                                       \
    }
OPEN_2_LIKE(__open_2)
OPEN_2_LIKE(__open64_2)

#define OPENAT_LIKE(name)                                   \
    int name(int dirfd, const char* path, int flags, ...) { \
        static openat_fn real;                              \
        if (!real) real = (openat_fn)next_symbol(#name);    \
        va_list ap;                                         \
        va_start(ap, flags);                                \
        int mode = mode_of(flags, ap);                      \
        va_end(ap);                                         \
        if (!real) return -1;                               \
        int fd = real(dirfd, path, flags, mode);            \
        if (opened_proc_sem(dirfd, path)) count_open(fd);   \
        return fd;                                          \
    }
OPENAT_LIKE(openat)
OPENAT_LIKE(openat64)

#define FOPEN_LIKE(name)                                     \
    FILE* name(const char* path, const char* how) {          \
        static fopen_fn real;                                \
        if (!real) real = (fopen_fn)next_symbol(#name);      \
        if (!real) return NULL;                              \
        FILE* f = real(path, how);                           \
        if (is_proc_sem(AT_FDCWD, path) > 0) count_open(-1); \
        return f;                                            \
    }
FOPEN_LIKE(fopen)
FOPEN_LIKE(fopen64)

ssize_t read(int fd, void* buf, size_t count) {
    static read_fn real;
    if (!real) real = (read_fn)next_symbol("read");
    if (!real) return -1;
    ssize_t n = real(fd, buf, count);
    if (n > 0 && is_tracked(fd)) {
        unsigned long lines = 0;
        const char* p = buf;
        for (ssize_t i = 0; i < n; ++i) lines += p[i] == '\n';
        __atomic_add_fetch(&proc_lines, lines, __ATOMIC_RELAXED);
    }
    return n;
}

int close(int fd) {
    static close_fn real;
    if (!real) real = (close_fn)next_symbol("close");
    if (is_tracked(fd)) untrack(fd);
    return real ? real(fd) : -1;
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
    int len = snprintf(line, sizeof line,
                       "pid=%ld ppid=%ld role=%s gen=%u stat_calls=%lu listings=%lu "
                       "info_calls=%lu proc_reads=%lu proc_lines=%lu cmd=%s\n",
                       (long)getpid(), (long)getppid(), role, gen, stat_calls, listings, info_calls,
                       proc_reads, proc_lines, cmd);
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
        if (semid == 0) {
            ++listings;
            walk_began_at = stat_calls;
            __atomic_store_n(&walk_open_to_join, 1, __ATOMIC_RELAXED);
        }
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
