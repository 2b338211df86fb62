// The PID-1 mechanism: one single-threaded event loop (epoll over a signalfd, a timerfd, the
// children's output pipes, connect probes and the control socket) that starts a Plan's services
// in dependency order, reaps every child, restarts with backoff, and stops in reverse order.
// It knows nothing about Slurm.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "init/control_server.hpp"
#include "init/line_prefixer.hpp"
#include "init/plan.hpp"
#include "init/service_runtime.hpp"
#include "init/status_report.hpp"

namespace rqinit {

struct SupervisorOptions {
    std::string control_socket;            // "" = none
    bool control_socket_required = false;  // true: failing to listen is fatal (exit 111)
};

class Supervisor {
  public:
    // plan must have passed check_plan.
    Supervisor(Plan plan, SupervisorOptions options);
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Runs until every service has ended; returns rqinit's exit code (exit_codes.hpp). An
    // error inside the loop does not escape: it starts the ordered stop, then exits 111.
    int run();

  private:
    // A child's stdout/stderr pipe. Services and hooks are printed, prefixed; a command probe's
    // output is only kept (its last line), to say why a service is not ready.
    struct OutputStream {
        LinePrefixer lines;
        std::optional<size_t> probe_of;
    };

    // Which child a reaped pid was.
    struct ChildRef {
        enum class Kind { service, probe, hook } kind;
        size_t service;
    };

    // --- event loop (supervisor.cpp)
    static uint64_t probe_token(size_t service);
    void open_event_sources();
    void watch(int fd, uint32_t events, uint64_t token);
    void unwatch(int fd);
    void dispatch(uint64_t token, uint32_t events);
    void run_one_turn();
    void contain(const std::exception& error);
    void handle_signals();
    void handle_signal(int signal);
    void forward_signal(int signal);
    void reap_children();
    void on_child_exit(pid_t pid, int wait_status);
    void read_output(int fd);
    void emit(const OutputStream& stream, const std::string& lines);
    // Returns the write end, for the child; the read end is watched (and given in read_end).
    int open_output_pipe(const std::string& label, std::optional<size_t> probe_of = std::nullopt,
                         int* read_end = nullptr);
    int arm_timer();  // the epoll_wait timeout: -1, or milliseconds if the timerfd failed
    double next_deadline() const;
    bool finished() const;
    std::vector<ServiceSnapshot> snapshot() const;
    std::string answer_control(const std::string& request) const;
    void note_first_health(double now);

    // --- the service table's executor (service_lifecycle.cpp)
    void deliver(size_t i, Event event);
    void perform(size_t i, const Action& action, double now);
    void spawn_service(size_t i, double now);
    void on_service_exit(size_t i, int wait_status, double now);
    void unmount_service(size_t i);
    void advance(double now);
    void on_deadlines(size_t i, double now);
    bool ready_for_dependents(size_t i) const;
    bool dependencies_ready(size_t i) const;
    bool dependents_down(size_t i) const;
    void begin_shutdown(int exit_code, const std::string& why);
    void log_still_waiting(size_t i, double now);
    ServiceSnapshot snapshot_of(size_t i, double now) const;

    // --- probes (service_probes.cpp) and hooks (service_hooks.cpp)
    void start_probe(size_t i, double now);
    void on_probe_result(size_t i, bool passed, const std::string& reason, double now);
    void on_probe_exit(size_t i, int wait_status, double now);
    void cancel_probe(size_t i);
    void run_hook(size_t i, HookKind kind, double now);
    void on_hook_exit(size_t i, int wait_status, double now);

    Plan plan_;
    SupervisorOptions options_;
    std::vector<ServiceRuntime> runtime_;
    std::vector<size_t> start_order_;
    std::vector<std::vector<size_t>> dependencies_;  // by index: what each service depends on
    std::vector<std::vector<size_t>> dependents_;    // and what depends on it
    std::map<pid_t, ChildRef> children_;
    std::map<int, OutputStream> outputs_;  // by pipe fd
    std::unique_ptr<ControlServer> control_;
    int epoll_fd_ = -1;
    int signal_fd_ = -1;
    int timer_fd_ = -1;
    bool stopping_ = false;
    bool been_healthy_ = false;  // every service has been ready once (health: "starting" till then)
    int exit_code_ = 0;
    int contained_errors_ = 0;
    bool advance_now_ = false;  // a contained error: run advance() without waiting
};

}  // namespace rqinit
