// Every exit code rqinit itself uses, in one place (docs/reference.md, "Exit codes", lists the
// same). Codes a service hands on (its status, 128+signal) are not here: they are the service's.
#pragma once

namespace rqinit::exit_code {

constexpr int kSuccess = 0;
// A service that failed for good with status 0 (it exited when it should have kept running).
constexpr int kServiceFailed = 1;
constexpr int kUsage = 2;     // bad command line, or nothing to run
constexpr int kConfig = 3;    // config file, role, user, group, capability, cycle
constexpr int kNotReady = 4;  // a service did not become ready (timeout, or probe exit 100)
constexpr int kInstall = 5;   // a secret or config could not be installed
// A system call rqinit needs failed, or an unexpected error inside rqinit: what had started was
// stopped in order first. 111 is s6's "system call failed".
constexpr int kSystem = 111;
constexpr int kCannotExecute = 126;  // as a shell says: found, not executable
constexpr int kNotFound = 127;       // as a shell says: no such program
// A command probe that exits 100 says "this will never succeed" (s6's permanent failure).
constexpr int kProbeNever = 100;

}  // namespace rqinit::exit_code
