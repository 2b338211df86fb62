#!/usr/bin/python3
"""Mutation check: does each documented behaviour have a test that fails when it breaks?

Applies one small source change at a time (a MUTATION below), rebuilds the debug build,
runs the tests that should catch it, and restores the source. A mutation the tests do not
catch is a behaviour no test holds. Not run by CI (it takes minutes); run it with
`make mutate`, or `python3 tests/mutate.py [NAME...]` for some of them.

Exit status: 0 when every mutation was caught, 1 when one survived, 2 on a broken setup.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, file, original text, mutated text, ctest regex of the tests that must catch it)
MUTATIONS = [
    ("oneshot exit 0 restarts like any service",
     "init/service_transitions.cpp", "if (spec.oneshot && success) {",
     "if (false && spec.oneshot && success) {", "unit.service_transitions|init.oneshot"),
    ("health_retries ignored: unhealthy after one failure",
     "init/service_lifecycle.cpp", "s.record.health_failures >= spec.health_retries;",
     "s.record.health_failures >= 1;", "init.control"),
    ("hook_timeout ignored",
     "init/service_lifecycle.cpp", "if (s.hook_pid > 0 && now >= s.hook_deadline) {",
     "if (false && s.hook_pid > 0 && now >= s.hook_deadline) {", "init.hooks"),
    ("leftover process group not killed after a stop (table)",
     "init/service_transitions.cpp",
     "Actions out{act(ActionKind::clear_deadline), act(ActionKind::kill_group)};\n    if (spec.after_stop",
     "Actions out{act(ActionKind::clear_deadline)};\n    if (spec.after_stop",
     "unit.service_transitions|init.stop_order"),
    ("leftover process group not killed after a stop (executor)",
     "init/service_lifecycle.cpp",
     "if (s.group > 0 && !plan_.single_command) kill(-s.group, SIGKILL);",
     "(void)0;", "init.stop_order"),
    ("a second SIGTERM no longer kills at once",
     "init/supervisor.cpp", "if (service.pid > 0) kill(-service.group, SIGKILL);",
     "(void)service;", "init.stop_order"),
    ("all services stopped at once, not in reverse order",
     "init/service_lifecycle.cpp", "if (dependents_down(*it)) deliver(",
     "if (true) deliver(", "init.stop_order"),
    ("restart window's edge moved",
     "init/restart_policy.cpp", "history.front() < now - spec.restart_window",
     "history.front() <= now - spec.restart_window", "unit.restart_policy"),
    ("restart delay does not double",
     "init/restart_policy.cpp", "std::pow(2.0, static_cast<double>(history.size()))",
     "1.0", "unit.restart_policy|init.restart"),
    ("restart delay ignored",
     "init/service_transitions.cpp", "out.push_back(after(ActionKind::arm_deadline, decision.delay));",
     "out.push_back(after(ActionKind::arm_deadline, 0));", "unit.service_transitions|init.restart"),
    ("users looked up again at each start",
     "init/service_requests.cpp", "request.credentials = spec.credentials;",
     "if (!spec.user.empty()) request.credentials = resolve_credentials(spec.user);",
     "init.privileges"),
    ("a mount not taken down when its service stops",
     "init/service_transitions.cpp", "if (spec.mount_point.empty()) return {};",
     "if (true || spec.mount_point.empty()) return {};",
     "unit.service_transitions"),
    ("the kernel's NFSv3 mount asks for locks no daemon serves",
     "nfs/kernel_mount.cpp", 'data += ",mountproto=tcp,nolock";', 'data += ",mountproto=tcp";',
     "unit.kernel_mount"),
    ("CAP_SYS_ADMIN left to every service of a plan with mounts",
     "nfs/mount_services.cpp", 'plan.pid1_only_capabilities.push_back("sys_admin");', "(void)0;",
     "unit.mount_services"),
    ("/dev/null inherited by every service",
     "init/spawn.cpp", 'open("/dev/null", O_RDONLY | O_CLOEXEC)', 'open("/dev/null", O_RDONLY)',
     "init.privileges"),
    ("a probe's exit 100 waits for the timeout instead",
     "init/service_probes.cpp", "WEXITSTATUS(wait_status) == exit_code::kProbeNever",
     "WEXITSTATUS(wait_status) == 1000", "unit.supervisor|init.dependencies"),
    ("start_timeout ignored",
     "init/service_transitions.cpp", "case S::starting:\n        case S::after_ready:\n            return {act(ActionKind::clear_deadline),",
     "case S::waiting:\n            return {act(ActionKind::clear_deadline),",
     "unit.service_transitions|unit.supervisor|init.dependencies"),
    ("health failures never reset by a pass",
     "init/service_transitions.cpp", "        r.health_failures = 0;\n        return out;",
     "        return out;", "unit.service_transitions|init.control"),
    ("group-writable secret directory accepted",
     "secrets/file_install.cpp", "S_IWGRP | S_IWOTH", "S_IWOTH", "unit.file_install"),
    ("a munge key or password of 2 MiB accepted (the wrong file read in)",
     "secrets/file_install.cpp", "if (size > max_size)",
     "if (false && size > max_size)", "unit.file_install"),
    ("32-byte munge key refused",
     "secrets/file_install.cpp", "if (size < min_size)", "if (size <= min_size)", "unit.file_install"),
    ("health --wait waits on a container that was healthy before",
     "init/supervisor.cpp", "    if (been_healthy_ || stopping_) return;\n",
     "    if (stopping_) return;\n    been_healthy_ = false;\n    return;\n", "init.control"),
    ("health never leaves its start phase",
     "init/status_report.cpp", "(been_healthy ? \"unhealthy: \" : kStarting)",
     "(been_healthy || true ? \"unhealthy: \" : kStarting)",
     "unit.status_report|init.control"),
    ("health --wait never gives up on a container that stays starting",
     "init/main.cpp", "reply.text.starts_with(kStarting) && monotonic_seconds() < deadline)",
     "reply.text.starts_with(kStarting) && monotonic_seconds() < deadline + 3600)",
     "init.control"),
    ("the control socket waits on a silent client (PID 1 blocked)",
     "init/control_server.cpp", "if (n < 0 && errno == EAGAIN) return;  // the rest of the line comes later",
     "if (n < 0 && errno == EAGAIN) continue;",
     "init.control"),
    ("the control socket takes any length of request",
     "init/control_server.cpp", "if (client.request.size() > kMaxRequest)",
     "if (false && client.request.size() > kMaxRequest)", "init.control"),
    ("a role runs its services and jobs without no_new_privs",
     "roles/role_registry.cpp", "plan.no_new_privs = true;", "plan.no_new_privs = false;",
     "unit.role_plans"),
    ("a secret file others may read passes where /run/secrets cannot be covered",
     "secrets/file_install.cpp", "if (info.st_uid == 0 && (info.st_mode & (S_IRGRP | S_IROTH)) == 0) continue;",
     "continue;", "unit.file_install"),
    ("rejoin keeps root's capabilities",
     "roles/node_roles.cpp", "rejoin.capabilities = std::vector<std::string>{};", "",
     "unit.role_plans"),
    ("a wait for a host runs its probe before the name resolves",
     "roles/slurm_common.cpp", "\"getent hosts \\\"$1\\\" >/dev/null || ",
     "\"true || ", "unit.role_plans"),
    ("the control socket is made for anyone to connect",
     "init/control_server.cpp", "mode_t old_mask = umask(0177);", "mode_t old_mask = umask(0);",
     "init.control"),
    ("the kernel's NFS mount allows set-ID programs and device files",
     "nfs/kernel_mount.cpp", "call.flags = MS_NOSUID | MS_NODEV;", "call.flags = 0;",
     "unit.kernel_mount"),
    # Held by the cluster tests only: each builds the image and a cluster (minutes).
    ("close sends no COMMIT (no close-to-open)",
     "nfs/fuse_nfs.cpp", "    if (!fs.unstable_.contains(node)) return void(fuse_reply_err(req, 0));\n    commit(fs, req, node);",
     "    (void)fs;\n    (void)node;\n    fuse_reply_err(req, 0);", "cluster.nfs"),
    ("a changed write verifier at COMMIT passes as committed",
     "nfs/fuse_nfs.cpp", "fuse_reply_err(req, lost ? EIO : 0);", "fuse_reply_err(req, 0);",
     "cluster.nfs"),
    ("every caller of a FUSE mount acts as rasqberry on the server",
     "nfs/fuse_nfs.cpp", "Caller caller{ctx->uid, ctx->gid, groups};",
     "Caller caller{1000, 1000, groups};", "cluster.security"),
    ("/run/secrets left uncovered where it could be covered",
     "secrets/file_install.cpp", 'if (mount("rqinit-hidden", directory.c_str(), "tmpfs",',
     'if (false && mount("rqinit-hidden", directory.c_str(), "tmpfs",', "cluster.security"),
    ("the QRMI config, with every QPU's credentials, installed readable by every user",
     "roles/slurm_common.cpp", "config.mode = 0400;", "config.mode = 0444;", "cluster.qpu"),
    # The cluster tests hold these too (tests/swarm: the link cut; tests/cluster/test_nodes.py:
    # a node held at an address), checked by hand: they take minutes each.
    ("a clean stop deletes the entry its replacement registered",
     "nodes/node_registration.cpp",
     "return now > recorded_mark ? LeaveAction::leave_alone : LeaveAction::delete_node;",
     "return LeaveAction::delete_node;", "unit.node_registration"),
    ("a node stopped with jobs on it is not set DOWN first (they stay RUNNING for minutes)",
     "nodes/node_registration.cpp",
     ": StopAction::down_first;", ": StopAction::nothing;", "unit.node_registration"),
    ("a node held at an address is left there",
     "nodes/node_registration.cpp",
     "return !address.empty() && address != name ? WatchAction::pin_address : WatchAction::none;",
     "return !address.empty() && false ? WatchAction::pin_address : WatchAction::none;",
     "unit.node_registration"),
    ("a plugin setting (SelectType) restarts the daemons, as on 22.05",
     "roles/slurm_conf_text.cpp", '"SlurmctldPort", "SlurmdPort"};',
     '"SelectType", "SlurmctldPort", "SlurmdPort"};', "unit.slurm_conf_text"),
]


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def build():
    return run(["cmake", "--build", "--preset", "debug", "-j2"]).returncode == 0


def tests_fail(regex):
    return run(["ctest", "--preset", "debug", "-R", f"^({regex})$"]).returncode != 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="substrings of mutation names (default: all)")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.names or any(n in m[0] for n in args.names)]
    if run(["cmake", "--preset", "debug"]).returncode != 0 or not build():
        print("mutate: the unmutated debug build fails; fix it first", file=sys.stderr)
        return 2
    survived = 0
    for name, path, original, mutated, regex in chosen:
        full = os.path.join(ROOT, path)
        with open(full) as f:
            source = f.read()
        if source.count(original) != 1:
            print(f"mutate: {path}: the text of '{name}' is found {source.count(original)} "
                  "times, not once; update MUTATIONS", file=sys.stderr)
            return 2
        started = time.monotonic()
        try:
            with open(full, "w") as f:
                f.write(source.replace(original, mutated))
            if not build():
                verdict = "NOT BUILT (fix the mutation)"
                survived += 1
            elif tests_fail(regex):
                verdict = "caught"
            else:
                verdict = "SURVIVED"
                survived += 1
        finally:
            with open(full, "w") as f:
                f.write(source)
        print(f"{verdict:>10}  {name}  [{path}; {regex}; {time.monotonic() - started:.0f} s]",
              flush=True)
    build()  # leave the build as the source is
    print(f"{len(chosen) - survived} of {len(chosen)} mutations caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
