// A waitpid status as a shell and Docker would report it: the exit code, or 128+N for a
// process killed by signal N.
#pragma once

#include <sys/wait.h>

#include <string>

#include "init/signal_names.hpp"

namespace rqinit {

inline int exit_code_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

inline std::string describe_wait_status(int wait_status) {
    if (WIFSIGNALED(wait_status))
        return "killed by " + signal_name(WTERMSIG(wait_status)) + " (" +
               std::to_string(exit_code_of(wait_status)) + ")";
    return "exit status " + std::to_string(exit_code_of(wait_status));
}

}  // namespace rqinit
