// QRMI's configuration file (qrmi_config.json), as spank_qrmi reads it: the QPUs a job may ask
// for with --qpu, each with its QRMI type and the environment its SDK needs. Pure: parsing and
// checking only, shared by the plugin and by rqinit (which derives the names-only file from it).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rqinit::qpu {

// One line: the file, where in it, what is wrong. Never a value from the file (they are
// credentials).
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct QpuResource {
    std::string name;  // what --qpu names, and the prefix of its variables
    std::string type;  // one of qrmi_types()
    // In the file's order; each is exported to the job as <name>_<KEY>.
    std::vector<std::pair<std::string, std::string>> environment;
    // "allowed_groups": the Unix groups whose members may use it; empty: everyone may. QRMI
    // ignores the key, so a config with it is still QRMI's.
    std::vector<std::string> allowed_groups;
};

struct QpuConfig {
    std::vector<QpuResource> resources;  // in the file's order, one per name
    const QpuResource* find(std::string_view name) const;
    std::vector<std::string> names() const;
};

// The types QRMI knows (its resource type enum, as the config spells them), in QRMI's order; the
// names it retired are refused, each with what replaced it.
const std::vector<std::string>& qrmi_types();

// Throws ConfigError naming `path`. An unknown or retired type, a retired environment key or
// invalid JSON rejects the whole file; a name given twice: the last entry wins (QRMI's
// behaviour), at the place of the first.
QpuConfig parse_qrmi_config(std::string_view text, const std::string& path);
QpuConfig read_qrmi_config(const std::string& path);

// "a, b, c" (or with another separator): the one way lists are written in messages and
// variables; "none" for an empty list when `empty` says so.
std::string joined(const std::vector<std::string>& words, std::string_view separator = ", ",
                   std::string_view empty = "");

// The names-only file: one QPU a line, `NAME` or `NAME groups=a,b` (its allowed groups), nothing
// else: it holds no credential, and is world-readable on the login node so that sbatch can
// check --qpu at submission (qpu_request.hpp reads it).
std::string names_file_text(const QpuConfig& config);

}  // namespace rqinit::qpu
