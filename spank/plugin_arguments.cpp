#include "spank/plugin_arguments.hpp"

namespace rqinit::qpu {

PluginArguments parse_plugin_arguments(const std::vector<std::string>& argv) {
    PluginArguments arguments;
    const std::string where = "plugstack.conf, the qpu plugin's arguments: ";
    if (argv.empty() || argv[0].rfind("--", 0) == 0) {
        arguments.error = where +
                          "the first must be the QRMI config's path, e.g. "
                          "/etc/slurm/qrmi_config.json";
        return arguments;
    }
    arguments.config_path = argv[0];
    const std::string env_prefix = "--env:";
    for (size_t i = 1; i < argv.size(); ++i) {
        const std::string& argument = argv[i];
        if (argument.rfind(env_prefix, 0) != 0) {
            arguments.error = where + "\"" + argument + "\" is not --env:KEY=VALUE";
            return arguments;
        }
        const std::string setting = argument.substr(env_prefix.size());
        const auto equals = setting.find('=');
        if (equals == std::string::npos || equals == 0) {
            arguments.error =
                where + "\"" + argument + "\" has no KEY=VALUE (write --env:KEY=VALUE)";
            return arguments;
        }
        arguments.environment.emplace_back(setting.substr(0, equals), setting.substr(equals + 1));
    }
    return arguments;
}

}  // namespace rqinit::qpu
