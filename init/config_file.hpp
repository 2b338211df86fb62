// rqinit.toml: services declared by a user in the Plan vocabulary (see docs/reference.md,
// "Services").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "init/plan.hpp"

namespace rqinit {

struct ConfigResult {
    Plan plan;
    std::vector<std::string> errors;  // one line each: "FILE:LINE: services.x.key: reason"
};

ConfigResult load_config_file(const std::string& path);
ConfigResult parse_config(std::string_view text, const std::string& source_name);

}  // namespace rqinit
