// The control socket's client side: `rqinit status` and `rqinit health` send one request and
// read the answer (init/control_server.hpp is the side in PID 1).
#pragma once

#include <string>

namespace rqinit {

struct ControlReply {
    bool reached = false;
    std::string text;  // the reply, or why rqinit could not be reached
};

ControlReply ask_control_socket(const std::string& path, const std::string& request);

}  // namespace rqinit
