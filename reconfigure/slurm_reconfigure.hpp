// `rqinit reconfigure`: a changed slurm.conf, gres.conf, cgroup.conf, plugstack.conf or
// node-features.conf applied to a running container, with no image rebuild and no container
// restart. make reconfigure (stack/cluster, stack/swarm) runs it in each container, the
// controller first:
//   slurmctld       checks that Slurm can read the new slurm.conf, installs the files, runs
//                   `scontrol reconfigure` (the nodes follow: they run configless), and rolls
//                   back to the previous files if slurmctld refuses them (run in the
//                   foreground, it re-executes itself on the new files and stops on a
//                   configuration it refuses; rqinit starts it again on the previous files).
//                   A port or the authentication, which a reconfigure cannot change:
//                   slurmctld is restarted, and the exit status asks for every slurmd too.
//   c, q            gives the node the features node-features.conf lists for its role
//                   (`scontrol update`, live); --restart-slurmd restarts its slurmd.
//   login, slurmdbd installs the files for the Slurm commands run there.
#pragma once

#include <string>

namespace rqinit {

namespace reconfigure_exit {
constexpr int kApplied = 0;        // applied, or nothing had changed
constexpr int kRolledBack = 1;     // refused: the previous files are back and in use
constexpr int kUsage = 2;          // no such role
constexpr int kBadFiles = 3;       // the new files are unreadable or malformed: nothing changed
constexpr int kNotInstalled = 5;   // a file could not be written: nothing changed
constexpr int kRestartNodes = 10;  // applied by restarting slurmctld; restart every slurmd now
}  // namespace reconfigure_exit

struct ReconfigureOptions {
    std::string role;
    std::string from;      // where the new files are (the stack's configs by default)
    std::string hostname;  // the node's name, for c and q
    bool restart_slurmd = false;
};

// Prints one line of what it did, or of why not, and returns a reconfigure_exit code.
int reconfigure(const ReconfigureOptions& options);

}  // namespace rqinit
