// Installing Docker secrets and configs as files with the owner and mode a daemon demands.
// Docker hands them over root-owned (Swarm) or with the host's owner (Compose bind mounts);
// munged and slurmdbd refuse both. The same code serves Compose and Swarm, so the shipped
// compose and stack files need no uid/gid tricks.
#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "init/plan.hpp"
#include "init/user_db.hpp"

namespace rqinit {

// One line, naming the file, the value and the fix. Never the secret's content.
struct InstallError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void install_directory(const DirectoryInstall& directory, const UserDbPaths& users = {});
// false: an optional file whose source does not exist, not installed.
bool install_file(const FileInstall& file, const UserDbPaths& users = {});

// Covers directory with an empty read-only tmpfs (mode 0000): what was there can no longer be
// opened by anyone in this container.
enum class Hidden { done, absent, refused };
Hidden hide_directory(const std::string& directory, std::string& problem);

// Where a directory cannot be covered: one line for each file in it that a uid other than root
// could read (group or other read bit, or a non-root owner), naming the owner, the mode and the
// fix. Empty: its own modes guard every file.
std::vector<std::string> files_readable_by_others(const std::string& directory);

// Writes contents to path atomically (temporary file, fsync, rename, fsync of the directory)
// with the given owner and mode from the first byte on.
void write_file_atomically(const std::string& path, const std::string& contents, uid_t uid,
                           gid_t gid, mode_t mode);

}  // namespace rqinit
