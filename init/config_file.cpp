#include "init/config_file.hpp"

#include <toml++/toml.h>
#include <fstream>
#include <set>
#include <sstream>

#include "init/signal_names.hpp"

namespace rqinit {
namespace {

const std::set<std::string> kServiceKeys = {"command",
                                            "user",
                                            "capabilities",
                                            "environment",
                                            "working_directory",
                                            "depends_on",
                                            "restart",
                                            "oneshot",
                                            "output",
                                            "start_timeout",
                                            "stop_signal",
                                            "stop_timeout",
                                            "restart_delay",
                                            "restart_delay_max",
                                            "restart_limit",
                                            "restart_window",
                                            "ready",
                                            "health",
                                            "health_retries",
                                            "after_ready",
                                            "before_stop",
                                            "after_stop",
                                            "hook_timeout"};

const std::set<std::string> kProbeKeys = {"tcp", "unix", "command", "interval"};

std::string join(const std::set<std::string>& words) {
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : ", ") + w;
    return text;
}

// Reads one [services.NAME] table, collecting an error line for each bad key.
class ServiceReader {
  public:
    ServiceReader(const toml::table& table, std::string prefix, std::string source,
                  std::vector<std::string>& errors)
        : table_(table), prefix_(std::move(prefix)), source_(std::move(source)), errors_(errors) {}

    void check_keys(const toml::table& table, const std::string& prefix,
                    const std::set<std::string>& known) {
        for (const auto& [key, node] : table) {
            std::string name(key.str());
            if (!known.count(name))
                fail(node, prefix + "." + name, "unknown key (known keys: " + join(known) + ")");
        }
    }

    std::string origin_of(const toml::node& node) const {
        return source_ + ":" + std::to_string(node.source().begin.line);
    }

    void fail(const toml::node& node, const std::string& key, const std::string& reason) {
        errors_.push_back(origin_of(node) + ": " + key + ": " + reason);
    }

    // Each read_* leaves `out` untouched when the key is absent, and records an error when the
    // value has the wrong type.
    template <typename Check>
    const toml::node* find(const std::string& key, ServiceSpec& spec, Check check,
                           const char* expected) {
        const toml::node* node = table_.get(key);
        if (!node) return nullptr;
        spec.key_origins[key] = origin_of(*node);
        if (!check(*node)) {
            fail(*node, prefix_ + "." + key, std::string("expected ") + expected);
            return nullptr;
        }
        return node;
    }

    void read_string(const std::string& key, ServiceSpec& spec, std::string& out) {
        auto is = [](const toml::node& n) { return n.is_string(); };
        if (auto* node = find(key, spec, is, "a string")) out = **node->as_string();
    }

    bool read_strings(const std::string& key, ServiceSpec& spec, std::vector<std::string>& out) {
        auto is = [](const toml::node& n) {
            auto* array = n.as_array();
            // toml++ calls an empty array not homogeneous; `capabilities = []` must be allowed.
            return array && (array->empty() || array->is_homogeneous(toml::node_type::string));
        };
        auto* node = find(key, spec, is, "an array of strings");
        if (!node) return false;
        out.clear();
        for (const auto& item : *node->as_array()) out.push_back(**item.as_string());
        return true;
    }

    void read_seconds(const std::string& key, ServiceSpec& spec, double& out) {
        auto is = [](const toml::node& n) {
            auto value = n.value<double>();
            return (n.is_integer() || n.is_floating_point()) && value && *value >= 0;
        };
        if (auto* node = find(key, spec, is, "a number of seconds, 0 or more"))
            out = *node->value<double>();
    }

    void read_count(const std::string& key, ServiceSpec& spec, int& out) {
        auto is = [](const toml::node& n) { return n.is_integer() && *n.value<int64_t>() >= 0; };
        if (auto* node = find(key, spec, is, "a whole number, 0 or more"))
            out = static_cast<int>(*node->value<int64_t>());
    }

    void read_flag(const std::string& key, ServiceSpec& spec, bool& out) {
        auto is = [](const toml::node& n) { return n.is_boolean(); };
        if (auto* node = find(key, spec, is, "true or false")) out = **node->as_boolean();
    }

    template <typename Enum>
    void read_choice(const std::string& key, ServiceSpec& spec, Enum& out,
                     const std::vector<std::pair<std::string, Enum>>& choices) {
        std::string text;
        read_string(key, spec, text);
        if (text.empty()) return;
        std::set<std::string> names;
        for (const auto& [name, value] : choices) {
            if (name == text) return void(out = value);
            names.insert(name);
        }
        fail(*table_.get(key), prefix_ + "." + key, "'" + text + "' is not one of " + join(names));
    }

