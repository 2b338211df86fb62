#include "init/capabilities.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace rqinit {

std::optional<int> capability_from_name(const std::string& name) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    cap_value_t value = 0;
    // cap_from_name also accepts numbers; a config should name capabilities.
    if (lower.empty() || std::isdigit(static_cast<unsigned char>(lower[0]))) return std::nullopt;
    if (lower.rfind("cap_", 0) != 0) lower = "cap_" + lower;
    if (cap_from_name(lower.c_str(), &value) != 0) return std::nullopt;
    return value;
}

int limit_bounding_set(const std::vector<int>& keep) {
    for (int cap = 0; cap < static_cast<int>(cap_max_bits()); ++cap) {
        if (std::find(keep.begin(), keep.end(), cap) != keep.end()) continue;
        if (cap_drop_bound(cap) != 0 && errno != EINVAL) return errno;
    }
    return 0;
}

int drop_from_bounding_set(const std::vector<int>& drop) {
    for (int cap : drop)
        if (cap_drop_bound(cap) != 0 && errno != EINVAL) return errno;
    return 0;
}

int keep_capabilities_across_setuid() {
    return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0 ? 0 : errno;
}

int raise_capabilities(const std::vector<int>& keep) {
    cap_t state = cap_init();  // all clear
    if (!state) return errno;
    std::vector<cap_value_t> values(keep.begin(), keep.end());
    int result = 0;
    if (!values.empty()) {
        int count = static_cast<int>(values.size());
        cap_set_flag(state, CAP_PERMITTED, count, values.data(), CAP_SET);
        cap_set_flag(state, CAP_EFFECTIVE, count, values.data(), CAP_SET);
        cap_set_flag(state, CAP_INHERITABLE, count, values.data(), CAP_SET);
    }
    if (cap_set_proc(state) != 0) result = errno;
    cap_free(state);
    if (result != 0) return result;
    // Ambient capabilities carry P/E across exec of a program without file capabilities.
    if (cap_reset_ambient() != 0) return errno;
    for (cap_value_t value : values)
        if (cap_set_ambient(value, CAP_SET) != 0) return errno;
    return 0;
}

int set_no_new_privs() {
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno;
}

}  // namespace rqinit
