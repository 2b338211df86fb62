#include "spank/time_limit_lookup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

extern char** environ;

namespace rqinit::qpu {
namespace {

constexpr uint32_t kUnlimited = 0xffffffffu;  // Slurm's INFINITE

// "[D-]HH:MM:SS", "MM:SS" or "M" into whole minutes, as Slurm's time_str2mins reads them.
std::optional<uint32_t> minutes_of(const std::string& text) {
    uint64_t days = 0;
    std::string clock = text;
    if (auto dash = text.find('-'); dash != std::string::npos) {
        auto [end, error] = std::from_chars(text.data(), text.data() + dash, days);
        if (error != std::errc() || end != text.data() + dash) return std::nullopt;
        clock = text.substr(dash + 1);
    }
    std::vector<uint64_t> parts;
    const char* at = clock.data();
    const char* const last = clock.data() + clock.size();
    while (true) {
        uint64_t value = 0;
        auto [end, error] = std::from_chars(at, last, value);
        if (error != std::errc()) return std::nullopt;
        parts.push_back(value);
        if (end == last) break;
        if (*end != ':') return std::nullopt;
        at = end + 1;
    }
    uint64_t seconds = 0;
    if (parts.size() == 3)
        seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
    else if (parts.size() == 2)
        seconds = parts[0] * 60 + parts[1];
    else if (parts.size() == 1)
        seconds = parts[0] * 60;
    else
        return std::nullopt;
    const uint64_t minutes = days * 24 * 60 + (seconds + 59) / 60;
    if (minutes >= kUnlimited) return std::nullopt;
    return static_cast<uint32_t>(minutes);
}

}  // namespace

std::optional<uint32_t> parse_time_limit(const std::string& output) {
    const auto first = output.find_first_not_of(" \n");
    if (first == std::string::npos) return std::nullopt;
    const std::string value = output.substr(first, output.find_last_not_of(" \n") + 1 - first);
    if (value == "UNLIMITED") return kUnlimited;
    return minutes_of(value);
}

TimeLimitLookup::~TimeLimitLookup() {
    if (answer_fd_ >= 0) close(answer_fd_);
}

void TimeLimitLookup::start(const std::vector<std::string>& command, Ask fallback) {
    fallback_ = std::move(fallback);
    int fds[2];
    if (command.empty() || pipe2(fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);  // dup2 clears close-on-exec
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    for (const auto& word : command) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (spawned != 0) {
        close(fds[0]);
        return;
    }
    answer_fd_ = fds[0];
}

std::optional<uint32_t> TimeLimitLookup::wait(std::chrono::milliseconds timeout) {
    if (answer_fd_ >= 0) {
        std::string output;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd ready{answer_fd_, POLLIN, 0};
            const int polled = poll(&ready, 1, static_cast<int>(std::max<long>(0, left.count())));
            if (polled < 0 && errno == EINTR) continue;
            if (polled <= 0) break;  // the deadline, or an error: what came so far is all
            char buffer[4096];
            const ssize_t got = read(answer_fd_, buffer, sizeof buffer);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;  // the command's end
            output.append(buffer, static_cast<size_t>(got));
        }
        close(answer_fd_);
        answer_fd_ = -1;
        if (auto minutes = parse_time_limit(output)) return minutes;
    }
    return fallback_ ? fallback_() : std::nullopt;  // no command, or no answer from it in time
}

}  // namespace rqinit::qpu
