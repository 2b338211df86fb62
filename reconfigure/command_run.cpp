#include "reconfigure/command_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "init/spawn.hpp"

namespace rqinit {

CommandRun run_command(const std::vector<std::string>& argv,
                       const std::vector<std::pair<std::string, std::string>>& environment,
                       double timeout_seconds) {
    CommandRun run;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        run.output = "pipe2 failed";
        return run;
    }
    SpawnRequest request;
    request.argv = argv;
    request.environment = merge_environment(environment);
    request.output_fd = fds[1];
    SpawnResult spawned = spawn(request);
    close(fds[1]);
    if (spawned.pid <= 0) {
        close(fds[0]);
        run.exit_code = spawned.exit_code;
        run.output = spawned.reason;
        return run;
    }
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
    char buffer[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            run.timed_out = true;
            kill(spawned.pid, SIGKILL);
            break;
        }
        pollfd readable{fds[0], POLLIN, 0};
        int ready = poll(&readable, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;  // the deadline is checked at the top
        ssize_t got = read(fds[0], buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;  // every writer has closed: the program (and its children) ended
        run.output.append(buffer, static_cast<size_t>(got));
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(spawned.pid, &status, 0) < 0 && errno == EINTR) {
    }
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

std::string first_line(const std::string& text) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
        if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
    return "";
}

}  // namespace rqinit
