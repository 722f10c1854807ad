/* bare_rmid N: create N fresh sets (IPC_PRIVATE, one semaphore, value 1, not
 * timed), then time a bare loop of semctl(IPC_RMID) over them. Prints
 * "<nanoseconds> <removed>". Only ever run inside the benchmark's private IPC
 * namespace. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    int *ids = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!ids) return 1;
    for (long i = 0; i < n; i++) {
        ids[i] = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
        if (ids[i] < 0 || semctl(ids[i], 0, SETVAL, (union semun){.val = 1}) < 0) { perror("bare_rmid: create"); return 1; }
    }
    long removed = 0;
    long long t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (semctl(ids[i], 0, IPC_RMID) == 0) removed++;
    long long t1 = now_ns();
    printf("%lld %ld\n", t1 - t0, removed);
    free(ids);
    return removed == n ? 0 : 1;
}
