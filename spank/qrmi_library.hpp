// QRMI's shared library, loaded with dlopen the first time a job asks for a QPU: a node without
// it runs jobs without acquisition (and says so), and a job without --qpu never loads it.
#pragma once

#include <map>
#include <string>

#include "spank/qpu_job.hpp"
#include "spank/qrmi_api.h"

namespace rqinit::qpu {

class QrmiLibrary : public QrmiAccess {
  public:
    // The library's name as the dynamic loader looks for it (ld.so.conf's directories).
    explicit QrmiLibrary(std::string soname = "libqrmi.so");
    ~QrmiLibrary() override;
    QrmiLibrary(const QrmiLibrary&) = delete;
    QrmiLibrary& operator=(const QrmiLibrary&) = delete;

    bool loaded() const override { return handle_ != nullptr; }
    std::optional<std::string> acquire(const QpuResource& resource, const std::string& config_path,
                                       std::string& error) override;
    std::string release(const QpuResource& resource, const std::string& config_path,
                        const std::string& token) override;

  private:
    struct Functions;
    // QRMI's type for a resource, from QRMI's own reading of the config; empty + error if none.
    bool resource_type(const std::string& name, const std::string& config_path,
                       QrmiResourceType& type, std::string& error);
    std::string last_error() const;

    void* handle_ = nullptr;
    Functions* functions_ = nullptr;
    std::string missing_;  // a function the library lacks: every call fails, naming it
    // Each acquired QPU's type, so that the release at the job's end needs no second reading
    // of a config that may have changed since.
    std::map<std::string, QrmiResourceType> acquired_types_;
};

}  // namespace rqinit::qpu
