#include "init/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>

#include "init/capabilities.hpp"
#include "init/executable_lookup.hpp"
#include "init/exit_codes.hpp"

extern char** environ;

namespace rqinit {
namespace {

// What the child reports through the error pipe when a step before exec fails.
enum class Step : int {
    session,
    stdio,
    chdir,
    bounding_set,
    keepcaps,
    setgroups,
    setgid,
    setuid,
    capabilities,
    signals,
    exec
};

const char* step_name(Step step) {
    switch (step) {
        case Step::session:
            return "setsid";
        case Step::stdio:
            return "redirecting stdio";
        case Step::chdir:
            return "chdir";
        case Step::bounding_set:
            return "limiting the capability bounding set";
        case Step::keepcaps:
            return "PR_SET_KEEPCAPS";
        case Step::setgroups:
            return "setgroups";
        case Step::setgid:
            return "setgid";
        case Step::setuid:
            return "setuid";
        case Step::capabilities:
            return "raising capabilities";
        case Step::signals:
            return "restoring signal dispositions and mask";
        case Step::exec:
            return "exec";
    }
    return "?";
}

struct ChildFailure {
    Step step;
    int error;
};

[[noreturn]] void fail(int error_fd, Step step, int error) {
    ChildFailure failure{step, error};
    ssize_t ignored = write(error_fd, &failure, sizeof failure);
    (void)ignored;
    // 126/127 as a shell would say for exec; 111 (s6's "system call failed") for the steps.
    _exit(step != Step::exec
              ? exit_code::kSystem
              : (error == ENOENT ? exit_code::kNotFound : exit_code::kCannotExecute));
}

void enter_session(const SpawnRequest& request, int error_fd) {
    if (request.new_session) {
        if (setsid() < 0) fail(error_fd, Step::session, errno);
        return;
    }
    if (setpgid(0, 0) < 0) fail(error_fd, Step::session, errno);
    // Give the terminal to the new group so that Ctrl-C reaches the command. SIGTTOU is still
    // blocked here (inherited mask), which is what lets a background group call tcsetpgrp.
    if (isatty(STDIN_FILENO)) tcsetpgrp(STDIN_FILENO, getpid());
}

void redirect_output(int output_fd, int error_fd) {
    if (output_fd < 0) return;
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(output_fd, STDOUT_FILENO) < 0 ||
        dup2(output_fd, STDERR_FILENO) < 0)
        fail(error_fd, Step::stdio, errno);
}

// The one fd a child inherits on purpose, always as fd 3 (the others are close-on-exec).
void pass_fd(int fd, int error_fd) {
    if (fd < 0) return;
    if (fd == 3) {  // dup2 onto itself would keep close-on-exec set
        if (fcntl(fd, F_SETFD, 0) < 0) fail(error_fd, Step::stdio, errno);
        return;
    }
    if (dup2(fd, 3) < 0) fail(error_fd, Step::stdio, errno);
}

void drop_privileges(const SpawnRequest& request, int error_fd) {
    const auto& caps = request.capabilities;
    if (int error = drop_from_bounding_set(request.drop_from_bounding))
        fail(error_fd, Step::bounding_set, error);
    if (caps) {
        if (int error = limit_bounding_set(*caps)) fail(error_fd, Step::bounding_set, error);
        if (int error = keep_capabilities_across_setuid()) fail(error_fd, Step::keepcaps, error);
    }
    if (const auto& c = request.credentials) {
        // The order matters: after setuid the process may no longer change its groups.
        if (setgroups(c->groups.size(), c->groups.data()) < 0)
            fail(error_fd, Step::setgroups, errno);
        if (setgid(c->gid) < 0) fail(error_fd, Step::setgid, errno);
        if (setuid(c->uid) < 0) fail(error_fd, Step::setuid, errno);
    }
    if (caps) {
        if (int error = raise_capabilities(*caps)) fail(error_fd, Step::capabilities, error);
    }
}

// rqinit blocks every signal for its signalfd; a child must not inherit that (tini checks the
// same with its sigconf test), nor any disposition rqinit's parent left ignored.
//
// glibc's signal() refuses 32 and 33 (its own), yet a parent may have left them ignored, and an
// ignored disposition survives exec: set every one with the raw system call instead.
void restore_signals(int error_fd) {
    struct KernelSigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)();
        uint64_t mask;
    } default_action{SIG_DFL, 0, nullptr, 0};
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (syscall(SYS_rt_sigaction, sig, &default_action, nullptr, sizeof default_action.mask))
            fail(error_fd, Step::signals, errno);
    }
    // A child that kept rqinit's mask would ignore every stop signal: better not to run it.
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, nullptr) != 0) fail(error_fd, Step::signals, errno);
}

