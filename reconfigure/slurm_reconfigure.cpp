#include "reconfigure/slurm_reconfigure.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "nodes/scontrol_record.hpp"
#include "reconfigure/command_run.hpp"
#include "roles/slurm_common.hpp"
#include "roles/slurm_conf_text.hpp"
#include "secrets/file_install.hpp"

namespace rqinit {
namespace {

using namespace reconfigure_exit;

// The files slurmctld serves to the configless nodes, and the login node's Slurm commands read.
const std::vector<std::string> kSlurmFiles = {"slurm.conf", "gres.conf", "cgroup.conf",
                                              "plugstack.conf"};
const std::string kInstalledDir = "/etc/slurm";
const std::string kCheckDir = "/run/rqinit/reconfigure-check";
constexpr double kControllerBackSeconds = 60;  // slurmctld reads its state again at a start
// After a restart on new files: long enough for a start (1-3 s here), short enough that rqinit's
// restarts of a slurmctld that refuses them stay under its limit (10 in 60 s) until rollback.
constexpr double kRestartedSeconds = 15;

using FileSet = std::map<std::string, std::string>;  // name -> contents

bool read_text(const std::string& path, std::string& text) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return false;
    std::stringstream contents;
    contents << file.rdbuf();
    text = contents.str();
    return !file.bad();
}

// The files of kSlurmFiles in directory; "" and the name of the first missing one if any.
std::string read_set(const std::string& directory, FileSet& files) {
    for (const auto& name : kSlurmFiles) {
        if (!read_text(directory + "/" + name, files[name])) return directory + "/" + name;
    }
    return "";
}

// The new files, or false after saying which one cannot be read.
bool read_new_set(const std::string& directory, FileSet& files) {
    std::string missing = read_set(directory, files);
    if (!missing.empty()) std::cout << missing << ": cannot read it; nothing changed" << std::endl;
    return missing.empty();
}

void install_set(const FileSet& files) {
    for (const auto& [name, contents] : files)
        write_file_atomically(kInstalledDir + "/" + name, contents, 0, 0, 0644);
}

std::string changed_names(const FileSet& before, const FileSet& after) {
    std::string names;
    for (const auto& [name, contents] : after) {
        auto old = before.find(name);
        if (old == before.end() || old->second != contents)
            names += (names.empty() ? "" : ", ") + name;
    }
    return names;
}

bool slurmctld_answers() {
    CommandRun ping = run_command({"scontrol", "ping"}, {}, 10);
    return ping.exit_code == 0 && ping.output.find(" is UP") != std::string::npos;
}

// Waits for slurmctld to answer, saying what it waits for; false at the deadline.
bool wait_for_slurmctld(double seconds) {
    std::cout << "waiting up to " << seconds << " s for slurmctld to answer `scontrol ping`"
              << std::endl;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
        if (slurmctld_answers()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
}

// What Slurm says of a slurm.conf it cannot read; "" when it reads it. Slurm's own parser, in a
// client that contacts nobody: slurmctld stops on the same errors at a reconfigure.
std::string slurm_parse_error(const std::string& slurm_conf) {
    mkdir("/run/rqinit", 0755);
    mkdir(kCheckDir.c_str(), 0700);
    std::string path = kCheckDir + "/slurm.conf";
    write_file_atomically(path, slurm_conf, 0, 0, 0600);
    CommandRun parse =
        run_command({"scontrol", "show", "hostnames", "localhost"}, {{"SLURM_CONF", path}}, 10);
    unlink(path.c_str());
    if (parse.exit_code == 0) return "";
    std::string line = first_line(parse.output);
    return line.empty() ? "scontrol exited " + std::to_string(parse.exit_code) : line;
}

// SIGTERM to a daemon by its pid file, then the wait for it to be gone (until then the old
// process may still answer); rqinit, its supervisor, starts it again.
bool restart_daemon(const std::string& pid_file) {
    std::string text;
    if (!read_text(pid_file, text)) return false;
    pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
    if (pid <= 1 || kill(pid, SIGTERM) != 0) return false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return kill(pid, 0) != 0;
}

// The previous files back; slurmctld told to read them (it may have stopped, then rqinit is
// starting it again on them). The line says how it ended.
int roll_back(const FileSet& previous, const std::string& why) {
    install_set(previous);
    if (wait_for_slurmctld(kControllerBackSeconds)) {
        run_command({"scontrol", "reconfigure"}, {}, 30);  // if it never stopped
        std::cout << "slurmctld refused the new configuration (" << why
                  << "); rolled back to the previous files, and slurmctld runs on them"
                  << std::endl;
    } else {
        std::cout << "slurmctld refused the new configuration (" << why
                  << "); the previous files are back, but slurmctld does not answer yet: "
                     "see its log (docker logs slurmctld)"
                  << std::endl;
    }
    return kRolledBack;
}

int reconfigure_controller(const ReconfigureOptions& options) {
    FileSet wanted, previous;
    if (!read_new_set(options.from, wanted)) return kBadFiles;
    if (auto missing = read_set(kInstalledDir, previous); !missing.empty()) {
        std::cout << missing << ": the installed file is missing; is this the slurmctld container?"
                  << std::endl;
        return kBadFiles;
    }
    std::string changed = changed_names(previous, wanted);
    if (changed.empty()) {
        std::cout << "slurmctld: no file changed" << std::endl;
        return kApplied;
    }
    if (auto error = slurm_parse_error(wanted["slurm.conf"]); !error.empty()) {
        std::cout << options.from << "/slurm.conf: Slurm cannot read it (" << error
                  << "); nothing changed" << std::endl;
        return kBadFiles;
    }
    auto restart = slurm::changes_needing_restart(previous["slurm.conf"], wanted["slurm.conf"]);
    try {
        install_set(wanted);
    } catch (const std::exception& error) {
        install_set(previous);
        std::cout << error.what() << "; the previous files are back" << std::endl;
        return kNotInstalled;
    }
    if (!restart.empty()) {
        std::string keys;
        for (const auto& key : restart) keys += (keys.empty() ? "" : ", ") + key;
        std::cout << "slurm.conf changes " << keys
                  << ": Slurm's reconfigure cannot change it; restarting slurmctld" << std::endl;
        if (!restart_daemon("/run/slurm/slurmctld.pid") || !wait_for_slurmctld(kRestartedSeconds))
            return roll_back(previous, "it did not start again with " + keys + " changed");
        std::cout << "slurmctld runs on the new files (" << changed
                  << "); every slurmd must restart now" << std::endl;
        return kRestartNodes;
    }
    CommandRun applied = run_command({"scontrol", "reconfigure"}, {}, 30);
    if (applied.exit_code != 0 || !slurmctld_answers()) {
        std::string why = first_line(applied.output);
        return roll_back(previous,
                         "scontrol reconfigure: " + (why.empty() ? "slurmctld stopped" : why));
    }
    std::cout << "slurmctld: applied " << changed << "; the nodes follow (configless)" << std::endl;
    return kApplied;
}

// The node's features as slurmctld lists them ("" when it does not list the node).
std::string current_features(const std::string& node) {
    CommandRun show = run_command({"scontrol", "-o", "show", "node", node}, {}, 10);
    if (show.exit_code != 0) return "";
    return std::string(scontrol_field(show.output, "AvailableFeatures="));
}

int reconfigure_node(const ReconfigureOptions& options) {
    std::string path = options.from + "/node-features.conf";
    std::string text;
    if (!read_text(path, text)) {
        std::cout << path << ": cannot read it; nothing changed" << std::endl;
        return kBadFiles;
    }
    auto features = slurm::parse_node_features(text, path);
    if (!features.errors.empty()) {
        std::cout << features.errors.front() << "; nothing changed" << std::endl;
        return kBadFiles;
    }
    std::string wanted = slurm::wanted_features(options.role, features);
    const std::string& node = options.hostname;
    if (current_features(node) != wanted) {
        CommandRun update = run_command({"scontrol", "update", "NodeName=" + node,
                                         "AvailableFeatures=" + wanted, "ActiveFeatures=" + wanted},
                                        {}, 30);
        if (update.exit_code != 0) {
            std::cout << node << ": scontrol update of its features failed ("
                      << first_line(update.output) << ")" << std::endl;
            return kRolledBack;
        }
        std::cout << node << ": features " << wanted << std::endl;
    } else {
        std::cout << node << ": features " << wanted << " (unchanged)" << std::endl;
    }
    if (options.restart_slurmd) {
        if (!restart_daemon("/run/slurm/slurmd.pid")) {
            std::cout << node << ": no slurmd to restart (/run/slurm/slurmd.pid)" << std::endl;
            return kRolledBack;
        }
        std::cout << node << ": slurmd restarting; it joins again with the new configuration"
                  << std::endl;
    }
    return kApplied;
}

// Where the Slurm commands run but no daemon reads slurm.conf: the files, installed.
int reconfigure_client(const ReconfigureOptions& options) {
    FileSet wanted, previous;
    if (!read_new_set(options.from, wanted)) return kBadFiles;
    read_set(kInstalledDir, previous);
    std::string changed = changed_names(previous, wanted);
    try {
        install_set(wanted);
    } catch (const std::exception& error) {
        std::cout << error.what() << std::endl;
        return kNotInstalled;
    }
    std::cout << options.role << ": "
              << (changed.empty() ? "no file changed" : "installed " + changed) << std::endl;
    return kApplied;
}

}  // namespace

int reconfigure(const ReconfigureOptions& options) {
    if (options.role == "slurmctld") return reconfigure_controller(options);
    if (options.role == "c" || options.role == "q") return reconfigure_node(options);
    if (options.role == "login" || options.role == "slurmdbd") return reconfigure_client(options);
    std::cout << "reconfigure: role '" << options.role
              << "' has no Slurm configuration; give --role slurmctld, c, q, login or slurmdbd"
              << std::endl;
    return kUsage;
}

}  // namespace rqinit
