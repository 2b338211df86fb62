#include "init/supervisor.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "init/connect_probe.hpp"
#include "init/dependency_order.hpp"
#include "init/exit_codes.hpp"
#include "init/fd_io.hpp"
#include "init/signal_mask.hpp"
#include "init/wait_status.hpp"

namespace rqinit {
namespace {

// epoll tokens: the kind in the high half, an fd or a service index in the low half.
enum TokenKind : uint64_t { kSignal = 1, kTimer, kControl, kOutput, kProbe };
uint64_t token(TokenKind kind, uint64_t value) {
    return (uint64_t{kind} << 32) | value;
}

// Errors contained in a row before rqinit gives up on an ordered stop and kills everything.
constexpr int kMaxContainedErrors = 20;

// Signals that a plan's services get as they are (slurmctld reconfigures on SIGHUP, for one).
bool forwarded_in_plan_mode(int signal) {
    switch (signal) {
        case SIGHUP:
        case SIGQUIT:
        case SIGUSR1:
        case SIGUSR2:
        case SIGWINCH:
        case SIGALRM:
            return true;
        default:
            return false;
    }
}

[[noreturn]] void system_failure(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

Supervisor::Supervisor(Plan plan, SupervisorOptions options)
    : plan_(std::move(plan)), options_(std::move(options)), runtime_(plan_.services.size()) {
    start_order_ = dependency_order(plan_.services);
    std::map<std::string, size_t> index_of;
    for (size_t i = 0; i < plan_.services.size(); ++i) index_of[plan_.services[i].name] = i;
    dependencies_.resize(plan_.services.size());
    dependents_.resize(plan_.services.size());
    for (size_t i = 0; i < plan_.services.size(); ++i) {
        for (const auto& name : plan_.services[i].depends_on) {
            dependencies_[i].push_back(index_of.at(name));  // dependency_order checked the names
            dependents_[index_of.at(name)].push_back(i);
        }
        // check_plan resolved users once; a plan that skipped it must not run as root instead.
        const ServiceSpec& spec = plan_.services[i];
        if (!spec.user.empty() && !spec.credentials)
            throw std::logic_error(spec.name + ": user '" + spec.user + "' was not resolved");
    }
}

Supervisor::~Supervisor() {
    for (int fd : {epoll_fd_, signal_fd_, timer_fd_})
        if (fd >= 0) close(fd);
    for (auto& [fd, stream] : outputs_) close(fd);
}

void Supervisor::open_event_sources() {
    // Orphans must come to us to be reaped, even when something else is PID 1.
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        spdlog::warn("cannot become a child subreaper ({}): orphans will not be reaped",
                     strerror(errno));
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) system_failure("epoll_create1");
    sigset_t mask = blocked_signal_set();
    signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) system_failure("signalfd");
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) system_failure("timerfd_create");
    watch(signal_fd_, EPOLLIN, token(kSignal, 0));
    watch(timer_fd_, EPOLLIN, token(kTimer, 0));
    if (options_.control_socket.empty()) return;
    try {
        control_ = std::make_unique<ControlServer>(options_.control_socket);
        watch(control_->fd(), EPOLLIN, token(kControl, 0));
    } catch (const std::exception& error) {
        // A path the user chose must work; the default may not (a read-only /run), and rqinit
        // must still work as a plain init there.
        if (options_.control_socket_required)
            throw std::system_error(errno, std::generic_category(), error.what());
        spdlog::warn("{}; `rqinit status` and `rqinit health` will not answer", error.what());
    }
}

void Supervisor::watch(int fd, uint32_t events, uint64_t value) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = value;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) system_failure("epoll_ctl");
}

uint64_t Supervisor::probe_token(size_t service) {
    return token(kProbe, service);
}

