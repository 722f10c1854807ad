/* mksets N: create N semaphore sets the way other programs would
 * (IPC_PRIVATE, one semaphore, mode 0600, owned by the caller).
 * Only ever run inside the benchmark's private IPC namespace (bench.py). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    for (long i = 0; i < n; i++) {
        if (semget(IPC_PRIVATE, 1, IPC_CREAT | 0600) < 0) {
            fprintf(stderr, "mksets: semget #%ld: ", i);
            perror(NULL);
            return 1;
        }
    }
    printf("%ld\n", n);
    return 0;
}
