#include "init/user_db.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace rqinit {
namespace {

std::vector<std::string> split_fields(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream stream(line);
    while (std::getline(stream, field, separator)) fields.push_back(field);
    if (!line.empty() && line.back() == separator) fields.emplace_back();
    return fields;
}

std::optional<unsigned> parse_id(const std::string& text) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return {};
    return value;
}

// Calls visit(fields) for each well-formed line of a colon-separated database file.
template <typename Visit>
void for_each_entry(const std::string& path, size_t min_fields, Visit visit) {
    std::ifstream file(path);
    if (!file) throw std::runtime_error("cannot read " + path);
    std::string line;
    while (std::getline(file, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto fields = split_fields(line, ':');
        if (fields.size() >= min_fields) visit(fields);
    }
}

struct PasswdEntry {
    std::string name;
    uid_t uid;
    gid_t gid;
};

PasswdEntry find_user(const std::string& name_or_id, const std::string& path) {
    std::optional<PasswdEntry> found;
    auto numeric = parse_id(name_or_id);
    for_each_entry(path, 4, [&](const std::vector<std::string>& f) {
        auto uid = parse_id(f[2]), gid = parse_id(f[3]);
        if (found || !uid || !gid) return;
        if (f[0] == name_or_id || (numeric && *uid == *numeric)) found = {f[0], *uid, *gid};
    });
    if (found) return *found;
    // A numeric uid need not have an entry, as with docker run --user 1234.
    if (numeric) return {"", *numeric, *numeric};
    throw std::runtime_error("unknown user '" + name_or_id + "' (not in " + path + ")");
}

gid_t find_group(const std::string& name_or_id, const std::string& path) {
    std::optional<gid_t> found;
    auto numeric = parse_id(name_or_id);
    if (numeric) return *numeric;
    for_each_entry(path, 3, [&](const std::vector<std::string>& f) {
        auto gid = parse_id(f[2]);
        if (!found && gid && f[0] == name_or_id) found = *gid;
    });
    if (found) return *found;
    throw std::runtime_error("unknown group '" + name_or_id + "' (not in " + path + ")");
}

// The groups that list user_name among their members (the fourth field).
std::vector<gid_t> supplementary_groups(const std::string& user_name, const std::string& path) {
    std::vector<gid_t> groups;
    if (user_name.empty()) return groups;
    for_each_entry(path, 3, [&](const std::vector<std::string>& f) {
        auto gid = parse_id(f[2]);
        if (!gid || f.size() < 4) return;
        auto members = split_fields(f[3], ',');
        if (std::find(members.begin(), members.end(), user_name) != members.end())
            groups.push_back(*gid);
    });
    return groups;
}

}  // namespace

Credentials resolve_credentials(const std::string& spec, const UserDbPaths& paths) {
    auto colon = spec.find(':');
    std::string user_part = spec.substr(0, colon);
    if (user_part.empty()) throw std::runtime_error("empty user name in '" + spec + "'");
    PasswdEntry user = find_user(user_part, paths.passwd);
    Credentials credentials{user.uid, user.gid, {}};
    if (colon != std::string::npos) {
        credentials.gid = find_group(spec.substr(colon + 1), paths.group);
    } else {
        credentials.groups = supplementary_groups(user.name, paths.group);
    }
    if (std::find(credentials.groups.begin(), credentials.groups.end(), credentials.gid) ==
        credentials.groups.end())
        credentials.groups.insert(credentials.groups.begin(), credentials.gid);
    return credentials;
}

}  // namespace rqinit
