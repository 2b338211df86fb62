// The plugin's line in plugstack.conf, after its path, as spank_qrmi reads it:
//   optional /usr/lib/rqinit/spank_qpu.so /etc/slurm/qrmi_config.json --env:KEY=VALUE ...
// argv[0] is the QRMI config; each --env:KEY=VALUE is set for every job that uses --qpu.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rqinit::qpu {

struct PluginArguments {
    std::string config_path;
    std::vector<std::pair<std::string, std::string>> environment;  // from --env:, in order
    std::string error;  // one line, empty when the arguments are good
};

PluginArguments parse_plugin_arguments(const std::vector<std::string>& argv);

}  // namespace rqinit::qpu
