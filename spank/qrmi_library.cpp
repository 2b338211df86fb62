#include "spank/qrmi_library.hpp"

#include <dlfcn.h>

#include <cstdlib>

namespace rqinit::qpu {

struct QrmiLibrary::Functions {
    decltype(&qrmi_config_load) config_load = nullptr;
    decltype(&qrmi_config_free) config_free = nullptr;
    decltype(&qrmi_config_resource_def_get) resource_def_get = nullptr;
    decltype(&qrmi_config_resource_def_free) resource_def_free = nullptr;
    decltype(&qrmi_resource_new) resource_new = nullptr;
    decltype(&qrmi_resource_free) resource_free = nullptr;
    decltype(&qrmi_resource_is_accessible) is_accessible = nullptr;
    decltype(&qrmi_resource_acquire) acquire = nullptr;
    decltype(&qrmi_resource_release) release = nullptr;
    decltype(&qrmi_string_free) string_free = nullptr;
    decltype(&qrmi_get_last_error) get_last_error = nullptr;
};

namespace {

template <typename Function>
void bind(void* handle, const char* symbol, Function& function, std::string& missing) {
    function = reinterpret_cast<Function>(dlsym(handle, symbol));
    if (!function && missing.empty()) missing = symbol;
}

// QRMI reads a resource's settings from the process environment (<name>_<KEY>): slurmstepd's
// own, which serves this one step only.
void export_settings(const QpuResource& resource) {
    for (const auto& [name, value] : resource.environment) setenv(name.c_str(), value.c_str(), 1);
}

}  // namespace

QrmiLibrary::QrmiLibrary(std::string soname) {
    // RTLD_LOCAL: QRMI's symbols stay out of slurmstepd's namespace.
    handle_ = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) return;
    functions_ = new Functions;
    Functions& f = *functions_;
    bind(handle_, "qrmi_config_load", f.config_load, missing_);
    bind(handle_, "qrmi_config_free", f.config_free, missing_);
    bind(handle_, "qrmi_config_resource_def_get", f.resource_def_get, missing_);
    bind(handle_, "qrmi_config_resource_def_free", f.resource_def_free, missing_);
    bind(handle_, "qrmi_resource_new", f.resource_new, missing_);
    bind(handle_, "qrmi_resource_free", f.resource_free, missing_);
    bind(handle_, "qrmi_resource_is_accessible", f.is_accessible, missing_);
    bind(handle_, "qrmi_resource_acquire", f.acquire, missing_);
    bind(handle_, "qrmi_resource_release", f.release, missing_);
    bind(handle_, "qrmi_string_free", f.string_free, missing_);
    bind(handle_, "qrmi_get_last_error", f.get_last_error, missing_);
    if (!missing_.empty()) missing_ = soname + " has no " + missing_ + " (not QRMI's C API?)";
}

QrmiLibrary::~QrmiLibrary() {
    delete functions_;
    if (handle_) dlclose(handle_);
}

std::string QrmiLibrary::last_error() const {
    const char* message = functions_->get_last_error();
    return message ? message : "QRMI gave no reason";
}

bool QrmiLibrary::resource_type(const std::string& name, const std::string& config_path,
                                QrmiResourceType& type, std::string& error) {
    ::QrmiConfig* config = functions_->config_load(config_path.c_str());
    if (!config) {
        error = "QRMI cannot read " + config_path + ": " + last_error();
        return false;
    }
    QrmiResourceDef* definition = functions_->resource_def_get(config, name.c_str());
    if (definition) {
        type = definition->type;
        functions_->resource_def_free(definition);
    } else {
        error = "QRMI finds no " + name + " in " + config_path;
    }
    functions_->config_free(config);
    return definition != nullptr;
}

std::optional<std::string> QrmiLibrary::acquire(const QpuResource& resource,
                                                const std::string& config_path,
                                                std::string& error) {
    if (!missing_.empty()) {
        error = missing_;
        return std::nullopt;
    }
    export_settings(resource);
    QrmiResourceType type{};
    if (!resource_type(resource.name, config_path, type, error)) return std::nullopt;
    QrmiQuantumResource* qpu = functions_->resource_new(resource.name.c_str(), type);
    if (!qpu) {
        error = "QRMI cannot open it: " + last_error();
        return std::nullopt;
    }
    bool accessible = false;
    std::optional<std::string> token;
    char* acquired = nullptr;
    if (functions_->is_accessible(qpu, &accessible) != RQINIT_QRMI_SUCCESS || !accessible) {
        error = "it is not accessible: " + last_error();
    } else if (functions_->acquire(qpu, &acquired) != RQINIT_QRMI_SUCCESS || !acquired) {
        error = "QRMI refused: " + last_error();
    } else {
        token = acquired;
        functions_->string_free(acquired);
        acquired_types_[resource.name] = type;
    }
    functions_->resource_free(qpu);
    return token;
}

std::string QrmiLibrary::release(const QpuResource& resource, const std::string& config_path,
                                 const std::string& token) {
    if (!missing_.empty()) return missing_;
    std::string error;
    QrmiResourceType type{};
    auto known = acquired_types_.find(resource.name);
    if (known != acquired_types_.end())
        type = known->second;
    else if (!resource_type(resource.name, config_path, type, error))
        return error;
    QrmiQuantumResource* qpu = functions_->resource_new(resource.name.c_str(), type);
    if (!qpu) return "QRMI cannot open it: " + last_error();
    if (functions_->release(qpu, token.c_str()) != RQINIT_QRMI_SUCCESS) error = last_error();
    functions_->resource_free(qpu);
    return error;
}

}  // namespace rqinit::qpu
