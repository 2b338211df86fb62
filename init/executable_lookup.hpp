// Finding a command's program before anything starts, so that a typo fails at once with 127
// (or 126) instead of after half the services are up.
#pragma once

#include <string>

namespace rqinit {

struct ExecutableLookup {
    std::string path;    // the resolved path, when found
    int exit_code = 0;   // 0 found; 127 missing; 126 present but not executable
    std::string reason;  // one line, when exit_code != 0
};

// A name with a slash is taken as a path; a bare name is searched in search_path (PATH).
ExecutableLookup find_executable(const std::string& program, const std::string& search_path);

}  // namespace rqinit
