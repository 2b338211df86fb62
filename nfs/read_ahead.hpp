// Read-ahead for one file of the FUSE client. The kernel reads a FUSE file 128 KiB at a time
// (its read-ahead window for FUSE), where an NFS server serves 1 MiB as fast as 128 KiB: a
// sequential reader gets 1 MiB windows, fetched one ahead, and is served from them.
// Plain data: the NFS calls are fuse_nfs.cpp's; this only says what to serve and fetch.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace rqinit {

class ReadAhead {
  public:
    static constexpr size_t kWindow = 1 << 20;

    // [offset, offset + size) from a window, shorter at the end of the file; valid until the
    // next add or clear. nullopt: no window holds offset.
    std::optional<std::string_view> find(uint64_t offset, size_t size) const;
    // A fetched window (eof: the file ends within it). Keeps the newest two.
    void add(uint64_t start, std::string data, bool eof);
    // The start of the window to fetch next for a reader that has read up to `end`, or nullopt
    // when none is needed yet (not past the middle of the newest window, one is in flight, or
    // the file ends in the newest).
    std::optional<uint64_t> prefetch_after(uint64_t end) const;

    void set_in_flight(uint64_t start) { in_flight_ = start; }
    void clear_in_flight() { in_flight_.reset(); }
    bool in_flight_covers(uint64_t offset) const;
    bool in_flight() const { return in_flight_.has_value(); }

    // Forgets the windows (the file was opened again, written or truncated). A window in flight
    // when this happens is of an older generation and is dropped when it arrives.
    void clear();
    uint64_t generation() const { return generation_; }

  private:
    struct Window {
        uint64_t start = 0;
        std::string data;
        bool eof = false;
    };
    std::deque<Window> windows_;
    std::optional<uint64_t> in_flight_;
    uint64_t generation_ = 0;
};

}  // namespace rqinit
