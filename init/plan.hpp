// The Plan vocabulary: what a container should run, as plain data.
// roles/ and the config file produce it; the supervisor executes it. Nothing here does anything.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "init/user_db.hpp"

namespace rqinit {

// How a service proves it is ready (and later, healthy).
struct Probe {
    enum class Kind { none, tcp, unix_socket, command };
    Kind kind = Kind::none;
    std::string address;            // tcp: "host:port"; unix_socket: a path
    std::vector<std::string> argv;  // command: exits 0 when ready
    double interval = 0.2;          // seconds between attempts
};

enum class RestartPolicy { always, on_failure, never };

// Where a service's stdout and stderr go.
enum class OutputMode {
    prefix,   // through a pipe, each line as "name | line" on rqinit's stdout
    inherit,  // rqinit's own fds (a TTY stays a TTY); stdin too
};

struct ServiceSpec {
    std::string name;
    std::vector<std::string> command;
    std::string user;  // "" = rqinit's own; "name", "name:group", or numeric
    std::optional<std::vector<std::string>> capabilities;  // nullopt: bounding set unchanged
    // Of the plan's pid1_only_capabilities, those this service keeps in its bounding set
    // (nothing else changes: its other capabilities stay as they are).
    std::vector<std::string> keeps_pid1_capabilities;
    std::map<std::string, std::string> environment;  // added to rqinit's environment
    std::string working_directory = "/";
    std::vector<std::string> depends_on;
    RestartPolicy restart = RestartPolicy::always;
    // A oneshot (a setup step) is never "ready" while it runs: its dependents start once it has
    // exited 0. restart then applies to its failures only.
    bool oneshot = false;
    OutputMode output = OutputMode::prefix;
    double start_timeout = 30.0;
    int stop_signal = 15;  // SIGTERM
    double stop_timeout = 10.0;
    double restart_delay = 0.1;
    double restart_delay_max = 10.0;
    int restart_limit = 5;
    double restart_window = 60.0;
    Probe ready;
    // After ready: checked every health.interval; health_retries failures in a row make the
    // service (and `rqinit health`) unhealthy, until it passes again. Health never restarts.
    Probe health{Probe::Kind::none, "", {}, 5.0};
    int health_retries = 3;
    std::vector<std::string> after_ready;  // hooks: empty = none
    std::vector<std::string> before_stop;
    std::vector<std::string> after_stop;
    double hook_timeout = 10.0;
    // A file system this service provides at mount_point (nfs/mount_services.cpp makes these).
    // rqinit unmounts it when the service stops, after every service that depends on it.
    // With fuse_device, rqinit itself opens /dev/fuse and mounts before each start, so that
    // the FUSE server runs without CAP_SYS_ADMIN; the server gets the device as fd 3.
    std::string mount_point;
    std::string mount_source;  // shown as the device in /proc/mounts: the export's URL
    bool fuse_device = false;
    // false: the service starts without waiting for the plan's mounts (munged, waits).
    bool needs_mounts = true;
    // Where each key came from ("rqinit.toml:12", "role c"), so that a later check can name it.
    std::string origin;
    std::map<std::string, std::string> key_origins;

    // Filled once by check_plan, before anything starts; spawning uses these and never looks a
    // user or a capability up again (a user deleted from /etc/passwd later changes nothing).
    std::optional<Credentials> credentials;             // from user
    std::optional<std::vector<int>> capability_values;  // from capabilities
    std::vector<int> kept_pid1_capability_values;       // from keeps_pid1_capabilities
};

// A file to put in place before any service starts: a Docker secret or config, installed with
// the owner and mode its daemon demands (secrets/file_install.cpp does it).
struct FileInstall {
    std::string what;    // for messages: "munge key"
    std::string source;  // as Docker mounted it; or a template, with substitutions
    std::string target;
    std::string owner = "root:root";
    mode_t mode = 0400;
    size_t min_size = 0;  // bytes the source must have at least
    std::string fix;      // how a user makes a good source, for the error message
    // In a template: "@NAME@" is replaced by the first line of the file given as the value.
    std::map<std::string, std::string> substitutions;
    // What the source is: "" any file, copied; "qrmi-config" a QRMI config, checked, then
    // copied; "qrmi-names" a QRMI config of which only the QPU names, each with its allowed
    // groups, land in the target.
    std::string format;
    // true: a missing source is no error; the file is not installed (rqinit says so).
    bool optional = false;
    // Bytes it may have at most: no secret or config of this cluster comes near; a larger file
    // is the wrong one mounted, and is refused before it is read into memory.
    size_t max_size = 1024 * 1024;
};

struct DirectoryInstall {
    std::string path;
    std::string owner = "root:root";
    mode_t mode = 0755;
};

// A network file system to mount before the services that need it (nfs/ turns each into a
// wait for the server and a mount service).
struct MountSpec {
    enum class Client { automatic, kernel, fuse };
    std::string url;                    // nfs://SERVER/EXPORT
    std::string target;                 // "/shared"
    Client client = Client::automatic;  // automatic: the kernel's client where it has one
    double timeout = 300;  // seconds to wait for the server before rqinit gives up (exit 4)
    std::string origin;    // "rqinit.toml:3", "RQINIT_MOUNTS"
};

struct Plan {
    std::vector<DirectoryInstall> directories;  // made first, in order
    std::vector<FileInstall> files;             // then these, before any service starts
    std::vector<ServiceSpec> services;
    // With `rqinit -- CMD`: the one service whose end ends rqinit with its status, and to
    // which every signal is forwarded as is (tini's contract).
    bool single_command = false;
    std::vector<MountSpec> mounts;
    // Directories covered, once the files are installed, by an empty read-only tmpfs, so that no
    // service or job can read what Docker put there (Swarm mounts secrets world-readable, 0444).
    // Needs CAP_SYS_ADMIN; without it rqinit says so and the sources' own modes must do.
    std::vector<std::string> hide_after_install;
    // Set on rqinit itself before its first service starts, and so inherited by every service,
    // probe, hook and job under it: no exec can raise a privilege (setuid files, file
    // capabilities). A `docker exec` is not rqinit's child: the engine's no-new-privileges covers
    // it.
    bool no_new_privs = false;
    // Capabilities only rqinit itself keeps (CAP_SYS_ADMIN, to mount): every service, probe
    // and hook starts with them out of its bounding set, unless its `capabilities` names them.
    std::vector<std::string> pid1_only_capabilities;
    // Filled once by check_plan: each program name of a command, probe or hook -> its path.
    std::map<std::string, std::string> programs;
    std::vector<int> pid1_only_capability_values;  // from pid1_only_capabilities
};

}  // namespace rqinit