    void read_signal(ServiceSpec& spec) {
        std::string text;
        read_string("stop_signal", spec, text);
        if (text.empty()) return;
        if (auto number = parse_signal(text)) return void(spec.stop_signal = *number);
        fail(*table_.get("stop_signal"), prefix_ + ".stop_signal", "unknown signal '" + text + "'");
    }

    void read_environment(ServiceSpec& spec) {
        auto is = [](const toml::node& n) { return n.is_table(); };
        auto* node = find("environment", spec, is, "a table of strings");
        if (!node) return;
        for (const auto& [key, value] : *node->as_table()) {
            if (!value.is_string()) {
                fail(value, prefix_ + ".environment." + std::string(key.str()),
                     "expected a string");
                continue;
            }
            spec.environment[std::string(key.str())] = **value.as_string();
        }
    }

    // `ready` and `health`: { tcp = "host:port" }, { unix = "/path" } or { command = [...] }.
    void read_probe(const std::string& key, ServiceSpec& spec, Probe& out) {
        auto is = [](const toml::node& n) { return n.is_table(); };
        auto* node = find(key, spec, is, "a table such as { tcp = \"host:port\" }");
        if (!node) return;
        const toml::table& probe = *node->as_table();
        std::string prefix = prefix_ + "." + key;
        check_keys(probe, prefix, kProbeKeys);
        int kinds = 0;
        if (auto* tcp = probe.get_as<std::string>("tcp")) {
            out = {Probe::Kind::tcp, **tcp, {}, out.interval};
            ++kinds;
        }
        if (auto* unix_path = probe.get_as<std::string>("unix")) {
            out = {Probe::Kind::unix_socket, **unix_path, {}, out.interval};
            ++kinds;
        }
        if (auto* command = probe.get_as<toml::array>("command")) {
            out.kind = Probe::Kind::command;
            for (const auto& item : *command)
                if (item.is_string()) out.argv.push_back(**item.as_string());
            if (out.argv.empty()) fail(*command, prefix + ".command", "must not be empty");
            ++kinds;
        }
        if (auto* interval = probe.get("interval")) {
            auto value = interval->value<double>();
            if (!value || *value <= 0)
                fail(*interval, prefix + ".interval", "expected seconds > 0");
            else
                out.interval = *value;
        }
        if (kinds != 1) fail(*node, prefix, "give exactly one of tcp, unix or command");
    }

