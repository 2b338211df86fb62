// A unix socket address from a path, for the control socket and the unix probes.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <optional>
#include <string>

namespace rqinit {

// nullopt when the path does not fit in sun_path (108 bytes with its terminating NUL).
std::optional<sockaddr_un> unix_address(const std::string& path);

}  // namespace rqinit
