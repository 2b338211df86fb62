/* first_child [hold]: print how long ago exec_stamp stamped RQBENCH_T0_NS, as
 * "first_child_ns=N" on stdout. With "hold", then wait for a signal so that the harness can
 * read the init's memory figures while the init has a live child, as it would in use.
 *
 * Linked statically (see CMakeLists.txt) so that its own start adds as little as possible to
 * the figure: the point is the init's share, not the dynamic loader's. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + (long long)now.tv_nsec;
}

int main(int argc, char** argv) {
    long long now = monotonic_ns(); /* first thing: everything after is not the init's doing */
    const char* stamp = getenv("RQBENCH_T0_NS");
    if (stamp == NULL) {
        fprintf(stderr, "first_child: RQBENCH_T0_NS not set (not started by exec_stamp?)\n");
        return 2;
    }
    printf("first_child_ns=%lld\n", now - atoll(stamp));
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "hold") == 0) {
        for (;;) pause(); /* ended by the signal the harness sends, not by us */
    }
    return 0;
}
