// Running a Slurm command to its end and keeping what it printed: what `rqinit reconfigure`
// needs of scontrol. Not for PID 1's services (the Supervisor runs those).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rqinit {

struct CommandRun {
    int exit_code = -1;      // the program's status; 128+N when killed by signal N
    std::string output;      // stdout and stderr, interleaved as written
    bool timed_out = false;  // killed at the deadline; exit_code is then 128+SIGKILL
};

// argv[0] is looked up in PATH. environment: settings added to this process's environment.
CommandRun run_command(const std::vector<std::string>& argv,
                       const std::vector<std::pair<std::string, std::string>>& environment,
                       double timeout_seconds);

// The first line of text that is not empty, or "" (a Slurm command's first line is its error).
std::string first_line(const std::string& text);

}  // namespace rqinit
