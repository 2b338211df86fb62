#include "spank/qpu_job.hpp"

#include <charconv>

#include "spank/qpu_access.hpp"

namespace rqinit::qpu {
namespace {

// One field of each acquired QPU, comma-joined in the order asked ("a,b").
std::string each(const std::vector<Acquisition>& acquired, std::string QpuResource::*field) {
    std::vector<std::string> values;
    for (const auto& acquisition : acquired) values.push_back(acquisition.resource.*field);
    return joined(values, ",");
}

// The settings QRMI reads for one QPU, full names: the config's <name>_<KEY> unless the job set
// it, and the job's own <name>_QRMI_* besides.
QpuResource effective_settings(const QpuResource& configured, const JobEnvironment& environment) {
    QpuResource effective{configured.name, configured.type, {}, {}};
    for (const auto& [key, value] : configured.environment) {
        const std::string name = configured.name + "_" + key;
        effective.environment.emplace_back(name, environment.get(name).value_or(value));
    }
    for (auto& [name, value] : environment.starting_with(configured.name + "_QRMI_")) {
        bool known = false;
        for (const auto& setting : effective.environment) known |= setting.first == name;
        if (!known) effective.environment.emplace_back(name, value);
    }
    return effective;
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
        // Before any of its settings reach the job or QRMI.
        if (auto refused = qpu_access_error(name, configured->allowed_groups, job.groups)) {
            prepared.error = *refused;
            return prepared;
        }
        for (const auto& [key, value] : configured->environment)
            environment.set(name + "_" + key, value, false);
        Acquisition acquisition{*configured, {}};
        if (qrmi.loaded()) {
            std::string error;
            auto token = qrmi.acquire(effective_settings(*configured, environment),
                                      arguments.config_path, error);
            if (!token) {
                prepared.error = "QPU " + name + " could not be acquired: " + error;
                return prepared;
            }
            acquisition.token = *token;
            environment.set(name + "_QRMI_JOB_ACQUISITION_TOKEN", *token, false);
        }
        prepared.acquired.push_back(std::move(acquisition));
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
