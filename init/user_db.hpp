// Users and groups read straight from /etc/passwd and /etc/group.
// A static glibc binary cannot load the NSS modules that getpwnam goes through, so in a static
// rqinit getpwnam finds nothing; rqinit parses the files itself.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rqinit {

struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups, the primary one included
};

struct UserDbPaths {
    std::string passwd = "/etc/passwd";
    std::string group = "/etc/group";
};

// Resolves "user", "user:group", "uid" or "uid:gid". Throws std::runtime_error with a one-line
// reason ("unknown user 'x' in /etc/passwd") when it cannot.
Credentials resolve_credentials(const std::string& spec, const UserDbPaths& paths = {});

}  // namespace rqinit
