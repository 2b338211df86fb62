#include "roles/slurm_conf_text.hpp"

#include <algorithm>
#include <set>
#include <sstream>

namespace rqinit::slurm {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string trimmed(const std::string& text) {
    auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) return "";
    auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

// A line without its comment: Slurm takes "#" to the end of the line as a comment, "\#" as "#".
std::string without_comment(const std::string& line) {
    for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '#' && (i == 0 || line[i - 1] != '\\')) return line.substr(0, i);
    }
    return line;
}

// "Key=value" words of a line; a value may be quoted ("a b").
std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> result;
    std::string word;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') quoted = !quoted;
        if (!quoted && (c == ' ' || c == '\t')) {
            if (!word.empty()) result.push_back(word);
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty()) result.push_back(word);
    return result;
}

// Records keyed by a name: a line of these defines one thing, not a global setting.
const std::set<std::string> kRecordKeys = {"nodename",     "partitionname", "nodeset", "downnodes",
                                           "frontendname", "switchname",    "include"};

// scontrol(1), "reconfigure", 24.11: the daemons re-execute themselves on the new files, so
// every setting is read again, except that this "will not be able to change the daemons'
// listening TCP port settings or authentication mechanism". Those need a real restart.
// Spelled as slurm.conf spells them (for the message), in alphabetical order; compared
// without case, as Slurm reads keys.
const std::vector<std::string> kRestartKeys = {"AuthAltTypes", "AuthType", "CredType",
                                               "SlurmctldPort", "SlurmdPort"};

}  // namespace

std::map<std::string, std::string> global_settings(const std::string& slurm_conf) {
    std::map<std::string, std::string> settings;
    std::istringstream lines(slurm_conf);
    std::string line;
    while (std::getline(lines, line)) {
        auto parts = words(without_comment(line));
        if (parts.empty()) continue;
        auto equals = parts.front().find('=');
        std::string key = lower(parts.front().substr(0, equals));
        if (kRecordKeys.count(key) || equals == std::string::npos) continue;
        // A global line may hold several settings ("SlurmctldPort=6817 SlurmdPort=6818").
        for (const auto& part : parts) {
            auto at = part.find('=');
            if (at == std::string::npos) continue;
            settings[lower(part.substr(0, at))] = trimmed(part.substr(at + 1));
        }
    }
    return settings;
}

std::vector<std::string> changes_needing_restart(const std::string& old_conf,
                                                 const std::string& new_conf) {
    auto before = global_settings(old_conf);
    auto after = global_settings(new_conf);
    std::vector<std::string> changed;
    for (const auto& key : kRestartKeys) {
        auto old_value = before.find(lower(key));
        auto new_value = after.find(lower(key));
        bool was = old_value != before.end();
        bool is = new_value != after.end();
        if (was != is || (was && lower(old_value->second) != lower(new_value->second)))
            changed.push_back(key);
    }
    return changed;
}

std::string role_feature(const std::string& role) {
    if (role == "c") return "classical";
    if (role == "q") return "qpu";
    return "";
}

NodeFeatures parse_node_features(const std::string& text, const std::string& file_name) {
    NodeFeatures result;
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        auto parts = words(without_comment(line));
        if (parts.empty()) continue;
        std::string where = file_name + ":" + std::to_string(number) + ": ";
        std::string role;
        std::vector<std::string> features;
        bool has_features = false;
        for (const auto& part : parts) {
            auto at = part.find('=');
            std::string key = lower(part.substr(0, at));
            std::string value = at == std::string::npos ? "" : part.substr(at + 1);
            if (key == "role") {
                role = value;
            } else if (key == "features" || key == "feature") {
                has_features = true;
                std::istringstream list(value);
                std::string feature;
                while (std::getline(list, feature, ','))
                    if (!feature.empty()) features.push_back(feature);
            } else {
                result.errors.push_back(where + "unknown setting '" + part +
                                        "'; write Role=c Features=name,name");
            }
        }
        if (role_feature(role).empty()) {
            result.errors.push_back(where + "Role='" + role +
                                    "' is not a node role; give Role=c or Role=q");
        } else if (!has_features) {
            result.errors.push_back(where + "no Features= for role " + role +
                                    "; write Features=name,name (or Features= for none)");
        } else if (result.extra.count(role)) {
            result.errors.push_back(where + "role " + role +
                                    " is given twice; keep one line per role");
        } else {
            result.extra[role] = features;
        }
    }
    return result;
}

std::string wanted_features(const std::string& role, const NodeFeatures& features) {
    std::vector<std::string> list = {role_feature(role)};
    auto extra = features.extra.find(role);
    if (extra != features.extra.end()) {
        for (const auto& feature : extra->second)
            if (std::find(list.begin(), list.end(), feature) == list.end()) list.push_back(feature);
    }
    std::string text;
    for (const auto& feature : list) text += (text.empty() ? "" : ",") + feature;
    return text;
}

}  // namespace rqinit::slurm
