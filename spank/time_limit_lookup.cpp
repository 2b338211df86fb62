#include "spank/time_limit_lookup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace rqinit::qpu {
namespace {

// The worker's whole job: the answer (4 bytes), or nothing, then the end of the process.
[[noreturn]] void answer_and_exit(int fd, const TimeLimitLookup::Ask& ask) {
    if (auto minutes = ask()) {
        uint32_t value = *minutes;
        [[maybe_unused]] ssize_t written = write(fd, &value, sizeof value);
    }
    _exit(0);
}

}  // namespace

TimeLimitLookup::~TimeLimitLookup() {
    if (answer_fd_ >= 0) close(answer_fd_);
}

void TimeLimitLookup::start(Ask ask) {
    ask_ = std::move(ask);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    const pid_t middle = fork();
    if (middle == 0) {
        close(fds[0]);
        if (fork() == 0) answer_and_exit(fds[1], ask_);
        _exit(0);  // the worker is orphaned at once: never slurmstepd's child
    }
    close(fds[1]);
    if (middle < 0) {
        close(fds[0]);
        return;
    }
    while (waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
    }
    answer_fd_ = fds[0];
}

std::optional<uint32_t> TimeLimitLookup::wait(std::chrono::milliseconds timeout) {
    if (answer_fd_ >= 0) {
        pollfd ready{answer_fd_, POLLIN, 0};
        int polled;
        while ((polled = poll(&ready, 1, static_cast<int>(timeout.count()))) < 0 &&
               errno == EINTR) {
        }
        uint32_t value = 0;
        ssize_t got = polled > 0 ? read(answer_fd_, &value, sizeof value) : -1;
        close(answer_fd_);
        answer_fd_ = -1;
        if (got == sizeof value) return value;
    }
    return ask_ ? ask_() : std::nullopt;  // no worker, or no answer from it in time
}

}  // namespace rqinit::qpu
