/* bare_scan: the floor for enumerating every semaphore set - SEM_INFO for the
 * highest index in use, then semctl(SEM_STAT_ANY) on every index up to it,
 * nothing kept. Prints "<nanoseconds> <sets found>" (CLOCK_MONOTONIC, the loop
 * only). Only ever run inside the benchmark's private IPC namespace. */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *info; };

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    long long t0 = now_ns();
    struct seminfo info;
    union semun arg = {.info = &info};
    int highest = semctl(0, 0, SEM_INFO, arg);
    if (highest < 0) { perror("semctl(SEM_INFO)"); return 1; }
    long found = 0;
    for (int i = 0; i <= highest; i++) {
        struct semid_ds ds;
        union semun a = {.buf = &ds};
        if (semctl(i, 0, SEM_STAT_ANY, a) >= 0) found++;
    }
    long long t1 = now_ns();
    printf("%lld %ld\n", t1 - t0, found);
    return 0;
}
