// The RQINIT_* variables that a role's own services read, checked before anything starts: a
// bad value found later, by the service, would stop only that service, and its restarts would
// repeat the error until the container stopped.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace rqinit {

// How the check reads a variable: nullptr when unset (getenv, or a table in a test).
using EnvironmentLookup = std::function<const char*(const char* name)>;

// One line for each bad value, naming the variable, the value and what it must be.
std::vector<std::string> role_environment_errors(const std::string& role,
                                                 const EnvironmentLookup& lookup);

}  // namespace rqinit