void Supervisor::unwatch(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

int Supervisor::run() {
    open_event_sources();
    spdlog::info("starting {} service(s){}", plan_.services.size(),
                 getpid() == 1 ? " as PID 1" : " as a child subreaper");
    try {
        advance(monotonic_seconds());
    } catch (const std::exception& error) {
        contain(error);
    }
    while (!finished()) {
        try {
            run_one_turn();
        } catch (const std::exception& error) {
            contain(error);
            if (contained_errors_ > kMaxContainedErrors) break;
        }
    }
    // A mount whose service never got its stop (a oneshot that is done, an aborted stop)
    // must not outlive rqinit: in reverse order, like the stop.
    for (auto it = start_order_.rbegin(); it != start_order_.rend(); ++it) unmount_service(*it);
    // Drain what the last children wrote before they exited.
    for (auto it = outputs_.begin(); it != outputs_.end(); it = outputs_.begin())
        read_output(it->first);
    spdlog::info("all services have ended; exiting with status {}", exit_code_);
    return exit_code_;
}

void Supervisor::run_one_turn() {
    epoll_event events[16];
    // After a contained error, advance at once: the stop must not wait for the next event.
    int timeout = arm_timer();
    if (advance_now_) timeout = 0;
    advance_now_ = false;
    int count = epoll_wait(epoll_fd_, events, 16, timeout);
    if (count < 0 && errno != EINTR) system_failure("epoll_wait");
    for (int e = 0; e < count; ++e) dispatch(events[e].data.u64, events[e].events);
    if (control_) control_->drop_expired(monotonic_seconds());
    // Reap on every turn, not only on SIGCHLD: several children's SIGCHLD coalesce into one
    // signal, so one signal can stand for many exits.
    reap_children();
    advance(monotonic_seconds());
    note_first_health(monotonic_seconds());
    contained_errors_ = 0;
}

// Until every service has been ready once, `rqinit health` answers "starting", which
// `rqinit health --wait` waits through; after, a failing service is "unhealthy" at once.
void Supervisor::note_first_health(double now) {
    if (been_healthy_ || stopping_) return;
    for (size_t i : start_order_)
        if (!snapshot_of(i, now).healthy) return;
    been_healthy_ = true;
    spdlog::info("every service is ready: the container is healthy");
}

// Nothing may end PID 1 but the ordered stop: an error inside the loop (a failed system call,
// memory, a bug) stops every service in reverse order, and rqinit then exits 111. If the stop
// itself keeps failing, every service is killed so that rqinit still exits.
void Supervisor::contain(const std::exception& error) {
    ++contained_errors_;
    spdlog::critical("unexpected error in rqinit: {}; stopping every service", error.what());
    begin_shutdown(exit_code::kSystem, "unexpected error");
    exit_code_ = exit_code::kSystem;
    advance_now_ = true;
    if (contained_errors_ <= kMaxContainedErrors) return;
    spdlog::critical("the ordered stop keeps failing; killing every service");
    for (auto& service : runtime_)
        if (service.group > 0) kill(-service.group, SIGKILL);
}

void Supervisor::dispatch(uint64_t value, uint32_t events) {
    auto kind = static_cast<TokenKind>(value >> 32);
    auto low = static_cast<uint32_t>(value);
    switch (kind) {
        case kSignal:
            handle_signals();
            break;
        case kTimer: {
            uint64_t expirations;
            ssize_t ignored = read(timer_fd_, &expirations, sizeof expirations);
            (void)ignored;
            break;
        }
        case kControl:
            control_->serve_ready([this](const std::string& r) { return answer_control(r); },
                                  monotonic_seconds());
            break;
        case kOutput:
            read_output(static_cast<int>(low));
            break;
        case kProbe: {
            size_t i = low;
            std::string reason;
            int fd = runtime_[i].probe_fd;
            unwatch(fd);
            runtime_[i].probe_fd = -1;
            bool ready = finish_connect(fd, reason);
            on_probe_result(i, ready, reason, monotonic_seconds());
            break;
        }
    }
    (void)events;
}

void Supervisor::handle_signals() {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof info) == sizeof info)
        handle_signal(static_cast<int>(info.ssi_signo));
}

void Supervisor::handle_signal(int signal) {
    if (signal == SIGCHLD) return;  // reap_children runs after every event
    if (plan_.single_command) return forward_signal(signal);
    if (signal == SIGTERM || signal == SIGINT) {
        if (!stopping_) return begin_shutdown(0, "received " + signal_name(signal));
        // A second request means "now": a person pressing Ctrl-C twice, or a stuck stop.
        spdlog::warn("received {} again: killing every service now", signal_name(signal));
        for (auto& service : runtime_)
            if (service.pid > 0) kill(-service.group, SIGKILL);
        return;
    }
    if (forwarded_in_plan_mode(signal)) return forward_signal(signal);
    spdlog::debug("ignoring {}", signal_name(signal));
}

void Supervisor::forward_signal(int signal) {
    for (size_t i = 0; i < runtime_.size(); ++i) {
        pid_t pid = runtime_[i].pid;
        if (pid <= 0) continue;
        spdlog::debug("forwarding {} to {} (process group {})", signal_name(signal),
                      plan_.services[i].name, pid);
        // The whole group: a shell's children (a job's steps) get it too, not only the shell.
        if (kill(-pid, signal) != 0) kill(pid, signal);
    }
}

void Supervisor::reap_children() {
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return;  // 0: none left exited; -1/ECHILD: no children at all
        on_child_exit(pid, status);
    }
}

