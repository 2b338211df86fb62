// rqinit's own log lines: spdlog on stderr, "rqinit: LEVEL: message". The services' output goes
// to stdout, prefixed (line_prefixer.hpp), so the two never interleave mid-line.
#pragma once

#include <optional>
#include <string>

namespace rqinit {

// Returns false (and leaves the level at info) for a name spdlog does not know. program names
// the lines ("rqinit-nfs: warn: ..."), so that a service's log says which program spoke.
bool setup_logging(const std::string& level_name, const std::string& program = "rqinit");

}  // namespace rqinit
