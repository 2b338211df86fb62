// rqinit-lost-nodes: deletes the dynamic nodes that have not answered slurmctld for a grace
// period, so that a compute container killed or a host gone leaves no `down*` entry behind
// (Slurm 22.05 keeps one forever). The slurmctld role runs it as a service beside slurmctld.
// A node that comes back later registers afresh (slurmd -Z), as after a clean stop.
//
// Exit codes: none in normal work (it runs until SIGTERM ends it, by the default action); 2 for
// a bad command line or RQINIT_LOST_NODE_GRACE; 111 for an unexpected error.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>
#include <thread>

#include "init/exit_codes.hpp"
#include "init/log.hpp"
#include "nodes/lost_nodes.hpp"
#include "reconfigure/command_run.hpp"

#ifndef RQINIT_VERSION
#define RQINIT_VERSION "0.0.0"
#endif

namespace {

using rqinit::CommandRun;

double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// One look at the nodes: delete those lost. A failing scontrol is said once per look and
// retried at the next (slurmctld may be restarting).
void look(rqinit::LostNodeWatch& watch) {
    CommandRun nodes = rqinit::run_command({"scontrol", "-o", "show", "nodes"}, {}, 20);
    if (nodes.exit_code != 0) {
        spdlog::warn("scontrol show nodes failed ({}); trying again later",
                     rqinit::first_line(nodes.output));
        return;
    }
    for (const std::string& name :
         watch.observe(rqinit::parse_node_states(nodes.output), steady_seconds())) {
        CommandRun deleted =
            rqinit::run_command({"scontrol", "delete", "nodename=" + name}, {}, 20);
        if (deleted.exit_code == 0)
            spdlog::info("deleted node {}: it had not responded for the grace period", name);
        else
            spdlog::warn("could not delete lost node {} ({}); trying again later", name,
                         rqinit::first_line(deleted.output));
    }
}

// A number of seconds above 0, or nullopt.
std::optional<double> seconds_of(std::string_view text) {
    double seconds = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size() || !(seconds > 0))
        return std::nullopt;
    return seconds;
}

// For CLI11: its own range check prints the whole range of double.
const CLI::Validator kSeconds(
    [](std::string& text) {
        return seconds_of(text) ? std::string()
                                : "'" + text +
                                      "' is not a number of seconds above 0 (from the "
                                      "command line or RQINIT_LOST_NODE_GRACE)";
    },
    "SECONDS");

int lost_nodes_main(int argc, char** argv) {
    CLI::App app{"rqinit-lost-nodes: delete dynamic Slurm nodes silent for a grace period"};
    app.set_version_flag("--version", std::string("rqinit-lost-nodes ") + RQINIT_VERSION);
    double grace = 120, every = 10;
    // RQINIT_LOST_NODE_GRACE: the Compose and Stack files' way to set it.
    app.add_option("--grace", grace, "seconds a node may be silent before it is deleted")
        ->envname("RQINIT_LOST_NODE_GRACE")
        ->check(kSeconds);
    app.add_option("--every", every, "seconds between looks at the nodes")->check(kSeconds);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        int code = app.exit(error);
        return code == 0 ? 0 : rqinit::exit_code::kUsage;
    }
    rqinit::setup_logging("info", "rqinit-lost-nodes");
    spdlog::info("deleting dynamic nodes silent for {:g} s (looking every {:g} s)", grace, every);
    rqinit::LostNodeWatch watch(grace);
    for (;;) {
        look(watch);
        std::this_thread::sleep_for(std::chrono::duration<double>(every));
    }
}

}  // namespace

// An escaped exception is one line and 111, as in rqinit, never "terminate called".
int main(int argc, char** argv) {
    try {
        return lost_nodes_main(argc, argv);
    } catch (const std::exception& error) {
        spdlog::critical("{}", error.what());
    } catch (...) {
        spdlog::critical("unknown error");
    }
    return rqinit::exit_code::kSystem;
}
