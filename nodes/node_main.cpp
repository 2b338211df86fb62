// rqinit-node: a compute node's care of its own entry in slurmctld (nodes/node_registration.hpp
// says why each step exists). The c and q roles run it (roles/node_roles.cpp):
//   joined NAME   after slurmd is ready: the node's address becomes its name, and the mark of
//                 this registration (the controller's SlurmdStartTime) is kept in MARK_FILE
//   stopping NAME before slurmd stops: the node is set DOWN, so that Slurm gives it no job and
//                 requeues its jobs at once; left once they are off it
//   leaving NAME  after slurmd stops: the entry is deleted, unless another slurmd registered
//                 as NAME since (a Swarm task replaced while the old one still ran)
//   watch NAME    beside slurmd, every EVERY s: a node the controller forgot has slurmd ended
//                 (rqinit starts it again and it registers afresh); one listed at another
//                 address is named again
//
// Exit codes: 0 done; 1 scontrol failed (its first line is said); 2 bad command line;
// 111 an unexpected error. watch runs until SIGTERM ends it (the default action).
#include <spdlog/spdlog.h>

#include <signal.h>
#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "init/guarded_main.hpp"
#include "init/log.hpp"
#include "nodes/node_registration.hpp"
#include "nodes/scontrol_record.hpp"
#include "nodes/seconds_option.hpp"
#include "reconfigure/command_run.hpp"

#ifndef RQINIT_VERSION
#define RQINIT_VERSION "0.0.0"
#endif

namespace {

using rqinit::CommandRun;
using rqinit::NodeAnswer;

constexpr double kScontrolTimeout = 8;  // inside rqinit's 10-s limit for a hook
// How long a stopping node waits for the controller to take its jobs off it: slurmd kills their
// processes within a second or two; the rest of the hook's 10 s is for scontrol.
constexpr int kJobsLeaveTimeout = 6;

NodeAnswer show_node(const std::string& name) {
    CommandRun run =
        rqinit::run_command({"scontrol", "-o", "show", "node", name}, {}, kScontrolTimeout);
    return {run.exit_code, run.output};
}

// Docker's DNS answers the name with the container's current address, every time.
bool pin_address(const std::string& name) {
    CommandRun run = rqinit::run_command(
        {"scontrol", "update", "nodename=" + name, "nodeaddr=" + name, "nodehostname=" + name}, {},
        kScontrolTimeout);
    if (run.exit_code != 0)
        spdlog::error("{}: could not set its address to its name: {}", name,
                      rqinit::first_line(run.output));
    return run.exit_code == 0;
}

// The first line of a file (a mark, a pid), or "" if it cannot be read.
std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string mark;
    std::getline(in, mark);
    return mark;
}

int joined(const std::string& name, const std::string& mark_file) {
    if (!pin_address(name)) return 1;
    std::string mark = rqinit::registration_mark(show_node(name));
    std::ofstream(mark_file) << mark << '\n';
    if (mark.empty())
        spdlog::warn(
            "{}: no SlurmdStartTime from the controller; on leaving, the entry is "
            "deleted whoever holds it",
            name);
    return 0;
}

int leaving(const std::string& name, const std::string& mark_file) {
    std::string ours = read_first_line(mark_file);
    NodeAnswer answer = show_node(name);
    if (rqinit::leave_action(ours, answer) == rqinit::LeaveAction::leave_alone) {
        spdlog::info(
            "{}: another slurmd registered as {} since this one (SlurmdStartTime {}, "
            "ours {}): its entry stays",
            name, name, rqinit::registration_mark(answer), ours);
        return 0;
    }
    CommandRun run =
        rqinit::run_command({"scontrol", "delete", "nodename=" + name}, {}, kScontrolTimeout);
    if (run.exit_code != 0) {
        spdlog::warn("{}: could not delete its entry: {}", name, rqinit::first_line(run.output));
        return 1;
    }
    return 0;
}

