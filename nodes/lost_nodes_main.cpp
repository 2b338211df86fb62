// rqinit-lost-nodes: deletes the dynamic nodes that have not answered slurmctld for a grace
// period, so that a compute container killed or a host gone leaves no `down*` entry behind
// (Slurm, 22.05 as 24.11, deletes a dynamic node only when asked). The slurmctld role runs it as a
// service beside slurmctld. A node that comes back later registers afresh (slurmd -Z), as after a
// clean stop.
//
// Exit codes: none in normal work (it runs until SIGTERM ends it, by the default action); 2 for
// a bad command line or RQINIT_LOST_NODE_GRACE; 111 for an unexpected error.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <thread>

#include "init/guarded_main.hpp"
#include "init/log.hpp"
#include "nodes/lost_nodes.hpp"
#include "nodes/seconds_option.hpp"
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

int lost_nodes_main(int argc, char** argv) {
    CLI::App app{"rqinit-lost-nodes: delete dynamic Slurm nodes silent for a grace period"};
    app.set_version_flag("--version", std::string("rqinit-lost-nodes ") + RQINIT_VERSION);
    double grace = 120, every = 10;
    // RQINIT_LOST_NODE_GRACE: the Compose and Stack files' way to set it.
    app.add_option("--grace", grace, "seconds a node may be silent before it is deleted")
        ->envname("RQINIT_LOST_NODE_GRACE")
        ->check(rqinit::seconds_validator("the command line or RQINIT_LOST_NODE_GRACE"));
    app.add_option("--every", every, "seconds between looks at the nodes")
        ->check(rqinit::seconds_validator());
    if (auto code = rqinit::parse_command_line(app, argc, argv)) return *code;
    rqinit::setup_logging("info", "rqinit-lost-nodes");
    spdlog::info("deleting dynamic nodes silent for {:g} s (looking every {:g} s)", grace, every);
    rqinit::LostNodeWatch watch(grace);
    for (;;) {
        look(watch);
        std::this_thread::sleep_for(std::chrono::duration<double>(every));
    }
}

}  // namespace

int main(int argc, char** argv) {
    return rqinit::guarded_main(lost_nodes_main, argc, argv);
}
