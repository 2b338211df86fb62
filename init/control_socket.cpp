#include "init/control_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rqinit {
namespace {

sockaddr_un address_of(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path)
        throw std::runtime_error("control socket path too long: " + path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

void make_parent_directory(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return;
    std::string directory = path.substr(0, slash);
    if (mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + directory + ": " + strerror(errno));
}

// A client that sends nothing must not hold PID 1 for long.
void set_timeouts(int fd, int seconds) {
    timeval timeout{seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

std::string read_line(int fd) {
    std::string line;
    char c;
    while (line.size() < 256 && read(fd, &c, 1) == 1 && c != '\n') line += c;
    return line;
}

void write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

}  // namespace

ControlServer::ControlServer(std::string path) : path_(std::move(path)) {
    sockaddr_un address = address_of(path_);
    make_parent_directory(path_);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + strerror(errno));
    unlink(path_.c_str());
    // The umask makes the socket 0600 from its creation, with no window for others to connect.
    mode_t old_mask = umask(0177);
    int bound = bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
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
    int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    set_timeouts(client, 1);
    write_all(client, answer(read_line(client)));
    close(client);
}

ControlReply ask_control_socket(const std::string& path, const std::string& request) {
    sockaddr_un address{};
    try {
        address = address_of(path);
    } catch (const std::exception& error) {
        return {false, error.what()};
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {false, std::string("socket: ") + strerror(errno)};
    set_timeouts(fd, 5);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::string reason = strerror(errno);
        close(fd);
        return {false, "rqinit is not reachable at " + path + ": " + reason};
    }
    write_all(fd, request + "\n");
    std::string reply;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) reply.append(buffer, static_cast<size_t>(n));
    close(fd);
    return {true, reply};
}

}  // namespace rqinit
