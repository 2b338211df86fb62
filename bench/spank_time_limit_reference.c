/* spank_time_limit_reference.so: the reference way to learn a job's time limit in a SPANK
 * plugin, for bench/qpu_bench.py only (never in the shipped plugstack.conf). It is what
 * qiskit-community's spank_qrmi does in slurm_spank_task_init (plugins/spank_qrmi/spank_qrmi.c):
 * slurm_load_job() for the job, an RPC to slurmctld, then job_array[0].time_limit. spank_qpu
 * reads the same limit from SLURM_JOB_START_TIME and SLURM_JOB_END_TIME instead, asking no one.
 *
 * A job given --time-limit-reference does that work in its task, timed, and nothing else; the
 * time goes to slurmstepd's log in the shape of spank_qpu's task line, which the bench reads
 * for both. Slurm's symbols (slurm_load_job, spank_*) come from the process that loads the
 * plugin: nothing of Slurm is linked in. Built for Slurm 24.11's slurm_load_job(resp, job_id,
 * show_flags). */
#include <slurm/slurm.h>
#include <slurm/spank.h>
#include <stdint.h>
#include <time.h>

SPANK_PLUGIN(time_limit_reference, 1);

/* Set in slurmstepd, where the option's callback runs before any task is forked. */
static int requested = 0;

static int remember_option(int val, const char* optarg, int remote) {
    (void)val;
    (void)optarg;
    if (remote) requested = 1;
    return 0;
}

static struct spank_option option = {
    "time-limit-reference",
    NULL,
    "Bench only: read the job's time limit with slurm_load_job() in the task.",
    0,
    0,
    remember_option};

static double milliseconds_since(const struct timespec* start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1e3 + (now.tv_nsec - start->tv_nsec) / 1e6;
}

int slurm_spank_init(spank_t spank, int argc, char** argv) {
    (void)argc;
    (void)argv;
    const spank_context_t context = spank_context();
    if (context != S_CTX_ALLOCATOR && context != S_CTX_LOCAL && context != S_CTX_REMOTE) return 0;
    return spank_option_register(spank, &option) == ESPANK_SUCCESS ? 0 : -1;
}

int slurm_spank_task_init(spank_t spank, int argc, char** argv) {
    (void)argc;
    (void)argv;
    if (!requested) return 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    uint32_t job_id = 0;
    uint32_t time_limit = NO_VAL;
    job_info_msg_t* jobs = NULL;
    if (spank_get_item(spank, S_JOB_ID, &job_id) == ESPANK_SUCCESS &&
        slurm_load_job(&jobs, job_id, SHOW_DETAIL) == SLURM_SUCCESS) {
        if (jobs->record_count > 0) time_limit = jobs->job_array[0].time_limit;
        slurm_free_job_info_msg(jobs);
    }
    const double elapsed = milliseconds_since(&start);
    if (time_limit == NO_VAL) slurm_error("time_limit_reference: job %u: no time limit", job_id);
    /* The shape of spank_qpu's "qpu: job N: task start in X ms" (bench/qpu_bench.py). */
    slurm_info("time_limit_reference: job %u: task start in %.3f ms", job_id, elapsed);
    return 0;
}
