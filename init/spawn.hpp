// Starting one child process: its session, stdio, working directory, capabilities, user and
// environment, then exec. The only place rqinit forks.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "init/user_db.hpp"

namespace rqinit {

struct SpawnRequest {
    std::vector<std::string> argv;
    std::string program;  // argv[0]'s path, found before anything started; "": search PATH now
    std::vector<std::string> environment;  // "KEY=value", the whole environment
    std::string working_directory = "/";
    std::optional<Credentials> credentials;        // nullopt: stay as rqinit's user
    std::optional<std::vector<int>> capabilities;  // nullopt: unchanged
    std::vector<int> drop_from_bounding;           // out of the bounding set, whatever else
    int pass_fd = -1;    // >= 0: given to the child as its fd 3 (a FUSE server's /dev/fuse)
    int output_fd = -1;  // stdout and stderr; -1: rqinit's own. stdin is /dev/null unless -1.
    // true: a new session (setsid), the usual for services. false: a new process group that
    // takes over rqinit's terminal, if it has one, as tini does for its child.
    bool new_session = true;
};

struct SpawnResult {
    pid_t pid = -1;  // > 0 when the program was executed
    // When exec (or a step before it) failed: the child has already exited with exit_code,
    // and reason says which step failed and why, in one line.
    int exit_code = 0;
    std::string reason;
};

// The child runs with all signals unblocked and at their default disposition, whatever rqinit
// has blocked. Blocks only until the child has executed (or failed to).
SpawnResult spawn(const SpawnRequest& request);

// "KEY=value" strings of this process's environment with overrides applied.
std::vector<std::string> merge_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace rqinit