void Supervisor::on_child_exit(pid_t pid, int wait_status) {
    auto found = children_.find(pid);
    if (found == children_.end()) {
        // An orphan that was reparented to us: reaped, and never taken for a service's death.
        spdlog::debug("reaped orphan {} ({})", pid, describe_wait_status(wait_status));
        return;
    }
    ChildRef child = found->second;
    children_.erase(found);
    double now = monotonic_seconds();
    switch (child.kind) {
        case ChildRef::Kind::service:
            return on_service_exit(child.service, wait_status, now);
        case ChildRef::Kind::probe:
            return on_probe_exit(child.service, wait_status, now);
        case ChildRef::Kind::hook:
            return on_hook_exit(child.service, wait_status, now);
    }
}

int Supervisor::open_output_pipe(const std::string& label, std::optional<size_t> probe_of,
                                 int* read_end) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) system_failure("pipe2");
    if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
        close(fds[0]);
        close(fds[1]);
        system_failure("fcntl O_NONBLOCK");
    }
    outputs_.emplace(fds[0], OutputStream{LinePrefixer(probe_of ? "" : label + " | "), probe_of});
    watch(fds[0], EPOLLIN, token(kOutput, static_cast<uint32_t>(fds[0])));
    if (read_end) *read_end = fds[0];
    return fds[1];
}

void Supervisor::emit(const OutputStream& stream, const std::string& lines) {
    // stdout gone: the lines are lost, the services are not.
    if (!stream.probe_of) return void(write_all(STDOUT_FILENO, lines));
    // Keep the last line that says something: "ERROR 1045 (28000): Access denied ..." says more
    // than "exit status 1", "... is DOWN" more than the banner of stars under it.
    std::string line = last_telling_line(lines);
    if (!line.empty()) runtime_[*stream.probe_of].probe_output_line = line;
}

void Supervisor::read_output(int fd) {
    auto found = outputs_.find(fd);
    if (found == outputs_.end()) return;
    char buffer[16384];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n > 0) {
            emit(found->second, found->second.lines.feed({buffer, static_cast<size_t>(n)}));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        // EOF (every writer closed it) or an error: the stream is over.
        emit(found->second, found->second.lines.flush());
        unwatch(fd);
        close(fd);
        outputs_.erase(found);
        return;
    }
}

double Supervisor::next_deadline() const {
    double next = kNever;
    for (size_t i = 0; i < runtime_.size(); ++i) {
        const ServiceRuntime& s = runtime_[i];
        next = std::min({next, s.deadline, s.probe_deadline, s.hook_deadline});
        // next_probe_at is kNever unless the table scheduled a probe.
        if (!s.probe_in_flight() && s.hook_pid < 0) next = std::min(next, s.next_probe_at);
    }
    if (control_) next = std::min(next, control_->next_deadline());
    return next;
}

// Arms the timerfd for the nearest deadline. Should the timerfd refuse, epoll_wait's own
// timeout takes over (millisecond steps), so a deadline is never lost.
int Supervisor::arm_timer() {
    itimerspec spec{};
    double deadline = next_deadline();
    double delay = 0;
    if (std::isfinite(deadline)) {
        // At least 1 ms ahead: a zero it_value would disarm the timer instead.
        delay = std::max(deadline - monotonic_seconds(), 0.001);
        spec.it_value.tv_sec = static_cast<time_t>(delay);
        spec.it_value.tv_nsec = static_cast<long>((delay - std::floor(delay)) * 1e9);
    }
    if (timerfd_settime(timer_fd_, 0, &spec, nullptr) == 0) return -1;
    spdlog::warn("timerfd_settime failed ({}); timing with epoll_wait instead", strerror(errno));
    if (!std::isfinite(deadline)) return -1;
    return static_cast<int>(std::min(delay * 1000 + 1, 3600e3));
}

bool Supervisor::finished() const {
    for (const auto& s : runtime_)
        if (!s.terminal() || s.hook_pid > 0) return false;
    return true;
}

std::vector<ServiceSnapshot> Supervisor::snapshot() const {
    std::vector<ServiceSnapshot> rows;
    double now = monotonic_seconds();
    for (size_t i : start_order_) rows.push_back(snapshot_of(i, now));
    return rows;
}

std::string Supervisor::answer_control(const std::string& request) const {
    if (request == "status") return format_status_table(snapshot());
    if (request == "health") return health_line(snapshot(), stopping_, been_healthy_) + "\n";
    return "error: unknown request '" + request + "' (known: status, health)\n";
}

}  // namespace rqinit
