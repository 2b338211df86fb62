/*
 * spank_drop_sys_admin.so: takes CAP_SYS_ADMIN out of every job step's bounding set.
 *
 * slurmd keeps CAP_SYS_ADMIN because Slurm 24.11 loads a user's login environment
 * (--export=NONE, --get-user-env) in new PID and mount namespaces. Every slurmstepd inherits
 * slurmd's bounding set, and a job's processes inherit slurmstepd's: without this plugin, a
 * job that ran a set-user-ID root program would get CAP_SYS_ADMIN back, and with it mount(2)
 * over anything on the node. slurmstepd itself needs none of it here (proctrack/linuxproc,
 * task/none, no job container), so the drop happens once, in slurmstepd, before any task of
 * the step exists.
 *
 * plugstack.conf loads it `required`: a step on which the drop fails does not start.
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>

#include <slurm/spank.h>

SPANK_PLUGIN(drop_sys_admin, 1);

int slurm_spank_init(spank_t spank, int argc, char** argv) {
    (void)spank;
    (void)argc;
    (void)argv;
    /* Only slurmstepd (remote) starts tasks; srun, sbatch and salloc load this too. */
    if (spank_context() != S_CTX_REMOTE) return ESPANK_SUCCESS;
    /* Already out (a node started without it): nothing to drop, and nothing to fail on. */
    if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0) return ESPANK_SUCCESS;
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0) {
        slurm_error(
            "drop_sys_admin: cannot drop CAP_SYS_ADMIN from the step's bounding set: %s "
            "(slurmstepd needs CAP_SETPCAP; the step does not start)",
            strerror(errno));
        return ESPANK_ERROR;
    }
    return ESPANK_SUCCESS;
}
