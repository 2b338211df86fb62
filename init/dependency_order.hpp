// Start order from depends_on: dependencies first. Stop order is its reverse.
#pragma once

#include <string>
#include <vector>

#include "init/plan.hpp"

namespace rqinit {

// Indexes into services, each after everything it depends on. Throws std::runtime_error naming
// an unknown dependency ("b depends on 'x', which is not a service") or the cycle ("a -> b -> a").
std::vector<size_t> dependency_order(const std::vector<ServiceSpec>& services);

}  // namespace rqinit
