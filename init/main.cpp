// rqinit: the command line. Everything here only decides what to run; the Supervisor runs it.
#include <fcntl.h>
#include <linux/close_range.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>

#include "init/capabilities.hpp"
#include "init/clock.hpp"
#include "init/config_file.hpp"
#include "init/control_socket.hpp"
#include "init/exit_codes.hpp"
#include "init/log.hpp"
#include "init/plan_check.hpp"
#include "init/signal_mask.hpp"
#include "init/status_report.hpp"
#include "init/supervisor.hpp"
#include "nfs/kernel_mount.hpp"
#include "nfs/mount_services.hpp"
#include "reconfigure/slurm_reconfigure.hpp"
#include "roles/node_size.hpp"
#include "roles/role_environment.hpp"
#include "roles/role_registry.hpp"
#include "roles/slurm_common.hpp"
#include "secrets/file_install.hpp"

#ifndef RQINIT_VERSION
#define RQINIT_VERSION "0.0.0"
#endif

namespace rqinit {
namespace {

constexpr int kUsageError = exit_code::kUsage;
constexpr int kConfigError = exit_code::kConfig;
constexpr int kInstallError = exit_code::kInstall;
constexpr int kSystemError = exit_code::kSystem;
constexpr const char* kDefaultConfig = "/etc/rqinit/rqinit.toml";

struct Options {
    std::string role;
    std::string config;
    bool config_given = false;
    bool control_socket_given = false;
    std::string control_socket = "/run/rqinit/control.sock";
    std::string log_level = "info";
    std::vector<std::string> command;
};

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

// Whatever the container runtime or a parent left open must not leak into every service.
void mark_inherited_fds_cloexec() {
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    for (int fd = 3; fd < 65536; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int print_errors(const std::vector<std::string>& errors) {
    for (const auto& e : errors) spdlog::error("{}", e);
    return kConfigError;
}

// Adds the services of the config file to plan. Returns 0, or an exit code after logging why.
int add_config_services(const Options& options, Plan& plan) {
    bool exists = access(options.config.c_str(), F_OK) == 0;
    if (!exists && !options.config_given && !plan.services.empty()) return 0;  // optional then
    ConfigResult config = load_config_file(options.config);
    if (!config.errors.empty()) return print_errors(config.errors);
    for (auto& service : config.plan.services) plan.services.push_back(std::move(service));
    for (auto& mount : config.plan.mounts) plan.mounts.push_back(std::move(mount));
    return 0;
}

// The mounts a container asks for in its environment (RQINIT_MOUNTS, RQINIT_MOUNT_TIMEOUT),
// beside those of rqinit.toml. Returns 0 or an exit code after logging why.
int add_environment_mounts(Plan& plan) {
    std::vector<std::string> errors;
    auto mounts = parse_mount_list(env_or("RQINIT_MOUNTS", ""), "RQINIT_MOUNTS", errors);
    std::string timeout = env_or("RQINIT_MOUNT_TIMEOUT", "");
    for (auto& mount : mounts) {
        if (!timeout.empty()) {
            char* end = nullptr;
            double seconds = std::strtod(timeout.c_str(), &end);
            if (*end || seconds <= 0) {
                errors.push_back("RQINIT_MOUNT_TIMEOUT='" + timeout +
                                 "': give a positive number of seconds");
                break;
            }
            mount.timeout = seconds;
        }
        plan.mounts.push_back(std::move(mount));
    }
    return errors.empty() ? 0 : print_errors(errors);
}

// What serves and probes the mounts is rqinit-nfs, installed beside this binary.
MountEnvironment mount_environment() {
    MountEnvironment environment;
    char path[4096];
    ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
    std::string self = length > 0 ? std::string(path, length) : "/usr/sbin/rqinit";
    environment.nfs_helper_path = self.substr(0, self.rfind('/') + 1) + "rqinit-nfs";
    std::ifstream filesystems("/proc/filesystems");
    std::stringstream text;
    text << filesystems.rdbuf();
    environment.kernel_has_nfs = kernel_has_nfs(text.str());
    return environment;
}

int expand_mounts(Plan& plan) {
    auto errors = add_mount_services(plan, mount_environment());
    return errors.empty() ? 0 : print_errors(errors);
}

Plan single_command_plan(const std::vector<std::string>& command) {
    ServiceSpec main;
    main.name = "main";
    main.command = command;
    main.restart = RestartPolicy::never;
    main.output = OutputMode::inherit;
    main.start_timeout = 0;
    // Like tini, the command runs where rqinit was started, not in "/".
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) main.working_directory = cwd;
    main.origin = "command line";
    Plan plan;
    plan.services = {main};
    plan.single_command = true;
    return plan;
}

RoleContext role_context() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return {name, env_or("RQINIT_NODE_SIZE", "")};
}

// RQINIT_NODE_SIZE: for the compute roles, and well formed. Returns 0 or an exit code.
int check_node_size(const std::string& role, const RoleContext& context) {
    std::string error = slurm::node_size_error(role, context.node_size);
    if (error.empty()) return 0;
    spdlog::error("{}", error);
    return kConfigError;
}

// The RQINIT_* variables the role's services read. Returns 0 or an exit code.
int check_role_environment(const std::string& role) {
    auto errors = role_environment_errors(role, [](const char* name) { return getenv(name); });
    for (const auto& error : errors) spdlog::error("{}", error);
    return errors.empty() ? 0 : kConfigError;
}

// Builds the plan from the role, the config file and the command. Returns 0 or an exit code.
int build_plan(const Options& options, Plan& plan) {
    if (!options.command.empty()) {
        if (!options.role.empty() || options.config_given) {
            spdlog::error("give either a command after -- or --role/--config, not both");
            return kUsageError;
        }
        plan = single_command_plan(options.command);
        // `rqinit -- CMD` with RQINIT_MOUNTS: CMD runs once the mounts are there.
        if (int code = add_environment_mounts(plan)) return code;
        return expand_mounts(plan);
    }
    if (!options.role.empty()) {
        RoleContext context = role_context();
        auto role_plan = plan_for_role(options.role, context);
        if (!role_plan) {
            std::string known;
            for (const auto& r : known_roles()) known += (known.empty() ? "" : ", ") + r;
            spdlog::error("unknown role '{}' (known roles: {})", options.role,
                          known.empty() ? "none yet" : known);
            return kConfigError;
        }
        if (int code = check_node_size(options.role, context)) return code;
        if (int code = check_role_environment(options.role)) return code;
        plan = *role_plan;
    }
    if (int code = add_config_services(options, plan)) return code;
    if (int code = add_environment_mounts(plan)) return code;
    return expand_mounts(plan);
}

// Checks the plan and resolves its users, capabilities and programs into it, once.
int check_before_start(Plan& plan) {
    auto problems = check_plan(plan, env_or("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
    if (problems.empty()) return 0;
    int code = problems.front().exit_code;
    for (const auto& p : problems) {
        spdlog::error("{}", p.message);
        if (p.exit_code == kConfigError) code = kConfigError;
    }
    return code;
}

// Directories, secrets and configs, before any service starts: a daemon must never see them
// half-installed.
int install_plan_files(const Plan& plan) {
    try {
        for (const auto& directory : plan.directories) install_directory(directory);
        for (const auto& file : plan.files) {
            if (!install_file(file)) {
                spdlog::info("no {} ({} does not exist): {} not installed", file.what, file.source,
                             file.target);
                continue;
            }
            spdlog::info("installed {} as {} (owner {}, mode {:04o})", file.what, file.target,
                         file.owner, static_cast<unsigned>(file.mode));
        }
    } catch (const std::exception& error) {
        spdlog::error("{}", error.what());
        return kInstallError;
    }
    for (const auto& directory : plan.hide_after_install) {
        std::string problem;
        switch (hide_directory(directory, problem)) {
            case Hidden::done:
                spdlog::info("{} hidden: no service or job can read it any more", directory);
                break;
            case Hidden::refused: {
                // No CAP_SYS_ADMIN: the files' own modes must keep every other uid out.
                auto exposed = files_readable_by_others(directory);
                for (const auto& line : exposed) spdlog::error("{}", line);
                if (!exposed.empty()) return kInstallError;
                spdlog::info("{} (the modes of its files guard them)", problem);
                break;
            }
            case Hidden::absent:
                break;
        }
    }
    return 0;
}

int run_services(const Options& options) {
    Plan plan;
    if (int code = build_plan(options, plan)) return code;
    if (int code = check_before_start(plan)) return code;
    if (int code = install_plan_files(plan)) return code;
    if (plan.no_new_privs) {
        if (int error = set_no_new_privs()) {
            spdlog::critical("cannot set no_new_privs on rqinit: {}", std::strerror(error));
            return kSystemError;
        }
        spdlog::info("no_new_privs set: nothing started from here can gain a privilege by exec");
    }
    try {
        Supervisor supervisor(std::move(plan),
                              {options.control_socket, options.control_socket_given});
        return supervisor.run();
    } catch (const std::exception& error) {  // before the loop ran: nothing was started
        spdlog::critical("{}", error.what());
        return kSystemError;
    }
}

// With --role: the role's whole plan as the container would start it (its environment too:
// RQINIT_NODE_SIZE, RQINIT_MOUNTS), so that stack/cluster add-node can refuse bad input at once.
int check_config(const Options& options) {
    Plan plan;
    std::string checked = options.config;
    if (!options.role.empty()) {
        if (build_plan(options, plan) != 0) return kConfigError;
        checked = "role " + options.role;
    } else {
        ConfigResult config = load_config_file(options.config);
        if (!config.errors.empty()) return print_errors(config.errors);
        plan = std::move(config.plan);
        if (expand_mounts(plan) != 0) return kConfigError;
    }
    // check-config answers 0 or 3: a missing program is a configuration error here.
    if (check_before_start(plan) != 0) return kConfigError;
    std::cout << checked << ": OK (" << plan.services.size() << " services)\n";
    return 0;
}

int ask_status(const Options& options) {
    ControlReply reply = ask_control_socket(options.control_socket, "status");
    std::cout << reply.text << (reply.reached ? "" : "\n");
    return reply.reached ? 0 : 1;
}

// Docker probes health first only `interval` after the start, and Swarm gives a task its DNS
// name only once healthy, so every container that waits for this one would wait for the next
// probe too. With --wait, a probe made while the container is still starting (no service has
// failed yet, some are not ready) asks again until it is healthy, so the name appears the moment
// the container is ready. Once healthy, an unhealthy answer is given at once.
int ask_health(const Options& options, double wait) {
    double deadline = monotonic_seconds() + wait;
    ControlReply reply = ask_control_socket(options.control_socket, "health");
    while (reply.reached && reply.text.starts_with(kStarting) && monotonic_seconds() < deadline) {
        usleep(50 * 1000);
        reply = ask_control_socket(options.control_socket, "health");
    }
    if (!reply.reached) {
        std::cout << "unhealthy: " << reply.text << "\n";
        return 1;
    }
    std::cout << reply.text;
    return reply.text.starts_with(kHealthy) ? 0 : 1;
}

}  // namespace
}  // namespace rqinit

namespace rqinit {
namespace {

int rqinit_main(int argc, char** argv) {
    block_signals();
    mark_inherited_fds_cloexec();

    Options options;
    options.role = env_or("RQINIT_ROLE", "");
    options.config = env_or("RQINIT_CONFIG", kDefaultConfig);
    options.config_given = std::getenv("RQINIT_CONFIG") != nullptr;
    options.control_socket = env_or("RQINIT_CONTROL_SOCKET", options.control_socket);
    options.control_socket_given = std::getenv("RQINIT_CONTROL_SOCKET") != nullptr;
    options.log_level = env_or("RQINIT_LOG_LEVEL", options.log_level);

    CLI::App app{
        "rqinit: a PID 1 that reaps, supervises services in order and stops them in reverse order"};
    app.set_version_flag("--version", std::string("rqinit ") + RQINIT_VERSION);
    app.add_option("--role", options.role, "run the built-in plan of this role (env RQINIT_ROLE)");
    auto* config_option =
        app.add_option("--config", options.config, "services file (env RQINIT_CONFIG)");
    auto* socket_option = app.add_option("--control-socket", options.control_socket,
                                         "control socket path (env RQINIT_CONTROL_SOCKET)");
    auto* log_option =
        app.add_option("--log-level", options.log_level,
                       "trace, debug, info, warn, error, off (env RQINIT_LOG_LEVEL)");
    app.add_option("command", options.command,
                   "with `-- CMD [ARG...]`: run CMD as the only service");
    auto* check = app.add_subcommand("check-config",
                                     "validate a config file; name the line and key of each error");
    check->add_option("--config", options.config, "the file to check");
    auto* status = app.add_subcommand("status", "show the services of a running rqinit");
    auto* health =
        app.add_subcommand("health", "exit 0 if healthy, 1 if not (for Docker HEALTHCHECK)");
    double health_wait = 0;
    health
        ->add_option("--wait", health_wait,
                     "while the container is starting, wait up to this many seconds for it "
                     "to be healthy")
        ->check(CLI::Range(0.0, 3600.0));
    ReconfigureOptions reconfigure_options;
    reconfigure_options.from = slurm::kConfigDir;
    auto* reconfigure_command =
        app.add_subcommand("reconfigure",
                           "apply changed Slurm configuration files to this running container "
                           "(its role: --role or RQINIT_ROLE)");
    reconfigure_command->add_option("--from", reconfigure_options.from,
                                    "directory of the new files (default: the stack's configs)");
    reconfigure_command->add_flag("--restart-slurmd", reconfigure_options.restart_slurmd,
                                  "c, q: restart slurmd after (for settings read only at start)");
    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        int code = app.exit(error);
        return code == 0 ? 0 : kUsageError;
    }
    options.config_given =
        options.config_given || config_option->count() > 0 || check->count("--config") > 0;
    options.control_socket_given = options.control_socket_given || socket_option->count() > 0;
    // As the init of an arbitrary command, be as quiet as tini unless asked otherwise.
    bool level_given = std::getenv("RQINIT_LOG_LEVEL") || log_option->count() > 0;
    if (!options.command.empty() && !level_given) options.log_level = "warn";
    if (!setup_logging(options.log_level)) {
        spdlog::error("unknown log level '{}' (known: trace, debug, info, warn, error, off)",
                      options.log_level);
        return kUsageError;
    }

    if (*check) return check_config(options);
    if (*status) return ask_status(options);
    if (*health) return ask_health(options, health_wait);
    if (*reconfigure_command) {
        reconfigure_options.role = options.role;
        reconfigure_options.hostname = role_context().hostname;
        return reconfigure(reconfigure_options);
    }
    if (options.command.empty() && options.role.empty() && !options.config_given &&
        access(options.config.c_str(), F_OK) != 0) {
        spdlog::error("nothing to run: give --role ROLE, a command after --, or services in {}",
                      options.config);
        return kUsageError;
    }
    return run_services(options);
}

}  // namespace
}  // namespace rqinit

// No exception may end PID 1 with "terminate called": whatever escapes is one line and 111.
int main(int argc, char** argv) {
    try {
        return rqinit::rqinit_main(argc, argv);
    } catch (const std::exception& error) {
        spdlog::critical("rqinit: {}", error.what());
    } catch (...) {
        spdlog::critical("rqinit: unknown error");
    }
    return rqinit::exit_code::kSystem;
}
