// The control socket: a unix stream socket, mode 0600, on which rqinit answers one request per
// connection ("status" or "health", one line) and closes. `rqinit status` and `rqinit health`
// are its clients.
#pragma once

#include <functional>
#include <string>

namespace rqinit {

class ControlServer {
  public:
    // Creates the socket's directory if needed and replaces a stale socket file. Throws
    // std::runtime_error with the path and the reason when it cannot listen.
    explicit ControlServer(std::string path);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    int fd() const { return fd_; }
    // Accepts one pending client and answers it with answer(request).
    void serve_one(const std::function<std::string(const std::string&)>& answer);

  private:
    std::string path_;
    int fd_ = -1;
};

struct ControlReply {
    bool reached = false;
    std::string text;  // the reply, or why rqinit could not be reached
};

ControlReply ask_control_socket(const std::string& path, const std::string& request);

}  // namespace rqinit
