#include "init/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace rqinit {

bool setup_logging(const std::string& level_name, const std::string& program) {
    // Single-threaded sink: rqinit has one thread, and the _mt mutex would buy nothing.
    auto logger = spdlog::stderr_logger_st(program);
    logger->set_pattern(program + ": %l: %v");
    spdlog::set_default_logger(logger);
    spdlog::level::level_enum level = spdlog::level::from_str(level_name);
    // from_str answers "off" for any name it does not know; only "off" itself may mean off.
    bool known = level != spdlog::level::off || level_name == "off";
    spdlog::set_level(known ? level : spdlog::level::info);
    spdlog::flush_on(
        spdlog::level::trace);  // every line at once: a crash must not eat the last ones
    return known;
}

}  // namespace rqinit
