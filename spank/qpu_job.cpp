#include "spank/qpu_job.hpp"

#include <charconv>

#include "spank/qpu_access.hpp"

namespace rqinit::qpu {
namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

// One field of each acquired QPU, comma-joined in the order asked ("a,b").
std::string each(const std::vector<Acquisition>& acquired, std::string QpuResource::*field) {
    std::vector<std::string> values;
    for (const auto& acquisition : acquired) values.push_back(acquisition.resource.*field);
    return joined(values, ",");
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

// What the plugin itself gives a job for each QPU: never the job's own settings.
bool set_by_plugin(const std::string& key) {
    return key == "QRMI_JOB_ACQUISITION_TOKEN" || key == "QRMI_JOB_TIMEOUT_SECONDS";
}

// The job's own <name>_* variables, from the environment it was submitted with (not what the
// plugin set since). A variable of a QPU with a longer name (qpu_a_X, when there is a qpu_a) is
// that QPU's.
Settings own_variables(const QpuResource& qpu, const QpuConfig& config, const Settings& submitted) {
    const std::string prefix = qpu.name + "_";
    Settings own;
    for (const auto& [variable, value] : submitted) {
        if (!starts_with(variable, prefix) || set_by_plugin(variable.substr(prefix.size())))
            continue;
        bool longer = false;
        for (const auto& other : config.resources)
            longer |=
                other.name.size() > qpu.name.size() && starts_with(variable, other.name + "_");
        if (!longer) own.emplace_back(variable, value);
    }
    return own;
}

// Whether the job brought settings of its own for this QPU: a key the config has, or any QRMI_
// key (QRMI reads those).
bool brings_own(const QpuResource& qpu, const Settings& own) {
    for (const auto& variable : own) {
        const std::string key = variable.first.substr(qpu.name.size() + 1);
        if (starts_with(key, "QRMI_")) return true;
        for (const auto& setting : qpu.environment)
            if (setting.first == key) return true;
    }
    return false;
}

Settings full_names(const QpuResource& qpu) {
    Settings settings;
    for (const auto& [key, value] : qpu.environment)
        settings.emplace_back(qpu.name + "_" + key, value);
    return settings;
}

// One QPU of the job, in order: who may use it, its settings, its acquisition. False with
// prepared.error set when the job cannot have it.
bool prepare_qpu(const QpuResource& configured, const QpuConfig& config, const JobIdentity& job,
                 const Settings& submitted, JobEnvironment& environment, QrmiAccess& qrmi,
                 const std::string& config_path, PreparedJob& prepared) {
    if (auto refused = qpu_access_error(configured.name, configured.allowed_groups, job.groups)) {
        prepared.error = *refused;
        return false;
    }
    const Settings own = own_variables(configured, config, submitted);
    const bool own_settings = brings_own(configured, own);
    QpuResource effective = configured;
    effective.environment = own_settings ? own : full_names(configured);
    // The job's own are in its environment already; the config's go there only when QRMI is
    // given them too.
    if (!own_settings)
        for (const auto& [variable, value] : effective.environment)
            environment.set(variable, value, true);
    Acquisition acquisition{configured, {}};
    if (qrmi.loaded()) {
        std::string error;
        auto token = qrmi.acquire(effective, config_path, error);
        if (!token) {
            prepared.error = "QPU " + configured.name + " could not be acquired: " + error;
            return false;
        }
        acquisition.token = *token;
        environment.set(configured.name + "_QRMI_JOB_ACQUISITION_TOKEN", *token, false);
    }
    prepared.acquired.push_back(std::move(acquisition));
    return true;
}

}  // namespace

std::string rust_log_level(const std::optional<std::string>& srun_debug) {
    int level = 3;
    if (srun_debug) {
        const char* end = srun_debug->data() + srun_debug->size();
        int parsed = 0;
        auto [at, error] = std::from_chars(srun_debug->data(), end, parsed);
        if (error == std::errc() && at == end) level = parsed;
    }
    if (level <= 2) return "error";
    if (level == 3) return "info";
    if (level == 4) return "debug";
    return "trace";
}

PreparedJob prepare_qpu_job(const PluginArguments& arguments, const std::vector<std::string>& names,
                            const JobIdentity& job, JobEnvironment& environment, QrmiAccess& qrmi) {
    PreparedJob prepared;
    if (!arguments.error.empty()) {
        prepared.error = arguments.error;
        return prepared;
    }
    // Before the plugin sets anything: what the job brought is told from what it is given.
    const Settings submitted = environment.starting_with("");
    for (const auto& [key, value] : arguments.environment) environment.set(key, value, true);
    environment.set("QRMI_JOB_UID", std::to_string(job.uid), true);
    environment.set("QRMI_JOB_ID", std::to_string(job.job_id), true);
    environment.set("RUST_LOG", rust_log_level(environment.get("SRUN_DEBUG")), false);

    QpuConfig config;
    try {
        config = read_qrmi_config(arguments.config_path);
    } catch (const ConfigError& error) {
        prepared.error = std::string("QRMI config ") + error.what();
        return prepared;
    }
    if (!qrmi.loaded())
        prepared.notice =
            "no QRMI library on this node: no QPU is acquired; the QPU settings "
            "are in the environment";
    for (const auto& name : names) {
        const QpuResource* configured = config.find(name);
        if (!configured) {
            prepared.error = "QPU " + name + " is not in " + arguments.config_path +
                             " on this node (it has: " + joined(config.names(), ", ", "none") + ")";
            return prepared;
        }
        if (!prepare_qpu(*configured, config, job, submitted, environment, qrmi,
                         arguments.config_path, prepared))
            return prepared;
    }
    const std::string resources = each(prepared.acquired, &QpuResource::name);
    const std::string types = each(prepared.acquired, &QpuResource::type);
    environment.set("QRMI_JOB_QPU_RESOURCES", resources, true);
    environment.set("QRMI_JOB_QPU_TYPES", types, true);
    environment.set("SLURM_JOB_QPU_RESOURCES", resources, true);
    environment.set("SLURM_JOB_QPU_TYPES", types, true);
    return prepared;
}

std::vector<std::string> release_all(PreparedJob& job, const std::string& config_path,
                                     QrmiAccess& qrmi) {
    std::vector<std::string> problems;
    for (auto& acquisition : job.acquired) {
        if (acquisition.token.empty()) continue;
        std::string problem = qrmi.release(acquisition.resource, config_path, acquisition.token);
        if (!problem.empty())
            problems.push_back("QPU " + acquisition.resource.name + ": release failed: " + problem);
        acquisition.token.clear();  // once, whatever the outcome
    }
    return problems;
}

}  // namespace rqinit::qpu
