#include "init/connect_probe.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "init/unix_address.hpp"

namespace rqinit {
namespace {

using Outcome = ConnectAttempt::Outcome;

ConnectAttempt connect_to(int family, const sockaddr* address, socklen_t length) {
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return {Outcome::failed, -1, std::string("socket: ") + strerror(errno)};
    if (connect(fd, address, length) == 0) {
        close(fd);
        return {Outcome::connected, -1, ""};
    }
    if (errno == EINPROGRESS) return {Outcome::in_progress, fd, ""};
    std::string reason = strerror(errno);
    close(fd);
    return {Outcome::failed, -1, reason};
}

ConnectAttempt connect_unix(const std::string& path) {
    auto address = unix_address(path);
    if (!address) return {Outcome::failed, -1, "not a usable socket path: " + path};
    return connect_to(AF_UNIX, reinterpret_cast<sockaddr*>(&*address), sizeof *address);
}

// "host:port" or "[v6]:port".
bool split_host_port(const std::string& text, std::string& host, std::string& port) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 == text.size()) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    return !host.empty();
}

ConnectAttempt connect_tcp(const std::string& target) {
    std::string host, port;
    if (!split_host_port(target, host, port))
        return {Outcome::failed, -1, "'" + target + "' is not host:port"};
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (error != 0)
        return {Outcome::failed, -1, "cannot resolve " + host + ": " + gai_strerror(error)};
    ConnectAttempt attempt = connect_to(found->ai_family, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    return attempt;
}

}  // namespace

ConnectAttempt start_connect(const Probe& probe) {
    if (probe.kind == Probe::Kind::unix_socket) return connect_unix(probe.address);
    return connect_tcp(probe.address);
}

bool finish_connect(int fd, std::string& reason) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
    close(fd);
    if (error != 0) reason = strerror(error);
    return error == 0;
}

}  // namespace rqinit
