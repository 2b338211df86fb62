// A STAND-IN FOR QRMI, FOR TESTS ONLY: QRMI's C functions that the qpu plugin calls, doing no
// quantum work at all. It exists because QRMI (Rust) cannot be built on these machines; the
// cluster tests install it as libqrmi.so on a q node to hold the plugin's side of the contract:
// acquire at batch start, the token in the job's environment, release at the job's end.
//
// Every call is appended, one line each, to /var/log/qrmi-standin.log:
//   settings NAME K=V ... | acquire NAME TOKEN | release NAME TOKEN | refused NAME (not accessible)
// "settings", just before "acquire", is what QRMI would read for the QPU: the process
// environment's NAME_* variables, sorted, with their values (the tests' values are fake), so
// that a test sees whether the site's credential or the job's own settings were used.
// A QPU is accessible unless the process environment has <NAME>_QRMI_STANDIN_OFFLINE=1 (a job
// sets it for itself: the plugin hands a job's own <NAME>_QRMI_* to QRMI, then with none of the
// site's settings).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "spank/qrmi_api.h"
#include "spank/qrmi_config.hpp"

namespace {

constexpr int kError = 100;  // QRMI_RETURN_CODE_ERROR
thread_local std::string g_last_error;
std::atomic<int> g_tokens{0};

struct StandinResource {
    std::string name;
};

void log_call(const std::string& line) {
    int fd = open("/var/log/qrmi-standin.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    const std::string text = line + "\n";
    [[maybe_unused]] ssize_t written = write(fd, text.data(), text.size());
    close(fd);
}

std::string settings_line(const std::string& name) {
    const std::string prefix = name + "_";
    std::vector<std::string> found;
    for (char** entry = environ; *entry; ++entry)
        if (std::strncmp(*entry, prefix.c_str(), prefix.size()) == 0) found.emplace_back(*entry);
    std::sort(found.begin(), found.end());
    found.insert(found.begin(), name);
    return "settings " + rqinit::qpu::joined(found, " ");
}

char* copy(const std::string& text) {
    return strdup(text.c_str());
}

int fail(const std::string& message) {
    g_last_error = message;
    return kError;
}

}  // namespace

struct QrmiConfig {
    rqinit::qpu::QpuConfig parsed;
};

struct QrmiQuantumResource {
    std::string name;
};

extern "C" {

__attribute__((visibility("default"))) QrmiConfig* qrmi_config_load(const char* filename) {
    try {
        return new QrmiConfig{rqinit::qpu::read_qrmi_config(filename)};
    } catch (const std::exception& error) {
        g_last_error = error.what();
        return nullptr;
    }
}

__attribute__((visibility("default"))) QrmiReturnCode qrmi_config_free(QrmiConfig* config) {
    delete config;
    return RQINIT_QRMI_SUCCESS;
}

// The stand-in's own numbering of the types: their place in the list of known types.
__attribute__((visibility("default"))) QrmiResourceDef* qrmi_config_resource_def_get(
    QrmiConfig* config, const char* resource_id) {
    const auto* resource = config ? config->parsed.find(resource_id) : nullptr;
    if (!resource) {
        g_last_error = std::string("no resource ") + resource_id;
        return nullptr;
    }
    const auto& types = rqinit::qpu::qrmi_types();
    auto* definition = new QrmiResourceDef{};
    definition->name = copy(resource->name);
    definition->type = static_cast<QrmiResourceType>(
        std::find(types.begin(), types.end(), resource->type) - types.begin());
    return definition;
}

__attribute__((visibility("default"))) QrmiReturnCode qrmi_config_resource_def_free(
    QrmiResourceDef* definition) {
    if (definition) free(definition->name);
    delete definition;
    return RQINIT_QRMI_SUCCESS;
}

__attribute__((visibility("default"))) QrmiQuantumResource* qrmi_resource_new(
    const char* resource_id, QrmiResourceType) {
    return new QrmiQuantumResource{resource_id};
}

__attribute__((visibility("default"))) QrmiReturnCode qrmi_resource_free(
    QrmiQuantumResource* resource) {
    delete resource;
    return RQINIT_QRMI_SUCCESS;
}

__attribute__((visibility("default"))) QrmiReturnCode qrmi_resource_is_accessible(
    QrmiQuantumResource* resource, bool* accessible) {
    const char* offline = getenv((resource->name + "_QRMI_STANDIN_OFFLINE").c_str());
    *accessible = !(offline && std::strcmp(offline, "1") == 0);
    if (!*accessible) {
        log_call("refused " + resource->name + " (not accessible)");
        g_last_error = resource->name + " is offline (stand-in)";
    }
    return RQINIT_QRMI_SUCCESS;
}

__attribute__((visibility("default"))) QrmiReturnCode qrmi_resource_acquire(
    QrmiQuantumResource* resource, char** token) {
    const std::string made = "standin-" + resource->name + "-" + std::to_string(getpid()) + "-" +
                             std::to_string(++g_tokens);
    *token = copy(made);
    log_call(settings_line(resource->name));
    log_call("acquire " + resource->name + " " + made);
    return RQINIT_QRMI_SUCCESS;
}

__attribute__((visibility("default"))) QrmiReturnCode qrmi_resource_release(
    QrmiQuantumResource* resource, const char* token) {
    if (!token) return fail("no token");
    log_call("release " + resource->name + " " + token);
    return RQINIT_QRMI_SUCCESS;
}

__attribute__((visibility("default"))) QrmiReturnCode qrmi_string_free(char* string) {
    free(string);
    return RQINIT_QRMI_SUCCESS;
}

__attribute__((visibility("default"))) const char* qrmi_get_last_error(void) {
    return g_last_error.empty() ? nullptr : g_last_error.c_str();
}

}  // extern "C"
