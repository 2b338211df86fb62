#include "roles/node_size.hpp"

#include "roles/slurm_conf_text.hpp"

#include <array>
#include <cctype>
#include <sstream>
#include <string_view>

namespace rqinit::slurm {

namespace {

// The node record's hardware keys (slurm.conf(5), "NODE CONFIGURATION"), spelled as Slurm
// prints them; compared without case, as Slurm reads them.
constexpr std::array<std::string_view, 7> kKeys = {
    "CPUs", "Boards", "Sockets", "CoresPerSocket", "ThreadsPerCore", "RealMemory", "TmpDisk"};

bool same_without_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// The cluster's design: a classical node 4 CPUs (a Pi 5's cores) and 1000 MB, a quantum node,
// which only drives a QPU, 1 CPU.
constexpr const char* kClassicalNodeSize = "CPUs=4 RealMemory=1000";
constexpr const char* kQuantumNodeSize = "CPUs=1 RealMemory=1000";

bool whole_number_above_zero(std::string_view text) {
    if (text.empty() || text.size() > 9 || text.front() == '0') return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    return true;
}

std::string known_keys() {
    std::string names;
    for (std::string_view key : kKeys) {
        if (!names.empty()) names += ", ";
        names.append(key);
    }
    return names;
}

bool blank(const std::string& text) {
    return text.find_first_not_of(" \t") == std::string::npos;
}

bool is_hardware(const std::string& text) {
    std::istringstream words(text);
    std::string word, more;
    return words >> word && !(words >> more) && word == kHardwareSize;
}

}  // namespace

std::string node_size_error(const std::string& role, const std::string& text) {
    if (blank(text)) return "";
    if (role_feature(role).empty())
        return "RQINIT_NODE_SIZE='" + text + "' is set, but role " + role +
               " is not a compute node (c or q); unset it for this container";
    if (is_hardware(text)) return "";
    return parse_node_size(text).error;
}

std::string node_size_conf(const std::string& role, const std::string& text) {
    if (blank(text)) return role == "q" ? kQuantumNodeSize : kClassicalNodeSize;
    if (is_hardware(text)) return "";
    return parse_node_size(text).conf;
}

NodeSize parse_node_size(const std::string& text) {
    NodeSize size;
    std::istringstream words(text);
    std::string word;
    while (words >> word) {
        size_t equals = word.find('=');
        std::string_view key = std::string_view(word).substr(0, equals);
        const std::string_view* known = nullptr;
        for (const std::string_view& candidate : kKeys)
            if (same_without_case(key, candidate)) known = &candidate;
        std::string prefix = "RQINIT_NODE_SIZE='" + text + "': ";
        if (equals == std::string::npos || known == nullptr)
            return {"", prefix + "'" + word + "' is not KEY=NUMBER with KEY one of " +
                            known_keys() + " (e.g. CPUs=4 RealMemory=1000), or " + kHardwareSize};
        std::string_view value = std::string_view(word).substr(equals + 1);
        if (!whole_number_above_zero(value))
            return {"", prefix + std::string(*known) + " must be a whole number above 0, not '" +
                            std::string(value) + "'"};
        // Appended piece by piece: g++ 12's -Wrestrict misfires on a chain of + here (GCC
        // bug 105329).
        if (!size.conf.empty()) size.conf += ' ';
        size.conf.append(*known).append("=").append(value);
    }
    return size;
}

}  // namespace rqinit::slurm
