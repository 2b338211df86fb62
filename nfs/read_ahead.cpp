#include "nfs/read_ahead.hpp"

#include <algorithm>

namespace rqinit {

std::optional<std::string_view> ReadAhead::find(uint64_t offset, size_t size) const {
    for (const auto& w : windows_) {
        uint64_t end = w.start + w.data.size();
        if (offset < w.start) continue;
        if (offset < end) {
            size_t available = static_cast<size_t>(end - offset);
            // A read that runs past a window that is not the file's last needs the next one.
            if (available < size && !w.eof) continue;
            return std::string_view(w.data).substr(offset - w.start, std::min(size, available));
        }
        if (w.eof) return std::string_view();  // at or past the end of the file
    }
    return std::nullopt;
}

void ReadAhead::add(uint64_t start, std::string data, bool eof) {
    windows_.push_back({start, std::move(data), eof});
    while (windows_.size() > 2) windows_.pop_front();
}

std::optional<uint64_t> ReadAhead::prefetch_after(uint64_t end) const {
    if (in_flight_ || windows_.empty()) return std::nullopt;
    const Window& newest = windows_.back();
    if (newest.eof || end < newest.start + newest.data.size() / 2) return std::nullopt;
    return newest.start + newest.data.size();
}

bool ReadAhead::in_flight_covers(uint64_t offset) const {
    return in_flight_ && offset >= *in_flight_ && offset < *in_flight_ + kWindow;
}

void ReadAhead::clear() {
    windows_.clear();
    in_flight_.reset();
    ++generation_;
}

}  // namespace rqinit
