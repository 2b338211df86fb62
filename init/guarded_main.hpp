// The main() of rqinit's helper programs (rqinit-nfs, rqinit-lost-nodes, rqinit-node): their
// command line parsed with CLI11's messages and exit 2 for a bad one; an exception that escapes
// their work is one line and exit 111, as in rqinit, never "terminate called" and an abort.
#pragma once

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <optional>

#include "init/exit_codes.hpp"

namespace rqinit {

// Parses argv into app; nothing when the program goes on, else its exit code (0 after --help or
// --version, 2 for a bad command line, CLI11 having said why).
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : exit_code::kUsage;
    }
    return std::nullopt;
}

template <typename Work>
int guarded_main(Work work, int argc, char** argv) {
    try {
        return work(argc, argv);
    } catch (const std::exception& error) {
        spdlog::critical("{}", error.what());
    } catch (...) {
        spdlog::critical("unknown error");
    }
    return exit_code::kSystem;
}

}  // namespace rqinit
