#include "secrets/file_install.hpp"

#include "spank/qrmi_config.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
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

std::string with_fix(const std::string& message, const std::string& fix) {
    return fix.empty() ? message : message + " (" + fix + ")";
}

// A source must be a regular file (a symlink to one, as Swarm makes them, is) of a size between
// the bounds; checked before a byte is read.
void check_source(const std::string& what, const std::string& path, size_t min_size,
                  size_t max_size, const std::string& fix) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0)
        throw InstallError(with_fix(what + ": " + path + " does not exist", fix));
    if (!S_ISREG(info.st_mode))
        throw InstallError(with_fix(what + ": " + path + " is not a regular file", fix));
    auto size = static_cast<size_t>(info.st_size);
    if (size < min_size)
        throw InstallError(with_fix(what + ": " + path + " has " + std::to_string(size) +
                                        " bytes; it needs at least " + std::to_string(min_size),
                                    fix));
    if (size > max_size)
        throw InstallError(with_fix(what + ": " + path + " has " + std::to_string(size) +
                                        " bytes; it may have at most " + std::to_string(max_size) +
                                        ": is it the right file?",
                                    fix));
}

std::string read_source(const FileInstall& file) {
    check_source(file.what, file.source, file.min_size, file.max_size, file.fix);
    std::ifstream in(file.source, std::ios::binary);
    if (!in)
        throw InstallError(file.what + ": cannot read " + file.source + ": " + strerror(errno));
    std::stringstream contents;
    contents << in.rdbuf();
    return contents.str();
}

// A secret substituted into a template: its first line, which must hold something.
std::string first_line_of(const std::string& what, const std::string& path, size_t max_size) {
    check_source(what, path, 0, max_size, "");
    std::ifstream in(path);
    if (!in) throw InstallError(what + ": cannot read " + path + ": " + strerror(errno));
    std::string line;
    std::getline(in, line);
    if (line.empty()) throw InstallError(what + ": " + path + " is empty");
    return line;
}

// How a secret's value is written into the file it lands in. Each syntax writes a complete value,
// quotes included, that its parser reads back as exactly the secret's bytes; a value the syntax
// cannot hold is refused in one line, before anything starts.
enum class ValueSyntax {
    sql_string,         // a string literal in MariaDB SQL: '...'
    mysql_option_file,  // a value in a MariaDB option file (my.cnf): password="..."
    slurm_conf_value,   // a value in a Slurm config file (slurmdbd.conf): StoragePass="..."
};

// The plan names each substitution "NAME:syntax": "@NAME@" in the template is replaced, written
// in that syntax. There is no default: a value pasted in as is was how a quote in a password
// broke the SQL, so every template must say where its values land.
struct Substitution {
    std::string placeholder;  // "@NAME@"
    ValueSyntax syntax;
};

Substitution parse_substitution(const FileInstall& file, const std::string& key) {
    static const std::map<std::string, ValueSyntax> syntaxes = {
        {"sql-string", ValueSyntax::sql_string},
        {"mysql-option-file", ValueSyntax::mysql_option_file},
        {"slurm-conf-value", ValueSyntax::slurm_conf_value}};
    auto colon = key.find(':');
    auto syntax =
        colon == std::string::npos ? syntaxes.end() : syntaxes.find(key.substr(colon + 1));
    if (syntax == syntaxes.end())
        throw InstallError(file.what + ": substitution '" + key +
                           "' names no syntax; write NAME:sql-string, NAME:mysql-option-file or "
                           "NAME:slurm-conf-value");
    // Built by appending: GCC 12 warns falsely (-Wrestrict) about "@" + std::string + "@" at -O2.
    std::string placeholder = "@";
    placeholder.append(key, 0, colon).append("@");
    return {placeholder, syntax->second};
}

// The one-line refusal: the file, the character, why, and the fix. Never the secret itself.
[[noreturn]] void refuse(const FileInstall& file, const std::string& secret_path,
                         const std::string& character, const std::string& why) {
    throw InstallError(file.what + ": the secret " + secret_path + " has " + character + "; " +
                       file.target + " " + why + ": choose a value without it");
}

