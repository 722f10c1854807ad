/* bare_proc_scan: the floor for listing every semaphore set from
 * /proc/sysvipc/sem - open, read() it through one 16 KiB buffer (as
 * LinuxSemKernel::list_sets does: no buffer for the whole file, whose page
 * faults would cost more than the parse), count its lines, close; nothing
 * parsed, nothing kept. Prints "<nanoseconds> <sets found>" (CLOCK_MONOTONIC,
 * open to close; sets = lines less the header). What list_sets adds to it:
 * fstatfs, a strict parse of all ten fields into a vector, and SEM_INFO
 * before and one SEM_STAT_ANY after, to confirm the last set. Only ever run
 * inside the benchmark's private IPC namespace. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    static char buf[16 * 1024];
    long long t0 = now_ns();
    int fd = open("/proc/sysvipc/sem", O_RDONLY | O_CLOEXEC);
    if (fd < 0) { perror("open(/proc/sysvipc/sem)"); return 1; }
    long lines = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) { perror("read"); return 1; }
        if (n == 0) break;
        for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))); ++p)
            ++lines;
    }
    close(fd);
    long long t1 = now_ns();
    printf("%lld %ld\n", t1 - t0, lines > 0 ? lines - 1 : 0);
    return 0;
}