  private:
    const toml::table& table_;
    std::string prefix_;
    std::string source_;
    std::vector<std::string>& errors_;
};

ServiceSpec read_service(const std::string& name, const toml::table& table,
                         const std::string& source, std::vector<std::string>& errors) {
    ServiceSpec spec;
    spec.name = name;
    std::string prefix = "services." + name;
    ServiceReader reader(table, prefix, source, errors);
    spec.origin = reader.origin_of(table);
    reader.check_keys(table, prefix, kServiceKeys);
    bool has_command = reader.read_strings("command", spec, spec.command) && !spec.command.empty();
    // Without a command, a service is a wait: it has only its ready probe.
    if (!has_command && !table.contains("ready"))
        reader.fail(table, prefix + ".command",
                    "required: the program and its arguments (or only `ready`, for a wait)");
    reader.read_string("user", spec, spec.user);
    std::vector<std::string> capabilities;
    if (reader.read_strings("capabilities", spec, capabilities)) spec.capabilities = capabilities;
    reader.read_environment(spec);
    reader.read_string("working_directory", spec, spec.working_directory);
    reader.read_strings("depends_on", spec, spec.depends_on);
    reader.read_flag("oneshot", spec, spec.oneshot);
    reader.read_choice("restart", spec, spec.restart,
                       {{"always", RestartPolicy::always},
                        {"on-failure", RestartPolicy::on_failure},
                        {"never", RestartPolicy::never}});
    reader.read_choice("output", spec, spec.output,
                       {{"prefix", OutputMode::prefix}, {"inherit", OutputMode::inherit}});
    reader.read_seconds("start_timeout", spec, spec.start_timeout);
    reader.read_signal(spec);
    reader.read_seconds("stop_timeout", spec, spec.stop_timeout);
    reader.read_seconds("restart_delay", spec, spec.restart_delay);
    reader.read_seconds("restart_delay_max", spec, spec.restart_delay_max);
    reader.read_count("restart_limit", spec, spec.restart_limit);
    reader.read_seconds("restart_window", spec, spec.restart_window);
    reader.read_probe("ready", spec, spec.ready);
    reader.read_probe("health", spec, spec.health);
    reader.read_count("health_retries", spec, spec.health_retries);
    reader.read_strings("after_ready", spec, spec.after_ready);
    reader.read_strings("before_stop", spec, spec.before_stop);
    reader.read_strings("after_stop", spec, spec.after_stop);
    reader.read_seconds("hook_timeout", spec, spec.hook_timeout);
    return spec;
}

const std::set<std::string> kMountKeys = {"url", "target", "client", "timeout"};

std::string line_of(const toml::node& node, const std::string& source) {
    return source + ":" + std::to_string(node.source().begin.line);
}

// One [[mounts]] table: url and target are needed; the URL itself is checked where NFS is
// understood (nfs/mount_services.cpp), before anything starts.
MountSpec read_mount(const toml::table& table, const std::string& where,
                     std::vector<std::string>& errors) {
    MountSpec mount;
    mount.origin = where;
    for (const auto& [key, node] : table)
        if (!kMountKeys.count(std::string(key.str())))
            errors.push_back(where + "." + std::string(key.str()) +
                             ": unknown key (known keys: " + join(kMountKeys) + ")");
    auto text = [&](const char* key, std::string& out) {
        const toml::node* node = table.get(key);
        if (!node) return;
        if (auto value = node->value<std::string>())
            out = *value;
        else
            errors.push_back(where + "." + key + ": expected a string");
    };
    text("url", mount.url);
    text("target", mount.target);
    if (mount.url.empty()) errors.push_back(where + ".url: missing (e.g. \"nfs://nfs/shared\")");
    if (mount.target.empty() || mount.target[0] != '/')
        errors.push_back(where + ".target: an absolute path is needed (e.g. \"/shared\")");
    std::string client = "auto";
    text("client", client);
    if (client == "kernel")
        mount.client = MountSpec::Client::kernel;
    else if (client == "fuse")
        mount.client = MountSpec::Client::fuse;
    else if (client != "auto")
        errors.push_back(where + ".client: '" + client + "' is not auto, kernel or fuse");
    if (const toml::node* node = table.get("timeout")) {
        auto seconds = node->value<double>();
        if (!seconds || *seconds <= 0)
            errors.push_back(where + ".timeout: expected a positive number of seconds");
        else
            mount.timeout = *seconds;
    }
    return mount;
}

void read_mounts(const toml::node& node, const std::string& source, ConfigResult& result) {
    const toml::array* array = node.as_array();
    if (!array) {
        result.errors.push_back(line_of(node, source) + ": mounts: expected [[mounts]] tables");
        return;
    }
    for (const auto& item : *array) {
        std::string where = line_of(item, source) + ": mounts";
        if (!item.is_table()) {
            result.errors.push_back(where + ": expected a table (url, target)");
            continue;
        }
        result.plan.mounts.push_back(read_mount(*item.as_table(), where, result.errors));
    }
}

ConfigResult read_plan(const toml::table& root, const std::string& source) {
    ConfigResult result;
    for (const auto& [key, node] : root) {
        std::string name(key.str());
        std::string where = line_of(node, source) + ": " + name;
        if (name == "mounts") {
            read_mounts(node, source, result);
        } else if (name != "services") {
            result.errors.push_back(where + ": unknown key (known keys: mounts, services)");
        } else if (!node.is_table()) {
            result.errors.push_back(where + ": expected tables such as [services.NAME]");
        }
    }
    const toml::table* services = root.get_as<toml::table>("services");
    if (!services) return result;
    for (const auto& [key, node] : *services) {
        std::string name(key.str());
        if (!node.is_table()) {
            result.errors.push_back(source + ":" + std::to_string(node.source().begin.line) +
                                    ": services." + name + ": expected a table");
            continue;
        }
        result.plan.services.push_back(read_service(name, *node.as_table(), source, result.errors));
    }
    return result;
}

}  // namespace

ConfigResult parse_config(std::string_view text, const std::string& source_name) {
    try {
        return read_plan(toml::parse(text, source_name), source_name);
    } catch (const toml::parse_error& error) {
        ConfigResult result;
        result.errors.push_back(source_name + ":" + std::to_string(error.source().begin.line) +
                                ": " + std::string(error.description()));
        return result;
    }
}

ConfigResult load_config_file(const std::string& path) {
    std::ifstream file(path);
    if (!file) {
        ConfigResult result;
        result.errors.push_back(path + ": cannot read the config file (does it exist?)");
        return result;
    }
    std::stringstream text;
    text << file.rdbuf();
    return parse_config(text.str(), path);
}

}  // namespace rqinit
