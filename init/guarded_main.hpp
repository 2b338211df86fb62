// The main() of rqinit's helper programs (rqinit-nfs, rqinit-lost-nodes, rqinit-node): an
// exception that escapes their work is one line and exit 111, as in rqinit, never
// "terminate called" and an abort.
#pragma once

#include <spdlog/spdlog.h>

#include <exception>

#include "init/exit_codes.hpp"

namespace rqinit {

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
