#include "init/status_report.hpp"

#include <algorithm>
#include <cstdio>

namespace rqinit {
namespace {

std::string duration_text(double seconds) {
    char text[32];
    long whole = static_cast<long>(seconds);
    if (whole < 60)
        std::snprintf(text, sizeof text, "%lds", whole);
    else if (whole < 3600)
        std::snprintf(text, sizeof text, "%ldm%02lds", whole / 60, whole % 60);
    else
        std::snprintf(text, sizeof text, "%ldh%02ldm", whole / 3600, whole / 60 % 60);
    return text;
}

std::vector<std::string> row_of(const ServiceSnapshot& s) {
    return {s.name,
            s.pid > 0 ? std::to_string(s.pid) : "-",
            s.state,
            std::to_string(s.restarts),
            s.pid > 0 ? duration_text(s.uptime) : "-",
            s.last_exit.empty() ? "-" : s.last_exit};
}

}  // namespace

std::string format_status_table(const std::vector<ServiceSnapshot>& services) {
    std::vector<std::vector<std::string>> rows = {
        {"SERVICE", "PID", "STATE", "RESTARTS", "UPTIME", "LAST EXIT"}};
    for (const auto& s : services) rows.push_back(row_of(s));
    std::vector<size_t> widths(rows[0].size(), 0);
    for (const auto& row : rows)
        for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    std::string text;
    for (const auto& row : rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c)
            line += c + 1 < row.size() ? row[c] + std::string(widths[c] - row[c].size() + 2, ' ')
                                       : row[c];
        text += line + "\n";
    }
    return text;
}

std::string health_line(const std::vector<ServiceSnapshot>& services, bool stopping,
                        bool been_healthy) {
    if (stopping) return "unhealthy: rqinit is stopping";
    for (const auto& s : services)
        if (!s.healthy) return std::string(been_healthy ? "unhealthy: " : kStarting) + s.why;
    return std::string(kHealthy);
}

}  // namespace rqinit
