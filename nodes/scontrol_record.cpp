#include "nodes/scontrol_record.hpp"

namespace rqinit {

// Node names, states and features hold no space; values that do (Reason=) are not read so.
std::string_view scontrol_field(std::string_view line, std::string_view key) {
    size_t at = 0;
    while ((at = line.find(key, at)) != std::string_view::npos) {
        // A whole field: at the line's start or after a space ("Name=" must not match
        // "NodeName=").
        if (at == 0 || line[at - 1] == ' ') break;
        at += key.size();
    }
    if (at == std::string_view::npos) return {};
    std::string_view value = line.substr(at + key.size());
    return value.substr(0, value.find(' '));
}

}  // namespace rqinit
