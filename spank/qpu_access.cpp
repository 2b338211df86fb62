#include "spank/qpu_access.hpp"

#include <grp.h>

#include <algorithm>

#include "spank/qrmi_config.hpp"

namespace rqinit::qpu {
namespace {

bool contains(const std::vector<std::string>& words, const std::string& word) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

std::optional<std::string> qpu_access_error(const std::string& qpu,
                                            const std::vector<std::string>& allowed_groups,
                                            const std::vector<std::string>& user_groups) {
    if (allowed_groups.empty()) return std::nullopt;
    for (const auto& group : user_groups)
        if (contains(allowed_groups, group)) return std::nullopt;
    return "QPU " + qpu + " may be used only by members of " + joined(allowed_groups, " or ") +
           " (you are in: " + joined(user_groups, ", ", "none") + ")";
}

std::vector<std::string> group_names(const std::vector<gid_t>& gids) {
    std::vector<std::string> names;
    for (const gid_t gid : gids) {
        const struct group* entry = getgrgid(gid);
        std::string name = entry ? entry->gr_name : std::to_string(gid);
        if (!contains(names, name)) names.push_back(std::move(name));
    }
    return names;
}

}  // namespace rqinit::qpu
