#include "init/control_server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "init/unix_address.hpp"

namespace rqinit {
namespace {

// A client has this long from its connection to its last byte of answer.
constexpr double kClientSeconds = 5.0;
// A request is one short word; more than this, with no end of line, is not one.
constexpr size_t kMaxRequest = 256;
// Clients served at once; the oldest is given up for a new one beyond it.
constexpr size_t kMaxClients = 16;
constexpr int kBacklog = 64;

void make_parent_directory(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return;
    std::string directory = path.substr(0, slash);
    if (mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + directory + ": " + strerror(errno));
}

bool watch(int events_fd, int fd, uint32_t events, int operation) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    return epoll_ctl(events_fd, operation, fd, &event) == 0;
}

// Best effort, never waiting: a client that cannot take one line at once is dropped anyway.
void say_and_forget(int fd, const std::string& line) {
    ssize_t ignored = send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
}

}  // namespace

ControlServer::ControlServer(std::string path) : path_(std::move(path)) {
    auto address = unix_address(path_);
    if (!address) throw std::runtime_error("control socket path is not usable: " + path_);
    make_parent_directory(path_);
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + strerror(errno));
    unlink(path_.c_str());
    // The umask makes the socket 0600 from its creation, with no window for others to connect.
    mode_t old_mask = umask(0177);
    int bound = bind(listen_fd_, reinterpret_cast<sockaddr*>(&*address), sizeof *address);
    umask(old_mask);
    if (bound != 0 || listen(listen_fd_, kBacklog) != 0) {
        std::string reason = strerror(errno);
        close(listen_fd_);
        throw std::runtime_error("cannot listen on " + path_ + ": " + reason);
    }
    events_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (events_fd_ < 0) {
        std::string reason = strerror(errno);
        close(listen_fd_);
        unlink(path_.c_str());
        throw std::runtime_error("control socket: epoll_create1: " + reason);
    }
    if (!watch(events_fd_, listen_fd_, EPOLLIN, EPOLL_CTL_ADD)) {
        std::string reason = strerror(errno);
        close(events_fd_);
        close(listen_fd_);
        unlink(path_.c_str());
        throw std::runtime_error("control socket: epoll_ctl: " + reason);
    }
}

ControlServer::~ControlServer() {
    for (auto& [fd, client] : clients_) close(fd);
    if (events_fd_ >= 0) close(events_fd_);
    if (listen_fd_ < 0) return;
    close(listen_fd_);
    unlink(path_.c_str());
}

void ControlServer::serve_ready(const Answer& answer, double now) {
    epoll_event events[32];
    int count = epoll_wait(events_fd_, events, 32, 0);
    for (int e = 0; e < count; ++e) {
        int fd = events[e].data.fd;
        if (fd == listen_fd_) {
            accept_all(answer, now);
            continue;
        }
        auto found = clients_.find(fd);
        if (found == clients_.end()) continue;  // dropped earlier in this turn
        if (!found->second.reply.empty())
            send_rest(fd, found->second);
        else
            read_from(fd, found->second, answer);
    }
}

void ControlServer::accept_all(const Answer& answer, double now) {
    for (;;) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;  // EAGAIN: none left; anything else: that client is gone
        make_room();
        // A client the loop cannot watch is closed unanswered; PID 1 carries on regardless.
        if (!watch(events_fd_, fd, EPOLLIN, EPOLL_CTL_ADD)) {
            close(fd);
            continue;
        }
        clients_[fd] = Client{"", "", now + kClientSeconds, connections_++};
        // A client usually sent its line before it was accepted: answered now, it never
        // takes a slot that a crowd of silent clients could take from it.
        read_from(fd, clients_[fd], answer);
    }
}

void ControlServer::make_room() {
    if (clients_.size() < kMaxClients) return;
    auto oldest = clients_.begin();
    for (auto it = clients_.begin(); it != clients_.end(); ++it)
        if (it->second.order < oldest->second.order) oldest = it;
    say_and_forget(oldest->first, "error: too many clients at once; this one was dropped\n");
    drop(oldest->first);
}

void ControlServer::read_from(int fd, Client& client, const Answer& answer) {
    char buffer[512];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;  // the rest of the line comes later
        if (n < 0) return drop(fd);
        // End of file: the client said all it will; what it said is the request.
        if (n == 0) return reply(fd, client, answer(client.request));
        client.request.append(buffer, static_cast<size_t>(n));
        auto end = client.request.find('\n');
        if (end != std::string::npos)
            return reply(fd, client, answer(client.request.substr(0, end)));
        if (client.request.size() > kMaxRequest)
            return reply(fd, client,
                         "error: request longer than " + std::to_string(kMaxRequest) +
                             " bytes with no end of line (known: status, health)\n");
    }
}

void ControlServer::reply(int fd, Client& client, std::string text) {
    client.request.clear();
    client.reply = std::move(text);
    if (client.reply.empty()) return drop(fd);
    // From here the client is only written to.
    if (!watch(events_fd_, fd, EPOLLOUT, EPOLL_CTL_MOD)) return drop(fd);
    send_rest(fd, client);
}

void ControlServer::send_rest(int fd, Client& client) {
    while (!client.reply.empty()) {
        ssize_t n = send(fd, client.reply.data(), client.reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;  // EPOLLOUT brings us back
        if (n <= 0) return drop(fd);
        client.reply.erase(0, static_cast<size_t>(n));
    }
    drop(fd);  // answered: one request per connection
}

void ControlServer::drop_expired(double now) {
    for (auto it = clients_.begin(); it != clients_.end();) {
        int fd = it->first;
        bool expired = it->second.deadline <= now;
        bool silent = it->second.reply.empty();
        ++it;  // drop erases fd's entry
        if (!expired) continue;
        if (silent) say_and_forget(fd, "error: no request within 5 s (known: status, health)\n");
        drop(fd);
    }
}

double ControlServer::next_deadline() const {
    double next = std::numeric_limits<double>::infinity();
    for (const auto& [fd, client] : clients_) next = std::min(next, client.deadline);
    return next;
}

void ControlServer::drop(int fd) {
    epoll_ctl(events_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    clients_.erase(fd);
}

}  // namespace rqinit
