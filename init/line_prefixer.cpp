#include "init/line_prefixer.hpp"

#include <cctype>

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

std::string last_telling_line(std::string_view lines) {
    std::string_view found;
    while (!lines.empty()) {
        size_t end = lines.find('\n');
        std::string_view line = lines.substr(0, end);
        size_t first = line.find_first_not_of(" \t");
        if (first != std::string_view::npos &&
            std::isalnum(static_cast<unsigned char>(line[first])))
            found = line;
        lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 1);
    }
    return std::string(found);
}

}  // namespace rqinit
