/* orphan_burst COUNT [TIMEOUT_S]: hand COUNT exited children to the init (PID 1 of this pid
 * namespace) at once and time how long it takes to reap them all.
 * Prints "reap_ns=N init_hwm_kib=K" on stdout; exits 0, 1 on error, 3 on timeout.
 *
 * A middle process forks COUNT grandchildren that exit at once. It waits until all of them
 * are zombies without reaping them (WNOWAIT), then exits when told: the kernel reparents the
 * COUNT zombies to PID 1 in one go and sends it SIGCHLD. The clock runs from that word to the
 * moment none of the grandchildren's pids exists any more: kill(pid, 0) succeeds on a zombie,
 * so "gone" means "reaped by PID 1".
 *
 * Why zombies and not live orphans that exit together: 10,000 processes waking at once swamp
 * the scheduler, and the figure then measures the kernel's exit storm (it swings by 3x from
 * run to run) rather than the init. Here the clock covers the reparenting and the init's
 * reaping only, which is the part an init can make faster or slower. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Shared with the middle process, which fills it in. */
struct roster {
    int forked;
    int fork_errno;
    pid_t pids[];
};

static long long monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + (long long)now.tv_nsec;
}

/* The middle process: never returns. Says "ready" once every grandchild is a zombie, then
 * exits when the gate closes, orphaning them all at the same moment. */
static void middle(struct roster* roster, int count, int ready, int gate) {
    for (int i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        if (pid < 0) {
            roster->fork_errno = errno;
            break;
        }
        roster->pids[i] = pid;
        roster->forked = i + 1;
    }
    for (int i = 0; i < roster->forked; i++) {
        siginfo_t info;
        while (waitid(P_PID, (id_t)roster->pids[i], &info, WEXITED | WNOWAIT) < 0 &&
               errno == EINTR) {
        }
    }
    char byte = 0;
    if (write(ready, &byte, 1) != 1) _exit(1);
    while (read(gate, &byte, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
}

/* Returns 0 once every grandchild is reaped, -1 when deadline_ns passes first. */
static int wait_until_reaped(const struct roster* roster, long long deadline_ns) {
    const struct timespec pause_between_polls = {0, 50 * 1000};
    for (int i = 0; i < roster->forked; i++) {
        while (kill(roster->pids[i], 0) == 0) {
            if (monotonic_ns() > deadline_ns) return -1;
            nanosleep(&pause_between_polls, NULL);
        }
    }
    return 0;
}

/* Peak resident set of PID 1 in KiB, from /proc/1/status; -1 if unreadable. */
static long init_hwm_kib(void) {
    FILE* status = fopen("/proc/1/status", "r");
    if (status == NULL) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, status) != NULL) {
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    }
    fclose(status);
    return kib;
}

int main(int argc, char** argv) {
    int count = argc > 1 ? atoi(argv[1]) : 0;
    int timeout_s = argc > 2 ? atoi(argv[2]) : 60;
    if (count <= 0 || timeout_s <= 0) {
        fprintf(stderr, "usage: orphan_burst COUNT [TIMEOUT_S]\n");
        return 2;
    }
    if (getppid() != 1) fprintf(stderr, "orphan_burst: warning: parent is not PID 1\n");

    size_t size = sizeof(struct roster) + (size_t)count * sizeof(pid_t);
    struct roster* roster =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int ready[2], gate[2];
    if (roster == MAP_FAILED || pipe(ready) != 0 || pipe(gate) != 0) {
        perror("orphan_burst: setup");
        return 1;
    }
    pid_t middle_pid = fork();
    if (middle_pid < 0) {
        perror("orphan_burst: fork");
        return 1;
    }
    if (middle_pid == 0) {
        close(ready[0]);
        close(gate[1]);
        middle(roster, count, ready[1], gate[0]);
    }
    close(ready[1]);
    close(gate[0]);
    char byte;
    if (read(ready[0], &byte, 1) != 1) {
        fprintf(stderr, "orphan_burst: the middle process died\n");
        return 1;
    }

    long long start = monotonic_ns();
    close(gate[1]); /* the middle exits: its zombies go to PID 1 */
    int reaped = wait_until_reaped(roster, start + timeout_s * 1000000000LL);
    long long elapsed = monotonic_ns() - start;
    waitpid(middle_pid, NULL, 0);

    if (roster->forked < count) {
        fprintf(stderr, "orphan_burst: forked only %d of %d: %s\n", roster->forked, count,
                strerror(roster->fork_errno));
        return 1;
    }
    if (reaped != 0) {
        fprintf(stderr, "orphan_burst: PID 1 had not reaped all %d orphans after %d s\n", count,
                timeout_s);
        return 3;
    }
    printf("reap_ns=%lld init_hwm_kib=%ld\n", elapsed, init_hwm_kib());
    return 0;
}
