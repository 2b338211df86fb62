// A number of seconds above 0 as text: what a grace period or an interval given on a command
// line or in an environment variable must be.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace rqinit {

// The seconds, or nullopt for anything but a number above 0 ("", "x", "-5", "10s", "0").
inline std::optional<double> seconds_of(std::string_view text) {
    double seconds = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size() || !(seconds > 0))
        return std::nullopt;
    return seconds;
}

}  // namespace rqinit
