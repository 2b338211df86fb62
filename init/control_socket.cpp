#include "init/control_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "init/clock.hpp"
#include "init/unix_address.hpp"

namespace rqinit {
namespace {

// One deadline for the whole exchange, the request and the answer together.
constexpr double kAskSeconds = 5.0;

// Waits until fd is ready for events or the deadline passes. false: the deadline passed, or
// poll failed.
bool wait_ready(int fd, short events, double deadline) {
    for (;;) {
        double left = deadline - monotonic_seconds();
        if (left <= 0) return false;
        pollfd p{fd, events, 0};
        int n = poll(&p, 1, static_cast<int>(left * 1000) + 1);
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return false;
    }
}

// Reads until `stop` says the text is complete, EOF, max bytes, or the deadline.
template <typename Stop>
std::string read_until(int fd, double deadline, size_t max, Stop stop) {
    std::string text;
    char buffer[4096];
    while (text.size() < max && !stop(text)) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n > 0) {
            text.append(buffer, static_cast<size_t>(n));
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;
        if (errno != EAGAIN || !wait_ready(fd, POLLIN, deadline)) break;
    }
    return text;
}

bool write_until(int fd, const std::string& text, double deadline) {
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || errno != EAGAIN || !wait_ready(fd, POLLOUT, deadline)) return false;
    }
    return true;
}

// A connected socket, or -1 with the reason. A unix stream connect completes at once or fails;
// EAGAIN means rqinit's backlog is full (a crowd of other clients), so this waits for room
// until the deadline, as a blocking connect would.
int connect_by(const sockaddr_un& address, double deadline, std::string& reason) {
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            reason = std::string("socket: ") + strerror(errno);
            return -1;
        }
        if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0)
            return fd;
        int error = errno;
        close(fd);
        if (error != EAGAIN || monotonic_seconds() >= deadline) {
            reason = strerror(error);
            return -1;
        }
        poll(nullptr, 0, 10);
    }
}

}  // namespace

ControlReply ask_control_socket(const std::string& path, const std::string& request) {
    auto address = unix_address(path);
    if (!address) return {false, "control socket path is not usable: " + path};
    double deadline = monotonic_seconds() + kAskSeconds;
    std::string reason;
    int fd = connect_by(*address, deadline, reason);
    if (fd < 0) return {false, "rqinit is not reachable at " + path + ": " + reason};
    if (!write_until(fd, request + "\n", deadline)) {
        close(fd);
        return {false, "rqinit at " + path + " did not take the request"};
    }
    std::string reply = read_until(fd, deadline, 1 << 20, [](const std::string&) { return false; });
    close(fd);
    if (reply.empty()) return {false, "rqinit at " + path + " did not answer within 5 s"};
    return {true, reply};
}

}  // namespace rqinit
