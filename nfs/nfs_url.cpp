#include "nfs/nfs_url.hpp"

#include <cctype>
#include <charconv>

namespace rqinit {
namespace {

constexpr std::string_view kScheme = "nfs://";
constexpr const char* kForm =
    "write nfs://SERVER[:PORT]/EXPORT[?version=3|4], e.g. nfs://nfs/shared";

// "'value'" (built by append: g++ 12 warns falsely on "'" + std::string(...) + "'").
std::string quoted(std::string_view value) {
    std::string text = "'";
    return text.append(value).append("'");
}

std::optional<int> parse_number(std::string_view text, int low, int high) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < low || value > high)
        return std::nullopt;
    return value;
}

NfsUrlResult fail(std::string_view text, const std::string& why) {
    return {std::nullopt, quoted(text) + ": " + why + " (" + kForm + ")"};
}

// "version=4&nfsport=2049": each known key once; anything else is an error, not ignored.
std::string apply_query(std::string_view query, NfsUrl& url) {
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) return quoted(pair) + " has no value";
        std::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
        if (key == "version") {
            auto v = parse_number(value, 3, 4);
            if (!v) return "version must be 3 or 4, not " + quoted(value);
            url.version = *v;
        } else if (key == "nfsport" || key == "mountport") {
            auto v = parse_number(value, 1, 65535);
            if (!v) return std::string(key) + " must be a port 1-65535, not " + quoted(value);
            (key == "nfsport" ? url.port : url.mount_port) = *v;
        } else {
            return "unknown option " + quoted(key) + " (known: version, nfsport, mountport)";
        }
    }
    return {};
}

bool valid_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    for (char c : host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'))
            return false;
    return host.front() != '-' && host.front() != '.';
}

}  // namespace

NfsUrlResult parse_nfs_url(std::string_view text) {
    if (text.substr(0, kScheme.size()) != kScheme) return fail(text, "not an nfs:// URL");
    std::string_view rest = text.substr(kScheme.size());
    auto question = rest.find('?');
    std::string_view query = question == std::string_view::npos ? "" : rest.substr(question + 1);
    rest = rest.substr(0, question);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 == rest.size())
        return fail(text, "no export path");
    std::string_view authority = rest.substr(0, slash);
    NfsUrl url;
    url.export_path = std::string(rest.substr(slash));
    while (url.export_path.size() > 1 && url.export_path.back() == '/') url.export_path.pop_back();
    auto colon = authority.find(':');
    url.server = std::string(authority.substr(0, colon));
    if (!valid_host_name(url.server)) return fail(text, "no valid server name");
    if (colon != std::string_view::npos) {
        auto port = parse_number(authority.substr(colon + 1), 1, 65535);
        if (!port) return fail(text, "the port must be a number 1-65535");
        url.port = *port;
    }
    if (std::string error = apply_query(query, url); !error.empty()) return fail(text, error);
    return {url, {}};
}

std::string NfsUrl::text() const {
    // libnfs takes the NFS port as ?nfsport=, not as SERVER:PORT.
    std::string out = std::string(kScheme) + server + export_path;
    std::string query;
    auto add = [&query](const std::string& pair) {
        query.append(query.empty() ? "?" : "&").append(pair);
    };
    if (version != 3) add("version=" + std::to_string(version));
    if (port) add("nfsport=" + std::to_string(port));
    if (mount_port) add("mountport=" + std::to_string(mount_port));
    return out + query;
}

}  // namespace rqinit
