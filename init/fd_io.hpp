// Writing a whole buffer to an fd, the one way rqinit does it.
#pragma once

#include <string>

namespace rqinit {

// Writes all of text, retrying on EINTR and short writes. Returns false when the fd refuses
// (closed pipe, EAGAIN on a non-blocking fd): the caller decides what a lost write means.
// SIGPIPE is blocked in rqinit (signal_mask.hpp), so a closed peer is EPIPE, not a death.
bool write_all(int fd, const std::string& text);

}  // namespace rqinit
