#include "nfs/mount_services.hpp"

#include <algorithm>
#include <set>

#include "nfs/nfs_url.hpp"

namespace rqinit {
namespace {

std::string name_of(const std::string& target) {
    std::string name;
    for (char c : target) {
        if (c == '/') {
            if (!name.empty() && name.back() != '-') name += '-';
        } else {
            name += c;
        }
    }
    while (!name.empty() && name.back() == '-') name.pop_back();
    return name.empty() ? "root" : name;
}

ServiceSpec wait_for_export(const MountSpec& mount, const NfsUrl& url, const std::string& name,
                            const MountEnvironment& environment) {
    ServiceSpec wait;
    wait.name = "export-" + name;
    wait.origin = mount.origin;
    wait.needs_mounts = false;
    wait.ready.kind = Probe::Kind::command;
    wait.ready.argv = {environment.nfs_helper_path, "probe", url.text()};
    wait.ready.interval = 0.5;
    wait.start_timeout = mount.timeout;
    return wait;
}

// What both kinds of mount service share: after the export's wait, before what needs it.
ServiceSpec mount_service(const MountSpec& mount, const NfsUrl& url, const std::string& name) {
    ServiceSpec spec;
    spec.name = "mount-" + name;
    spec.origin = mount.origin;
    spec.needs_mounts = false;
    spec.depends_on = {"export-" + name};
    spec.mount_point = mount.target;
    spec.mount_source = url.text();
    return spec;
}

ServiceSpec fuse_server(const MountSpec& mount, const NfsUrl& url, const std::string& name,
                        const MountEnvironment& environment) {
    ServiceSpec server = mount_service(mount, url, name);
    server.command = {environment.nfs_helper_path, "fuse", url.text()};
    server.fuse_device = true;
    // rqinit mounted for it; it keeps one capability: the server trusts the uid a call carries
    // only from a reserved port (PrivilegedPort), which users cannot bind in this container.
    server.capabilities = std::vector<std::string>{"net_bind_service"};
    server.ready.kind = Probe::Kind::command;
    server.ready.argv = {environment.nfs_helper_path, "check", mount.target};
    server.health = server.ready;
    server.health.interval = 10;
    // A crash is a restart with a fresh mount; a server that keeps crashing stops the node.
    server.restart_delay = 0.2;
    server.restart_limit = 10;
    return server;
}

ServiceSpec kernel_mount(const MountSpec& mount, const NfsUrl& url, const std::string& name,
                         const MountEnvironment& environment) {
    ServiceSpec oneshot = mount_service(mount, url, name);
    oneshot.oneshot = true;
    oneshot.restart = RestartPolicy::never;
    oneshot.command = {environment.nfs_helper_path, "mount", url.text(), mount.target};
    oneshot.capabilities = std::vector<std::string>{"sys_admin"};
    return oneshot;
}

bool use_kernel(const MountSpec& mount, const MountEnvironment& environment) {
    switch (mount.client) {
        case MountSpec::Client::kernel:
            return true;
        case MountSpec::Client::fuse:
            return false;
        case MountSpec::Client::automatic:
            break;
    }
    return environment.kernel_has_nfs;
}

}  // namespace

std::vector<std::string> add_mount_services(Plan& plan, const MountEnvironment& environment) {
    std::vector<std::string> errors;
    std::set<std::string> targets;
    std::vector<std::string> mount_services;
    for (const auto& mount : plan.mounts) {
        NfsUrlResult parsed = parse_nfs_url(mount.url);
        if (!parsed.url) {
            errors.push_back(mount.origin + ": mount on " + mount.target + ": " + parsed.error);
            continue;
        }
        if (!targets.insert(mount.target).second) {
            errors.push_back(mount.origin + ": " + mount.target + " is mounted twice");
            continue;
        }
        bool kernel = use_kernel(mount, environment);
        if (!kernel && parsed.url->version != 3) {
            errors.push_back(mount.origin + ": mount on " + mount.target + ": '" + mount.url +
                             "': rqinit's FUSE client speaks NFSv3 only (drop ?version=4, or "
                             "use client = \"kernel\" where the kernel has an NFS client)");
            continue;
        }
        std::string name = name_of(mount.target);
        plan.services.push_back(wait_for_export(mount, *parsed.url, name, environment));
        plan.services.push_back(kernel ? kernel_mount(mount, *parsed.url, name, environment)
                                       : fuse_server(mount, *parsed.url, name, environment));
        mount_services.push_back(plan.services.back().name);
    }
    if (mount_services.empty()) return errors;
    for (auto& spec : plan.services) {
        if (!spec.needs_mounts || spec.command.empty()) continue;
        for (const auto& name : mount_services)
            if (std::find(spec.depends_on.begin(), spec.depends_on.end(), name) ==
                spec.depends_on.end())
                spec.depends_on.push_back(name);
    }
    // Only rqinit mounts and unmounts: no service, job, probe or hook keeps CAP_SYS_ADMIN.
    if (std::find(plan.pid1_only_capabilities.begin(), plan.pid1_only_capabilities.end(),
                  "sys_admin") == plan.pid1_only_capabilities.end())
        plan.pid1_only_capabilities.push_back("sys_admin");
    return errors;
}

std::vector<MountSpec> parse_mount_list(std::string_view text, const std::string& origin,
                                        std::vector<std::string>& errors) {
    std::vector<MountSpec> mounts;
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find_first_of(" ,\t\n", at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = text.substr(at, end - at);
        at = end + 1;
        if (item.empty()) continue;
        auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0 || item[0] != '/') {
            errors.push_back(origin + ": '" + std::string(item) +
                             "' is not TARGET=URL (e.g. /shared=nfs://nfs/shared)");
            continue;
        }
        MountSpec mount;
        mount.target = std::string(item.substr(0, eq));
        mount.url = std::string(item.substr(eq + 1));
        mount.origin = origin;
        mounts.push_back(std::move(mount));
    }
    return mounts;
}

}  // namespace rqinit
