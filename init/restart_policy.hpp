// Whether a service that ended is started again, and after how long: exponential backoff, and
// a limit of restarts within a window after which rqinit gives up (and exits, so that Docker's
// own restart policy takes over).
#pragma once

#include <deque>
#include <string>

#include "init/plan.hpp"

namespace rqinit {

struct RestartDecision {
    enum class Action { restart, give_up, done };
    Action action = Action::done;
    double delay = 0;    // with restart: seconds to wait first
    std::string reason;  // one line for the log
};

// The times (monotonic seconds) of the restarts still inside the window.
using RestartHistory = std::deque<double>;

// Records the restart in history when it decides to restart.
RestartDecision decide_restart(const ServiceSpec& spec, int exit_code, double now,
                               RestartHistory& history);

}  // namespace rqinit
