#include "spank/qrmi_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rqinit::qpu {
namespace {

// ordered: the environment keeps the file's order (plain json sorts keys).
using json = nlohmann::ordered_json;

// Names QRMI retired. A config that still has one passes every other check here and fails only
// inside QRMI, at a job's start: it is refused where rqinit installs it and the plugin reads it.
struct Renamed {
    std::string_view old_name;
    std::string_view new_name;
};
constexpr std::string_view kRenamedUntil = "the old name was accepted until November 21, 2026";
constexpr Renamed kRenamedTypes[] = {{"qiskit-runtime-service", "ibm-quantum-compute-service"}};
constexpr Renamed kRenamedKeyPrefixes[] = {{"QRMI_IBM_QRS_", "QRMI_IBM_QCS_"}};
// Gone without a rename: ibm-quantum-system took its place (QRMI 0.13), but its keys are not
// direct-access's renamed one for one, so the refusal lists the types there are.
constexpr std::string_view kRemovedType = "direct-access";

void refuse_retired_type(const std::string& named, const std::string& type) {
    for (const auto& renamed : kRenamedTypes)
        if (type == renamed.old_name)
            throw ConfigError(named + " has the type \"" + type + "\", which QRMI renamed \"" +
                              std::string(renamed.new_name) + "\" (" + std::string(kRenamedUntil) +
                              ")");
    if (type == kRemovedType)
        throw ConfigError(named + " has the type \"" + type +
                          "\", which QRMI removed (known: " + joined(qrmi_types()) + ")");
}

// Only the key is named, never its value.
void refuse_retired_key(const std::string& named, const std::string& key) {
    for (const auto& renamed : kRenamedKeyPrefixes)
        if (key.rfind(renamed.old_name, 0) == 0)
            throw ConfigError(named + " has the environment key " + key + ", which QRMI renamed " +
                              std::string(renamed.new_name) + key.substr(renamed.old_name.size()) +
                              " (" + std::string(kRenamedUntil) + ")");
}

// A name becomes the prefix of environment variables (<name>_<KEY>): it must be one.
bool is_variable_part(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

// A Unix group name as the names file can hold it (groups=a,b): no space, no comma.
bool is_group_name(const json& value) {
    if (!value.is_string()) return false;
    const auto& text = value.get_ref<const std::string&>();
    return !text.empty() && text.find_first_of(" \t\r\n,") == std::string::npos;
}

// Absent: everyone may use the QPU. Empty is refused rather than read as "no one": a QPU no one
// may use is one to leave out of the file.
std::vector<std::string> parse_allowed_groups(const json& entry, const std::string& named) {
    std::vector<std::string> groups;
    if (!entry.contains("allowed_groups")) return groups;
    const json& list = entry["allowed_groups"];
    if (!list.is_array() || list.empty())
        throw ConfigError(named +
                          ": \"allowed_groups\" is not a list of group names (write Unix group "
                          "names, such as [\"staff\"], or leave the key out to let everyone use "
                          "it)");
    for (size_t i = 0; i < list.size(); ++i) {
        if (!is_group_name(list[i]))
            throw ConfigError(named + ": allowed_groups[" + std::to_string(i) +
                              "] is not a group name (write a non-empty string without spaces or "
                              "commas)");
        groups.push_back(list[i].get<std::string>());
    }
    return groups;
}

QpuResource parse_resource(const json& entry, size_t index, const std::string& path) {
    const std::string where = path + ": resources[" + std::to_string(index) + "]";
    if (!entry.is_object()) throw ConfigError(where + " is not an object");
    QpuResource resource;
    if (!entry.contains("name") || !entry["name"].is_string())
        throw ConfigError(where + " has no \"name\" string");
    resource.name = entry["name"].get<std::string>();
    if (!is_variable_part(resource.name))
        throw ConfigError(where + ": the name \"" + resource.name +
                          "\" is not usable in a variable name (letters, digits, _ - . only)");
    const std::string named = path + ": QPU \"" + resource.name + "\"";
    if (!entry.contains("type") || !entry["type"].is_string())
        throw ConfigError(named + " has no \"type\" string");
    resource.type = entry["type"].get<std::string>();
    refuse_retired_type(named, resource.type);
    const auto& types = qrmi_types();
    if (std::find(types.begin(), types.end(), resource.type) == types.end())
        throw ConfigError(named + " has the unknown type \"" + resource.type +
                          "\" (known: " + joined(types) + ")");
    if (entry.contains("environment")) {
        const json& environment = entry["environment"];
        if (!environment.is_object())
            throw ConfigError(named + ": \"environment\" is not an object");
        for (const auto& [key, value] : environment.items()) {
            if (!is_variable_part(key))
                throw ConfigError(named + ": the environment key \"" + key +
                                  "\" is not a variable name");
            refuse_retired_key(named, key);
            // Only the key is named: the value may be a credential.
            if (!value.is_string())
                throw ConfigError(named + ": the value of " + key + " is not a string");
            resource.environment.emplace_back(key, value.get<std::string>());
        }
    }
    resource.allowed_groups = parse_allowed_groups(entry, named);
    return resource;
}

}  // namespace

const QpuResource* QpuConfig::find(std::string_view name) const {
    for (const auto& resource : resources)
        if (resource.name == name) return &resource;
    return nullptr;
}

std::vector<std::string> QpuConfig::names() const {
    std::vector<std::string> names;
    for (const auto& resource : resources) names.push_back(resource.name);
    return names;
}

const std::vector<std::string>& qrmi_types() {
    static const std::vector<std::string> types = {
        "ibm-quantum-system", "ibm-quantum-compute-service",
        "pasqal-cloud",       "pasqal-local",
        "alice-bob-felis",    "iqm-server"};
    return types;
}

QpuConfig parse_qrmi_config(std::string_view text, const std::string& path) {
    json document;
    try {
        document = json::parse(text);
    } catch (const json::parse_error& error) {
        // nlohmann's message quotes at most the offending token, never the file's values:
        // keep only its position ("at line 3, column 5").
        std::string message = error.what();
        auto at = message.find("at line");
        std::string position =
            at == std::string::npos ? "" : " " + message.substr(at, message.find(':', at) - at);
        throw ConfigError(path + ": not valid JSON" + position);
    }
    if (!document.is_object() || !document.contains("resources") ||
        !document["resources"].is_array())
        throw ConfigError(path + ": no \"resources\" list at the top level");
    QpuConfig config;
    size_t index = 0;
    for (const auto& entry : document["resources"]) {
        QpuResource resource = parse_resource(entry, index++, path);
        auto same = std::find_if(config.resources.begin(), config.resources.end(),
                                 [&](const QpuResource& r) { return r.name == resource.name; });
        if (same != config.resources.end())
            *same = std::move(resource);
        else
            config.resources.push_back(std::move(resource));
    }
    return config;
}

QpuConfig read_qrmi_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot read it (" + std::strerror(errno) + ")");
    std::stringstream text;
    text << in.rdbuf();
    return parse_qrmi_config(text.str(), path);
}

std::string joined(const std::vector<std::string>& words, std::string_view separator,
                   std::string_view empty) {
    if (words.empty()) return std::string(empty);
    std::string text = words.front();
    for (size_t i = 1; i < words.size(); ++i) text.append(separator).append(words[i]);
    return text;
}

std::string names_file_text(const QpuConfig& config) {
    std::string text;
    for (const auto& resource : config.resources) {
        text += resource.name;
        if (!resource.allowed_groups.empty())
            text += " groups=" + joined(resource.allowed_groups, ",");
        text += "\n";
    }
    return text;
}

}  // namespace rqinit::qpu
