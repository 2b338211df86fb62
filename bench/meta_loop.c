/* The metadata half of bench/nfs_bench.py, through the kernel: create, stat and unlink N small
 * files in DIR, one phase after the other, and print the seconds each phase took.
 *   meta_loop DIR N
 * Paired with nfs_meta_loop.c, which does the same through libnfs without the kernel. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: meta_loop DIR N\n");
        return 2;
    }
    const char* dir = argv[1];
    int n = atoi(argv[2]);
    char path[4096];
    struct stat st;
    double t0 = now();
    for (int i = 0; i < n; ++i) {
        snprintf(path, sizeof path, "%s/f%06d", dir, i);
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0 || close(fd) != 0) {
            perror(path);
            return 1;
        }
    }
    double t1 = now();
    for (int i = 0; i < n; ++i) {
        snprintf(path, sizeof path, "%s/f%06d", dir, i);
        if (stat(path, &st) != 0) {
            perror(path);
            return 1;
        }
    }
    double t2 = now();
    for (int i = 0; i < n; ++i) {
        snprintf(path, sizeof path, "%s/f%06d", dir, i);
        if (unlink(path) != 0) {
            perror(path);
            return 1;
        }
    }
    double t3 = now();
    printf("create %.6f stat %.6f unlink %.6f\n", t1 - t0, t2 - t1, t3 - t2);
    return 0;
}
