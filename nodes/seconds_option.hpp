// A command-line option holding a number of seconds above 0 (rqinit-lost-nodes --grace and
// --every, rqinit-node watch --every), checked with one clear line: CLI11's own range check
// prints the whole range of double.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "init/seconds_text.hpp"

namespace rqinit {

// where: what else may have given the value (an environment variable), for the message.
inline CLI::Validator seconds_validator(std::string where = "the command line") {
    return CLI::Validator(
        [where](std::string& text) {
            return seconds_of(text)
                       ? std::string()
                       : "'" + text + "' is not a number of seconds above 0 (from " + where + ")";
        },
        "SECONDS");
}

}  // namespace rqinit
