/* exec_stamp CMD [ARG...]: put the current CLOCK_MONOTONIC time into the environment
 * variable RQBENCH_T0_NS, then exec CMD.
 *
 * Used for the start-latency figure: exec_stamp execs the init, the init starts its first
 * child (first_child), and first_child subtracts this stamp from its own clock. Stamping
 * right before execve() means the figure covers the init's whole start, exec included. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: exec_stamp CMD [ARG...]\n");
        return 2;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    char stamp[32];
    snprintf(stamp, sizeof stamp, "%lld",
             (long long)now.tv_sec * 1000000000LL + (long long)now.tv_nsec);
    if (setenv("RQBENCH_T0_NS", stamp, 1) != 0) {
        perror("exec_stamp: setenv");
        return 111;
    }
    execvp(argv[1], argv + 1);
    perror("exec_stamp: exec");
    return 127;
}
