#include "secrets/file_install.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace rqinit {
namespace {

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string read_source(const FileInstall& file) {
    struct stat info {};
    if (stat(file.source.c_str(), &info) != 0)
        throw InstallError(file.what + ": " + file.source + " does not exist" +
                           (file.fix.empty() ? "" : " (" + file.fix + ")"));
    if (!S_ISREG(info.st_mode))
        throw InstallError(file.what + ": " + file.source + " is not a regular file");
    if (static_cast<size_t>(info.st_size) < file.min_size)
        throw InstallError(file.what + ": " + file.source + " has " + std::to_string(info.st_size) +
                           " bytes; it needs at least " + std::to_string(file.min_size) +
                           (file.fix.empty() ? "" : " (" + file.fix + ")"));
    std::ifstream in(file.source, std::ios::binary);
    if (!in)
        throw InstallError(file.what + ": cannot read " + file.source + ": " + strerror(errno));
    std::stringstream contents;
    contents << in.rdbuf();
    return contents.str();
}

std::string first_line_of(const std::string& what, const std::string& path) {
    std::ifstream in(path);
    if (!in) throw InstallError(what + ": " + path + " does not exist");
    std::string line;
    std::getline(in, line);
    if (line.empty()) throw InstallError(what + ": " + path + " is empty");
    return line;
}

std::string substitute(const FileInstall& file, std::string text) {
    for (const auto& [name, secret_path] : file.substitutions) {
        std::string placeholder = "@" + name + "@";
        std::string value = first_line_of(file.what, secret_path);
        for (size_t at = text.find(placeholder); at != std::string::npos;
             at = text.find(placeholder, at + value.size()))
            text.replace(at, placeholder.size(), value);
    }
    return text;
}

// A directory others may write to lets them swap the file under the daemon (munged checks the
// same): refuse it, unless it is sticky like /tmp.
void check_directory_safe(const std::string& what, const std::string& directory) {
    struct stat info {};
    if (stat(directory.c_str(), &info) != 0)
        throw InstallError(what + ": directory " + directory + " does not exist");
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) && !(info.st_mode & S_ISVTX))
        throw InstallError(what + ": directory " + directory + " is writable by others (mode " +
                           octal(info.st_mode) + "); make it 0755");
}

}  // namespace

void install_directory(const DirectoryInstall& directory, const UserDbPaths& users) {
    Credentials owner = resolve_credentials(directory.owner, users);
    if (mkdir(directory.path.c_str(), directory.mode) != 0 && errno != EEXIST)
        throw InstallError("cannot create " + directory.path + ": " + strerror(errno));
    struct stat info {};
    if (lstat(directory.path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        throw InstallError(directory.path + " exists and is not a directory");
    if (chown(directory.path.c_str(), owner.uid, owner.gid) != 0 ||
        chmod(directory.path.c_str(), directory.mode) != 0)
        throw InstallError("cannot set owner " + directory.owner + " and mode " +
                           octal(directory.mode) + " on " + directory.path + ": " +
                           strerror(errno));
}

void install_file(const FileInstall& file, const UserDbPaths& users) {
    Credentials owner = resolve_credentials(file.owner, users);
    std::string contents = substitute(file, read_source(file));
    check_directory_safe(file.what, parent_of(file.target));
    write_file_atomically(file.target, contents, owner.uid, owner.gid, file.mode);
}

void write_file_atomically(const std::string& path, const std::string& contents, uid_t uid,
                           gid_t gid, mode_t mode) {
    std::string temporary = path + ".rqinit-new";
    unlink(temporary.c_str());
    // Created 0600 and root's: no moment in which another user could open it.
    int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw InstallError("cannot create " + temporary + ": " + strerror(errno));
    bool ok =
        write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
        fchown(fd, uid, gid) == 0 && fchmod(fd, mode) == 0 && fsync(fd) == 0;
    int error = errno;
    close(fd);
    if (!ok || rename(temporary.c_str(), path.c_str()) != 0) {
        if (ok) error = errno;
        unlink(temporary.c_str());
        throw InstallError("cannot install " + path + ": " + strerror(error));
    }
    int directory = open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory >= 0) {
        fsync(directory);
        close(directory);
    }
}

}  // namespace rqinit
