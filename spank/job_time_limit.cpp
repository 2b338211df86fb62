#include "spank/job_time_limit.hpp"

#include <algorithm>
#include <charconv>

namespace rqinit::qpu {
namespace {

// Slurm writes them with "%lu": digits only.
std::optional<uint64_t> unix_seconds(const std::string& text) {
    uint64_t seconds = 0;
    const char* end = text.data() + text.size();
    auto [at, error] = std::from_chars(text.data(), end, seconds);
    if (error != std::errc() || at != end) return std::nullopt;
    return seconds;
}

// One variable's time, or nullopt with `error` set.
std::optional<uint64_t> time_of(const char* name, const std::optional<std::string>& value,
                                std::string& error) {
    const std::string needs = "--qpu needs the job's time limit, and ";
    if (!value) {
        error = needs + name + " is not in its environment (Slurm 23.02 and later set it)";
        return std::nullopt;
    }
    auto seconds = unix_seconds(*value);
    if (!seconds) error = needs + name + "=\"" + *value + "\" is not a time in Unix seconds";
    return seconds;
}

}  // namespace

JobTimeLimit job_time_limit(const std::optional<std::string>& start_time,
                            const std::optional<std::string>& end_time) {
    JobTimeLimit limit;
    const auto start = time_of("SLURM_JOB_START_TIME", start_time, limit.error);
    if (!start) return limit;
    const auto end = time_of("SLURM_JOB_END_TIME", end_time, limit.error);
    if (!end) return limit;
    if (*end < *start) {
        limit.error =
            "--qpu needs the job's time limit, and SLURM_JOB_END_TIME is before "
            "SLURM_JOB_START_TIME";
        return limit;
    }
    const uint64_t span = *end - *start;
    limit.minutes = span == kUnlimitedSpanSeconds
                        ? kInfiniteTimeLimit
                        : static_cast<uint32_t>(std::min<uint64_t>(span / 60, kInfiniteTimeLimit));
    return limit;
}

std::string timeout_seconds(uint32_t time_limit_minutes) {
    const uint64_t seconds = uint64_t{time_limit_minutes} * 60;
    if (time_limit_minutes == kInfiniteTimeLimit || seconds > 0xffffffffu)
        return std::to_string(0xffffffffu);
    return std::to_string(seconds);
}

}  // namespace rqinit::qpu