// Before slurmd stops: the node is set DOWN, and left once its jobs are off it (requeued or
// ended), within the hook's time; node_registration.hpp says why.
int stopping(const std::string& name, const std::string& mark_file) {
    NodeAnswer answer = show_node(name);
    if (rqinit::stop_action(read_first_line(mark_file), answer) == rqinit::StopAction::nothing)
        return 0;
    spdlog::info(
        "{}: stopping: setting it DOWN, so that Slurm gives it no job and requeues the "
        "ones on it now",
        name);
    CommandRun run = rqinit::run_command(
        {"scontrol", "update", "nodename=" + name, "state=down", "reason=its container stopped"},
        {}, kScontrolTimeout);
    if (run.exit_code != 0) {
        spdlog::warn("{}: could not set it DOWN: {}", name, rqinit::first_line(run.output));
        return 1;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kJobsLeaveTimeout);
    spdlog::info("{}: waiting up to {} s for its jobs to leave it", name, kJobsLeaveTimeout);
    while (rqinit::holds_jobs(show_node(name))) {
        if (std::chrono::steady_clock::now() >= deadline) {
            spdlog::warn("{}: its jobs are still on it after {} s; stopping slurmd anyway", name,
                         kJobsLeaveTimeout);
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return 0;
}

// slurmd's pid, as it wrote it (SlurmdPidFile).
void end_slurmd(const std::string& pid_file) {
    std::string text = read_first_line(pid_file);
    int pid = std::atoi(text.c_str());
    if (pid <= 1) {
        spdlog::warn("no slurmd pid in {} ('{}'): nothing ended", pid_file, text);
        return;
    }
    if (kill(pid, SIGTERM) != 0)
        spdlog::warn("could not end slurmd (pid {}): {}", pid, std::strerror(errno));
}

[[noreturn]] void watch(const std::string& name, double every, const std::string& pid_file) {
    for (;;) {
        std::this_thread::sleep_for(std::chrono::duration<double>(every));
        NodeAnswer answer = show_node(name);
        switch (rqinit::watch_action(name, answer)) {
            case rqinit::WatchAction::none:
                break;
            case rqinit::WatchAction::restart_slurmd:
                spdlog::info(
                    "the controller does not know {} (deleted while cut off, or lost "
                    "with its state?): restarting slurmd, which registers again",
                    name);
                end_slurmd(pid_file);
                break;
            case rqinit::WatchAction::pin_address:
                spdlog::info(
                    "the controller has {} at {} (the address it registered from): "
                    "setting it to the name again",
                    name, rqinit::scontrol_field(answer.output, "NodeAddr="));
                pin_address(name);
                break;
        }
    }
}

int node_main(int argc, char** argv) {
    CLI::App app{"rqinit-node: a compute node's care of its own entry in slurmctld"};
    app.set_version_flag("--version", std::string("rqinit-node ") + RQINIT_VERSION);
    app.require_subcommand(1);
    std::string name, mark_file = "/run/slurm/registration-mark",
                      pid_file = "/run/slurm/slurmd.pid";
    double every = 20;
    app.add_option("--mark-file", mark_file, "where joined keeps the registration's mark");
    CLI::App* join = app.add_subcommand("joined", "name the node's address; keep the mark");
    CLI::App* stop = app.add_subcommand("stopping", "set the node DOWN before slurmd stops");
    CLI::App* leave = app.add_subcommand("leaving", "delete the entry, if still this node's");
    CLI::App* look = app.add_subcommand("watch", "register again when forgotten; re-pin");
    for (CLI::App* command : {join, stop, leave, look})
        command->add_option("name", name, "the node's name")->required();
    look->add_option("--every", every, "seconds between looks")->check(rqinit::seconds_validator());
    look->add_option("--pid-file", pid_file, "slurmd's pid file");
    if (auto code = rqinit::parse_command_line(app, argc, argv)) return *code;
    rqinit::setup_logging("info", "rqinit-node");
    if (join->parsed()) return joined(name, mark_file);
    if (stop->parsed()) return stopping(name, mark_file);
    if (leave->parsed()) return leaving(name, mark_file);
    watch(name, every, pid_file);
}

}  // namespace

int main(int argc, char** argv) {
    return rqinit::guarded_main(node_main, argc, argv);
}
