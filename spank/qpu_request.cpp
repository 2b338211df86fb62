#include "spank/qpu_request.hpp"

#include <algorithm>

namespace rqinit::qpu {
namespace {

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// The non-empty pieces of text between separators.
std::vector<std::string> split(std::string_view text, std::string_view separators) {
    std::vector<std::string> pieces;
    size_t start = 0;
    while (start < text.size()) {
        const size_t end = std::min(text.find_first_of(separators, start), text.size());
        if (end > start) pieces.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return pieces;
}

QpuResource parse_names_line(std::string_view line) {
    const auto words = split(line, " \t");
    QpuResource qpu{words.front(), {}, {}, {}};
    const std::string_view groups = "groups=";
    for (size_t i = 1; i < words.size(); ++i)
        if (words[i].rfind(groups, 0) == 0)
            qpu.allowed_groups = split(words[i].substr(groups.size()), ",");
    return qpu;
}

}  // namespace

ParsedNames parse_qpu_names(std::string_view argument) {
    ParsedNames parsed;
    if (argument.empty()) {
        parsed.error = "--qpu needs at least one QPU name (--qpu=NAME[,NAME...])";
        return parsed;
    }
    size_t start = 0;
    while (true) {
        const size_t comma = argument.find(',', start);
        const std::string name(argument.substr(start, comma - start));
        if (name.empty()) {
            parsed.error = "--qpu=" + std::string(argument) + " has an empty name";
            parsed.names.clear();
            return parsed;
        }
        if (std::find(parsed.names.begin(), parsed.names.end(), name) == parsed.names.end())
            parsed.names.push_back(name);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return parsed;
}

std::string names_file_for(const std::string& config_path) {
    const std::string suffix = ".json";
    const bool has_suffix =
        config_path.size() > suffix.size() &&
        config_path.compare(config_path.size() - suffix.size(), suffix.size(), suffix) == 0;
    return (has_suffix ? config_path.substr(0, config_path.size() - suffix.size()) : config_path) +
           ".names";
}

QpuConfig parse_names_file(std::string_view text) {
    QpuConfig config;
    for (const auto& raw : split(text, "\n")) {
        const std::string_view line = trimmed(raw);
        if (!line.empty() && line.front() != '#')
            config.resources.push_back(parse_names_line(line));
    }
    return config;
}

std::optional<std::string> unknown_names_error(const std::vector<std::string>& requested,
                                               const std::vector<std::string>& known) {
    std::vector<std::string> unknown;
    for (const auto& name : requested)
        if (std::find(known.begin(), known.end(), name) == known.end()) unknown.push_back(name);
    if (unknown.empty()) return std::nullopt;
    return "--qpu: unknown QPU " + joined(unknown) +
           " (this cluster has: " + joined(known, ", ", "none") + ")";
}

}  // namespace rqinit::qpu
