// What a job asks for with --qpu=NAMES, and the checks made of it before it runs: the names
// given, and (on the login node, at sbatch/srun/salloc time) whether the cluster knows them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spank/qrmi_config.hpp"

namespace rqinit::qpu {

// "a,b" -> {"a", "b"}, in order. An empty list or an empty name (",a", "a,,b") is an error,
// returned as one line; a name given twice is kept once.
struct ParsedNames {
    std::vector<std::string> names;
    std::string error;  // empty when the list is good
};
ParsedNames parse_qpu_names(std::string_view argument);

// Where the names-only file of a config lives: beside it, ".json" replaced by ".names"
// (/etc/slurm/qrmi_config.json -> /etc/slurm/qrmi_config.names).
std::string names_file_for(const std::string& config_path);

// The QPUs of a names-only file (names_file_text's `NAME` or `NAME groups=a,b` a line), each
// with its name and allowed groups only: the file has no type and no environment. Blank lines
// and "#" comments are skipped, and so is any other word after the name.
QpuConfig parse_names_file(std::string_view text);

// The one line refusing an unknown name, with the names the cluster knows; nullopt when all
// are known.
std::optional<std::string> unknown_names_error(const std::vector<std::string>& requested,
                                               const std::vector<std::string>& known);

}  // namespace rqinit::qpu
