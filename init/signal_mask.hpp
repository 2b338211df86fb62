// The signals rqinit takes through its signalfd: all of them but the ones the kernel raises for
// a fault in rqinit itself (blocking those would hide a crash; tini and catatonit leave them too).
#pragma once

#include <csignal>

namespace rqinit {

inline sigset_t blocked_signal_set() {
    sigset_t set;
    sigfillset(&set);
    for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS, SIGTRAP})
        sigdelset(&set, fault);
    return set;
}

// Called first thing in main, before any child exists, so no signal is lost or acted on by a
// default disposition (a PID 1 ignores unhandled signals, but a subreaper would die of them).
inline void block_signals() {
    sigset_t set = blocked_signal_set();
    sigprocmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace rqinit
