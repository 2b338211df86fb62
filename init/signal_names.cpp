#include "init/signal_names.hpp"

#include <csignal>
#include <cstring>
#include <string_view>

namespace rqinit {
namespace {

struct NamedSignal {
    const char* name;
    int number;
};

constexpr NamedSignal kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

}  // namespace

std::optional<int> parse_signal(const std::string& text) {
    std::string_view name = text;
    if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
    for (const auto& s : kSignals)
        if (name == s.name) return s.number;
    if (!name.empty() && name.size() <= 3 &&
        name.find_first_not_of("0123456789") == std::string_view::npos) {
        int number = std::stoi(std::string(name));
        if (number >= 1 && number < NSIG) return number;
    }
    return std::nullopt;
}

std::string signal_name(int signal) {
    for (const auto& s : kSignals)
        if (s.number == signal) return std::string("SIG") + s.name;
    return "signal " + std::to_string(signal);
}

}  // namespace rqinit
