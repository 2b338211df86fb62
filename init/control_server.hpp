// The control socket's server side: a unix stream socket, mode 0600, on which rqinit answers
// one request per connection ("status" or "health", one line) and closes.
//
// It lives inside PID 1's event loop, so it never blocks: every client is a small state
// (bytes read so far, bytes left to send, a deadline) advanced when its socket is ready. A
// client that says nothing, says too much, or never reads its answer costs one slot until its
// deadline, and the oldest slot is given up when all are taken, so that a new client (Docker's
// health check) is always heard. Every client gets one line, or is dropped.
#pragma once

#include <functional>
#include <map>
#include <string>

namespace rqinit {

class ControlServer {
  public:
    using Answer = std::function<std::string(const std::string& request)>;

    // Creates the socket's directory if needed and replaces a stale socket file. Throws
    // std::runtime_error with the path and the reason when it cannot listen.
    explicit ControlServer(std::string path);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Readable whenever a client connects, sends, or can take more of its answer (an epoll
    // descriptor of the listening socket and every client: one descriptor for the caller).
    int fd() const { return events_fd_; }
    // Does whatever the ready sockets allow, without waiting; answer(request) makes a reply.
    void serve_ready(const Answer& answer, double now);
    // Drops every client whose deadline has passed.
    void drop_expired(double now);
    // The nearest client deadline, or infinity.
    double next_deadline() const;

  private:
    struct Client {
        std::string request;  // read so far
        std::string reply;    // left to send
        double deadline = 0;
        unsigned long order = 0;  // connection order: the oldest is given up first
    };

    void accept_all(const Answer& answer, double now);
    void read_from(int fd, Client& client, const Answer& answer);
    void reply(int fd, Client& client, std::string text);
    void send_rest(int fd, Client& client);
    void make_room();
    void drop(int fd);

    std::string path_;
    int listen_fd_ = -1;
    int events_fd_ = -1;
    std::map<int, Client> clients_;  // by socket
    unsigned long connections_ = 0;
};

}  // namespace rqinit
