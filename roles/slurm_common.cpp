#include "roles/slurm_common.hpp"

namespace rqinit::slurm {

ServiceSpec service(const std::string& name, std::vector<std::string> command) {
    ServiceSpec spec;
    spec.name = name;
    spec.command = std::move(command);
    spec.restart = RestartPolicy::always;
    spec.restart_delay = 0.1;  // munged back in well under 2 s after a kill -9
    spec.restart_delay_max = 5;
    spec.restart_limit = 10;
    spec.restart_window = 60;
    spec.stop_timeout = 8;  // inside Docker's 10 s grace period, with room for the hooks
    spec.start_timeout = 120;
    spec.ready.interval = 0.2;
    return spec;
}

ServiceSpec wait_for(const std::string& name, std::vector<std::string> probe, double timeout) {
    ServiceSpec spec = service(name, {});
    spec.ready.kind = Probe::Kind::command;
    spec.ready.argv = std::move(probe);
    spec.ready.interval = 0.2;  // a container starts as soon as what it waits for answers
    spec.start_timeout = timeout;
    spec.hook_timeout = 10;
    return spec;
}

ServiceSpec wait_for_host(const std::string& name, const std::string& host,
                          std::vector<std::string> probe, double timeout) {
    // getent answers at once either way; exec keeps the probe's own exit status (100: give up).
    std::vector<std::string> argv = {
        "/bin/sh", "-c",
        "getent hosts \"$1\" >/dev/null || { echo \"$1 does not resolve yet\"; exit 1; }; "
        "shift; exec \"$@\"",
        name, host};
    argv.insert(argv.end(), probe.begin(), probe.end());
    return wait_for(name, std::move(argv), timeout);
}

ServiceSpec with_health(ServiceSpec spec) {
    spec.health = spec.ready;
    spec.health.interval = 10;
    spec.health_retries = 3;
    return spec;
}

FileInstall munge_key() {
    FileInstall key;
    key.what = "munge key";
    key.source = kSecretDir + "/munge_key";
    key.target = "/etc/munge/munge.key";
    key.owner = "munge:munge";
    key.mode = 0400;
    key.min_size = 32;  // munged refuses shorter keys, even with --force
    key.fix = "create the munge_key secret: dd if=/dev/urandom bs=1 count=1024 of=munge.key";
    return key;
}

FileInstall database_password_template(const std::string& what, const std::string& source,
                                       const std::string& target, const std::string& owner,
                                       mode_t mode, const std::string& syntax) {
    FileInstall file;
    file.what = what;
    file.source = source;
    file.target = target;
    file.owner = owner;
    file.mode = mode;
    file.substitutions = {{"DB_PASSWORD:" + syntax, kSecretDir + "/db_password"}};
    return file;
}

FileInstall qrmi_config() {
    FileInstall config;
    config.what = "QRMI config";
    config.source = kSecretDir + "/qrmi_config";
    config.target = "/etc/slurm/qrmi_config.json";  // plugstack.conf names it
    config.mode = 0400;
    config.format = "qrmi-config";
    config.optional = true;  // without it, --qpu jobs fail on this node, one line each
    config.fix = "stack/etc/qrmi_config.example.json shows the format";
    return config;
}

FileInstall qrmi_names() {
    FileInstall names = qrmi_config();
    names.what = "QPU names";
    names.target = "/etc/slurm/qrmi_config.names";  // beside the config, as the plugin looks
    names.mode = 0644;
    names.format = "qrmi-names";
    return names;
}

std::vector<FileInstall> slurm_config_files() {
    std::vector<FileInstall> files;
    for (const char* name : {"slurm.conf", "gres.conf", "cgroup.conf", "plugstack.conf"}) {
        FileInstall file;
        file.what = name;
        file.source = kConfigDir + "/" + name;
        file.target = std::string("/etc/slurm/") + name;
        file.mode = 0644;
        file.fix = "the stack mounts it from stack/etc";
        files.push_back(file);
    }
    return files;
}

std::vector<DirectoryInstall> slurm_directories() {
    return {{"/run/munge", "munge:munge", 0755},
            {"/run/slurm", "slurm:slurm", 0755},
            {"/var/log/slurm", "slurm:slurm", 0755},
            {"/home/" + kDemoUser, kDemoUser, 0755},
            {"/data", "root:root", 01777}};  // job data: every user may write, like /tmp
}

ServiceSpec munged() {
    ServiceSpec spec =
        service("munged", {"/usr/sbin/munged", "--foreground", "--key-file=/etc/munge/munge.key",
                           "--socket=/run/munge/munge.socket.2", "--pid-file=/run/munge/munged.pid",
                           "--seed-file=/var/lib/munge/munged.seed", "--log-file=/dev/null"});
    spec.user = "munge";
    spec.needs_mounts = false;  // munged starts while /shared and /home are still mounting
    // Ready when a credential encoded on its socket decodes again: the round trip every Slurm
    // daemon depends on.
    spec.ready.kind = Probe::Kind::command;
    spec.ready.argv = {"/bin/sh", "-c", "/usr/bin/munge -n | /usr/bin/unmunge >/dev/null"};
    spec.ready.interval = 0.05;
    spec.start_timeout = 30;
    return with_health(spec);
}

ServiceSpec wait_for_slurmctld() {
    // scontrol ping, and when it fails, where the name led: "is DOWN" alone cannot tell a
    // controller that does not answer from a name that resolves nowhere or to a stranger.
    ServiceSpec wait = wait_for_host(
        "slurmctld-up", "slurmctld",
        {"/bin/sh", "-c",
         "out=$(/usr/bin/scontrol ping 2>&1) && exit 0; "
         "printf '%s (slurmctld resolves to %s)\\n' \"$(printf '%s\\n' \"$out\" | head -1)\" "
         "\"$(getent hosts slurmctld | head -1 | cut -d' ' -f1)\"; exit 1",
         "slurmctld-up"},
        300);
    wait.depends_on = {"munged"};
    return wait;
}

Plan slurm_base_plan() {
    Plan plan;
    plan.directories = slurm_directories();
    plan.files = slurm_config_files();
    plan.files.insert(plan.files.begin(), munge_key());
    // Installed, the secrets are the daemons' files: the sources go out of every job's sight
    // (Swarm mounts them world-readable: the munge key would let a user act as root).
    plan.hide_after_install = {kSecretDir};
    plan.services.push_back(munged());
    return plan;
}

}  // namespace rqinit::slurm