[[noreturn]] void run_child(const SpawnRequest& request, const std::string& program,
                            char* const* argv, char* const* envp, int error_fd) {
    enter_session(request, error_fd);
    redirect_output(request.output_fd, error_fd);
    pass_fd(request.pass_fd, error_fd);
    if (chdir(request.working_directory.c_str()) < 0) fail(error_fd, Step::chdir, errno);
    drop_privileges(request, error_fd);
    restore_signals(error_fd);
    execve(program.c_str(), argv, envp);
    fail(error_fd, Step::exec, errno);
}

std::vector<char*> pointers_to(const std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (const auto& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

std::string search_path_of(const std::vector<std::string>& environment) {
    for (const auto& entry : environment)
        if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

}  // namespace

SpawnResult spawn(const SpawnRequest& request) {
    if (request.argv.empty()) return {-1, exit_code::kNotFound, "empty command"};
    ExecutableLookup lookup{request.program, 0, ""};
    if (lookup.path.empty())
        lookup = find_executable(request.argv[0], search_path_of(request.environment));
    if (lookup.exit_code != 0) return {-1, lookup.exit_code, lookup.reason};
    // A relative path means relative to rqinit's directory, not to the service's.
    if (lookup.path[0] != '/') {
        char cwd[4096];
        if (getcwd(cwd, sizeof cwd)) lookup.path = std::string(cwd) + "/" + lookup.path;
    }
    auto argv = pointers_to(request.argv);
    auto envp = pointers_to(request.environment);

    // The close-on-exec pipe tells the parent whether exec happened: EOF means it did.
    int error_pipe[2];
    if (pipe2(error_pipe, O_CLOEXEC) < 0)
        return {-1, exit_code::kSystem, std::string("pipe: ") + strerror(errno)};
    // The child puts a passed fd at 3: its end of the error pipe must not be there.
    if (request.pass_fd >= 0 && error_pipe[1] <= 3) {
        int moved = fcntl(error_pipe[1], F_DUPFD_CLOEXEC, 4);
        close(error_pipe[1]);
        if (moved < 0) {
            close(error_pipe[0]);
            return {-1, exit_code::kSystem, std::string("fcntl: ") + strerror(errno)};
        }
        error_pipe[1] = moved;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(error_pipe[0]);
        close(error_pipe[1]);
        return {-1, exit_code::kSystem, std::string("fork: ") + strerror(error)};
    }
    if (pid == 0) {
        close(error_pipe[0]);
        run_child(request, lookup.path, argv.data(), envp.data(), error_pipe[1]);
    }
    close(error_pipe[1]);
    ChildFailure failure{};
    ssize_t got;
    do got = read(error_pipe[0], &failure, sizeof failure);
    while (got < 0 && errno == EINTR);
    close(error_pipe[0]);
    if (got != static_cast<ssize_t>(sizeof failure)) return {pid, 0, ""};

    int status = 0;
    waitpid(pid, &status, 0);  // the child has exited already; reap it here, not in the loop
    return {-1, WIFEXITED(status) ? WEXITSTATUS(status) : exit_code::kSystem,
            std::string(step_name(failure.step)) + " failed: " + strerror(failure.error)};
}

std::vector<std::string> merge_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
    std::vector<std::string> merged;
    for (char** entry = environ; *entry; ++entry) {
        std::string text = *entry;
        std::string key = text.substr(0, text.find('='));
        bool overridden = false;
        for (const auto& [k, v] : overrides) overridden = overridden || k == key;
        if (!overridden) merged.push_back(text);
    }
    for (const auto& [k, v] : overrides) merged.push_back(k + "=" + v);
    return merged;
}

}  // namespace rqinit
