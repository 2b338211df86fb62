#include "init/line_prefixer.hpp"

namespace rqinit {

LinePrefixer::LinePrefixer(std::string prefix, size_t max_line)
    : prefix_(std::move(prefix)), max_line_(max_line) {}

std::string LinePrefixer::feed(std::string_view data) {
    std::string out;
    for (char c : data) {
        if (c == '\n') {
            out += prefix_ + partial_ + '\n';
            partial_.clear();
            continue;
        }
        partial_ += c;
        if (partial_.size() >= max_line_) {
            out += prefix_ + partial_ + '\n';
            partial_.clear();
        }
    }
    return out;
}

std::string LinePrefixer::flush() {
    if (partial_.empty()) return "";
    std::string out = prefix_ + partial_ + '\n';
    partial_.clear();
    return out;
}

}  // namespace rqinit
