// What `rqinit status` and `rqinit health` answer, built from a snapshot of the services.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace rqinit {

struct ServiceSnapshot {
    std::string name;
    pid_t pid = -1;
    std::string state;  // waiting, starting, ready, backoff, stopping, stopped, exited, failed
    int restarts = 0;
    double uptime = 0;      // seconds since the current process started; 0 if none
    std::string last_exit;  // "exit status 1", "killed by SIGKILL (137)", or ""
    bool healthy = false;
    std::string why;  // when not healthy: "munged is starting: not ready after 3.0 s"
};

std::string format_status_table(const std::vector<ServiceSnapshot>& services);

// The words a health answer begins with; `rqinit health` (main.cpp) reads them.
inline constexpr std::string_view kHealthy = "healthy";
inline constexpr std::string_view kStarting = "starting: ";

// "healthy", "unhealthy: <first reason>", or "starting: <first reason>" until every service has
// been ready once (been_healthy false): `rqinit health --wait` waits through that phase only.
std::string health_line(const std::vector<ServiceSnapshot>& services, bool stopping,
                        bool been_healthy);

}  // namespace rqinit
