#include "init/restart_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rqinit {
namespace {

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", seconds);
    return text;
}

}  // namespace

RestartDecision decide_restart(const ServiceSpec& spec, int exit_code, double now,
                               RestartHistory& history) {
    using Action = RestartDecision::Action;
    bool succeeded = exit_code == 0;
    if (spec.restart == RestartPolicy::never ||
        (spec.restart == RestartPolicy::on_failure && succeeded))
        return {succeeded ? Action::done : Action::give_up, 0,
                succeeded ? "finished" : "restart policy does not restart it"};

    while (!history.empty() && history.front() < now - spec.restart_window) history.pop_front();
    if (static_cast<int>(history.size()) >= spec.restart_limit)
        return {Action::give_up, 0,
                "restarted " + std::to_string(history.size()) + " times within " +
                    seconds_text(spec.restart_window) + " (restart_limit " +
                    std::to_string(spec.restart_limit) + "); giving up"};

    double delay = spec.restart_delay * std::pow(2.0, static_cast<double>(history.size()));
    delay = std::min(delay, spec.restart_delay_max);
    history.push_back(now);
    return {Action::restart, delay,
            "restarting in " + seconds_text(delay) + " (restart " + std::to_string(history.size()) +
                " of " + std::to_string(spec.restart_limit) + " within " +
                seconds_text(spec.restart_window) + ")"};
}

}  // namespace rqinit
