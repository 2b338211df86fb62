// Readiness by connection: a TCP "host:port" or a unix socket path accepts a connection.
// The connect is non-blocking so that the event loop never waits on a slow peer; only the name
// lookup of a TCP host blocks (Docker's DNS answers at once, even for names it does not know).
#pragma once

#include <string>

#include "init/plan.hpp"

namespace rqinit {

struct ConnectAttempt {
    enum class Outcome { connected, in_progress, failed };
    Outcome outcome = Outcome::failed;
    int fd = -1;         // open while in_progress: wait for it to be writable, then finish_connect
    std::string reason;  // with failed
};

ConnectAttempt start_connect(const Probe& probe);
// After the fd became writable: true if the connection was made. Closes fd either way.
bool finish_connect(int fd, std::string& reason);

}  // namespace rqinit
