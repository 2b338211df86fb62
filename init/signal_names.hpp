// Signal names as people write them in config files ("SIGTERM", "TERM", "15") and logs.
#pragma once

#include <optional>
#include <string>

namespace rqinit {

std::optional<int> parse_signal(const std::string& text);
std::string signal_name(int signal);  // "SIGTERM", or "signal 42" for one without a name

}  // namespace rqinit