// SQL: inside '...' a quote is doubled, and a backslash doubled too, because MariaDB reads
// backslash escapes in strings (unless sql_mode has NO_BACKSLASH_ESCAPES, which ours does not).
std::string as_sql_string(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'') out += '\'';
        if (c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

// MariaDB option file: inside "..." a '#' starts no comment and spaces are kept; '\' and '"'
// are escaped with a backslash (my_default.c reads \\ and \" back; other escapes it keeps as is).
std::string as_mysql_option_value(const std::string& value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out + "\"";
}

// Slurm (parse_config.c in 22.05): per line, an unescaped '#' starts a comment, then every
// backslash escapes the next character, then the value is "..." (anything but '"') or a run of
// non-blank characters. So '#' and '\' are escaped, and the value is quoted unless it holds a
// double quote; a value with both a double quote and a space cannot be written at all (both
// tried with the real slurmdbd 22.05 against MariaDB).
std::string as_slurm_conf_value(const FileInstall& file, const std::string& secret_path,
                                const std::string& value) {
    bool has_quote = value.find('"') != std::string::npos;
    bool has_space = value.find(' ') != std::string::npos;
    if (has_quote && has_space)
        refuse(file, secret_path, "a double quote (\") and a space",
               "cannot hold both (a Slurm value with a space must be in double quotes, and a "
               "quoted value cannot contain one)");
    // "ab" unquoted is read as the quoted value ab (tried with slurmdbd 22.05); "ab or a"b" are
    // not.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"' &&
        std::count(value.begin(), value.end(), '"') == 2)
        refuse(file, secret_path, "double quotes (\") around it",
               "would drop them (Slurm reads \"...\" as a quoted value)");
    std::string escaped;
    for (char c : value) {
        if (c == '\\' || c == '#') escaped += '\\';
        escaped += c;
    }
    return has_quote ? escaped : "\"" + escaped + "\"";
}

std::string written_as(const FileInstall& file, const std::string& secret_path, ValueSyntax syntax,
                       const std::string& value) {
    // A control character (a tab, or the \r of a Windows line end) is whitespace to the option
    // file and to Slurm but part of the password to SQL: the same secret would be a different
    // password in different files. A secret is one line of printable characters.
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f) {
            char byte[8];
            std::snprintf(byte, sizeof byte, "0x%02x", c);
            refuse(file, secret_path,
                   std::string("a control character (byte ") + byte +
                       (c == '\r' ? ", a Windows line end" : "") + ")",
                   "takes one line of printable characters");
        }
    switch (syntax) {
        case ValueSyntax::sql_string:
            return as_sql_string(value);
        case ValueSyntax::mysql_option_file:
            return as_mysql_option_value(value);
        case ValueSyntax::slurm_conf_value:
            return as_slurm_conf_value(file, secret_path, value);
    }
    return value;  // unreachable: every syntax is handled above
}

std::string substitute(const FileInstall& file, std::string text) {
    for (const auto& [key, secret_path] : file.substitutions) {
        Substitution substitution = parse_substitution(file, key);
        std::string value = written_as(file, secret_path, substitution.syntax,
                                       first_line_of(file.what, secret_path, file.max_size));
        // Searching on after the inserted value: a value that contains "@NAME@" stays as it is.
        for (size_t at = text.find(substitution.placeholder); at != std::string::npos;
             at = text.find(substitution.placeholder, at + value.size()))
            text.replace(at, substitution.placeholder.size(), value);
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

// The source's text as it lands in the target, in the file's format.
std::string formatted(const FileInstall& file, std::string text) {
    if (file.format.empty()) return text;
    if (file.format != "qrmi-config" && file.format != "qrmi-names")
        throw InstallError(file.what + ": unknown format \"" + file.format + "\"");
    try {
        auto config = qpu::parse_qrmi_config(text, file.source);
        return file.format == "qrmi-names" ? qpu::names_file_text(config) : text;
    } catch (const qpu::ConfigError& error) {
        throw InstallError(file.what + ": " + error.what() +
                           (file.fix.empty() ? "" : " (" + file.fix + ")"));
    }
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

bool install_file(const FileInstall& file, const UserDbPaths& users) {
    if (file.optional && access(file.source.c_str(), F_OK) != 0 && errno == ENOENT) return false;
    Credentials owner = resolve_credentials(file.owner, users);
    std::string contents = formatted(file, substitute(file, read_source(file)));
    check_directory_safe(file.what, parent_of(file.target));
    write_file_atomically(file.target, contents, owner.uid, owner.gid, file.mode);
    return true;
}

Hidden hide_directory(const std::string& directory, std::string& problem) {
    struct stat info {};
    if (stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) return Hidden::absent;
    if (mount("rqinit-hidden", directory.c_str(), "tmpfs",
              MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0000,size=4k") != 0) {
        problem = "cannot cover " + directory + " with an empty tmpfs: " + strerror(errno);
        return Hidden::refused;
    }
    return Hidden::done;
}

std::vector<std::string> files_readable_by_others(const std::string& directory) {
    std::vector<std::string> exposed;
    DIR* listing = opendir(directory.c_str());
    if (!listing) return exposed;
    std::vector<std::string> names;
    while (const dirent* entry = readdir(listing))
        if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
    closedir(listing);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        const std::string path = directory + "/" + name;
        struct stat info {};
        // stat, not lstat: Swarm's secrets are symlinks into its own tmpfs.
        if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
        if (info.st_uid == 0 && (info.st_mode & (S_IRGRP | S_IROTH)) == 0) continue;
        exposed.push_back(path + " is readable by users other than root (owner uid " +
                          std::to_string(info.st_uid) + ", mode " + octal(info.st_mode) +
                          ") and this container cannot cover it (no CAP_SYS_ADMIN): give the "
                          "secret mode 0400 (a stack file's `mode: 0400`) or, under Compose, make "
                          "its file root's with mode 0600 (chown root:root; chmod 0600)");
    }
    return exposed;
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
