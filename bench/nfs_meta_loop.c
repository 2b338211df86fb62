/* The metadata half of bench/nfs_bench.py, through libnfs's own client (no kernel, no FUSE):
 * create, stat and unlink N small files in DIR of the export, and print each phase's seconds.
 *   nfs_meta_loop SERVER EXPORT DIR N      e.g. nfs_meta_loop nfs /shared /bench-meta 10000
 * The same loop as meta_loop.c, with libnfs's synchronous calls in place of the system's. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <nfsc/libnfs.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(struct nfs_context* nfs, const char* what, const char* path) {
    fprintf(stderr, "%s %s: %s\n", what, path, nfs_get_error(nfs));
    return 1;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: nfs_meta_loop SERVER EXPORT DIR N\n");
        return 2;
    }
    const char* dir = argv[3];
    int n = atoi(argv[4]);
    struct nfs_context* nfs = nfs_init_context();
    if (!nfs) return 1;
    if (nfs_mount(nfs, argv[1], argv[2]) != 0) return fail(nfs, "mount", argv[2]);
    char path[4096];
    struct nfs_stat_64 st;
    struct nfsfh* fh;
    double t0 = now();
    for (int i = 0; i < n; ++i) {
        snprintf(path, sizeof path, "%s/f%06d", dir, i);
        if (nfs_creat(nfs, path, 0644, &fh) != 0) return fail(nfs, "creat", path);
        if (nfs_close(nfs, fh) != 0) return fail(nfs, "close", path);
    }
    double t1 = now();
    for (int i = 0; i < n; ++i) {
        snprintf(path, sizeof path, "%s/f%06d", dir, i);
        if (nfs_stat64(nfs, path, &st) != 0) return fail(nfs, "stat", path);
    }
    double t2 = now();
    for (int i = 0; i < n; ++i) {
        snprintf(path, sizeof path, "%s/f%06d", dir, i);
        if (nfs_unlink(nfs, path) != 0) return fail(nfs, "unlink", path);
    }
    double t3 = now();
    printf("create %.6f stat %.6f unlink %.6f\n", t1 - t0, t2 - t1, t3 - t2);
    nfs_destroy_context(nfs);
    return 0;
}
