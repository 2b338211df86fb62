#include "spank/plugin_arguments.hpp"

#include <doctest/doctest.h>

using namespace rqinit::qpu;
using Settings = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("plugstack.conf: the config's path, then --env:KEY=VALUE in order") {
    auto arguments = parse_plugin_arguments(
        {"/etc/slurm/qrmi_config.json", "--env:QRMI_LOG=1", "--env:URL=http://a/?b=c", "--env:E="});
    CHECK(arguments.error.empty());
    CHECK(arguments.config_path == "/etc/slurm/qrmi_config.json");
    CHECK(arguments.environment ==
          Settings{{"QRMI_LOG", "1"}, {"URL", "http://a/?b=c"}, {"E", ""}});
}

TEST_CASE("plugstack.conf: a bad argument is one line naming it") {
    const std::string where = "plugstack.conf, the qpu plugin's arguments: ";
    CHECK(parse_plugin_arguments({}).error ==
          where + "the first must be the QRMI config's path, e.g. /etc/slurm/qrmi_config.json");
    CHECK(parse_plugin_arguments({"--env:A=1"}).error ==
          where + "the first must be the QRMI config's path, e.g. /etc/slurm/qrmi_config.json");
    CHECK(parse_plugin_arguments({"/c.json", "--env:NOVALUE"}).error ==
          where + "\"--env:NOVALUE\" has no KEY=VALUE (write --env:KEY=VALUE)");
    CHECK(parse_plugin_arguments({"/c.json", "--env:=x"}).error ==
          where + "\"--env:=x\" has no KEY=VALUE (write --env:KEY=VALUE)");
    CHECK(parse_plugin_arguments({"/c.json", "verbose"}).error ==
          where + "\"verbose\" is not --env:KEY=VALUE");
}
