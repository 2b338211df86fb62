#include "init/executable_lookup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

namespace rqinit {
namespace {

ExecutableLookup check_path(const std::string& path) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) return {"", 127, "'" + path + "' does not exist"};
    if (!S_ISREG(info.st_mode)) return {"", 126, "'" + path + "' is not a regular file"};
    if (access(path.c_str(), X_OK) != 0)
        return {"", 126, "'" + path + "' is not executable (chmod +x?)"};
    return {path, 0, ""};
}

}  // namespace

ExecutableLookup find_executable(const std::string& program, const std::string& search_path) {
    if (program.empty()) return {"", 127, "the command is empty"};
    if (program.find('/') != std::string::npos) return check_path(program);
    std::istringstream directories(search_path);
    std::string directory;
    ExecutableLookup best{"", 127, "'" + program + "' is not in PATH (" + search_path + ")"};
    while (std::getline(directories, directory, ':')) {
        if (directory.empty()) continue;
        ExecutableLookup candidate = check_path(directory + "/" + program);
        if (candidate.exit_code == 0) return candidate;
        // Like execvp: a file that exists but cannot run beats one that does not exist.
        if (candidate.exit_code == 126) best = candidate;
    }
    return best;
}

}  // namespace rqinit
