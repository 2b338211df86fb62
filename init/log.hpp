// rqinit's own log lines: spdlog on stderr, "rqinit: LEVEL: message". The services' output goes
// to stdout, prefixed (line_prefixer.hpp), so the two never interleave mid-line.
#pragma once

#include <optional>
#include <string>

namespace rqinit {

// Returns false (and leaves the level at info) for a name spdlog does not know.
bool setup_logging(const std::string& level_name);

}  // namespace rqinit
