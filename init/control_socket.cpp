#include "init/control_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "init/clock.hpp"
#include "init/unix_address.hpp"

namespace rqinit {
namespace {

// One deadline for a whole request, reads and writes together: a client that dribbles bytes
// cannot hold the event loop (PID 1) longer than this.
constexpr double kServeSeconds = 1.0;
constexpr double kAskSeconds = 5.0;
constexpr size_t kMaxRequest = 256;

void make_parent_directory(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return;
    std::string directory = path.substr(0, slash);
    if (mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + directory + ": " + strerror(errno));
}

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

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

}  // namespace

ControlServer::ControlServer(std::string path) : path_(std::move(path)) {
    auto address = unix_address(path_);
    if (!address) throw std::runtime_error("control socket path is not usable: " + path_);
    make_parent_directory(path_);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + strerror(errno));
    unlink(path_.c_str());
    // The umask makes the socket 0600 from its creation, with no window for others to connect.
    mode_t old_mask = umask(0177);
    int bound = bind(fd_, reinterpret_cast<sockaddr*>(&*address), sizeof *address);
    umask(old_mask);
    if (bound != 0 || listen(fd_, 8) != 0) {
        std::string reason = strerror(errno);
        close(fd_);
        throw std::runtime_error("cannot listen on " + path_ + ": " + reason);
    }
}

ControlServer::~ControlServer() {
    if (fd_ < 0) return;
    close(fd_);
    unlink(path_.c_str());
}

void ControlServer::serve_one(const std::function<std::string(const std::string&)>& answer) {
    int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) return;
    double deadline = monotonic_seconds() + kServeSeconds;
    std::string request = read_until(client, deadline, kMaxRequest, [](const std::string& text) {
        return text.find('\n') != std::string::npos;
    });
    write_until(client, answer(first_line(request)), deadline);
    close(client);
}

ControlReply ask_control_socket(const std::string& path, const std::string& request) {
    auto address = unix_address(path);
    if (!address) return {false, "control socket path is not usable: " + path};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return {false, std::string("socket: ") + strerror(errno)};
    double deadline = monotonic_seconds() + kAskSeconds;
    // A unix stream connect completes at once or fails (EAGAIN: the backlog is full).
    if (connect(fd, reinterpret_cast<sockaddr*>(&*address), sizeof *address) != 0) {
        std::string reason = strerror(errno);
        close(fd);
        return {false, "rqinit is not reachable at " + path + ": " + reason};
    }
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
