// Monotonic time in seconds, the one clock of rqinit's deadlines (never the wall clock, which
// a container may see jump).
#pragma once

#include <chrono>
#include <limits>

namespace rqinit {

inline double monotonic_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

constexpr double kNever = std::numeric_limits<double>::infinity();

}  // namespace rqinit
