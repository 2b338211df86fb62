// Who may use a QPU: the members of its allowed groups (the config's "allowed_groups"), or
// everyone when it names none. Decided twice with the same rule: by sbatch, srun and salloc on
// the login node, for a refusal before any job id, and in slurmstepd before the QPU's settings
// or credentials reach the job, since a user can skip the first (spank_qpu.cpp).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace rqinit::qpu {

// The one line refusing a user whose groups (by name) meet none of the QPU's allowed groups;
// nullopt when the user may use it.
std::optional<std::string> qpu_access_error(const std::string& qpu,
                                            const std::vector<std::string>& allowed_groups,
                                            const std::vector<std::string>& user_groups);

// The names of these groups, in order, each once; a group this machine cannot name is written
// as its number.
std::vector<std::string> group_names(const std::vector<gid_t>& gids);

}  // namespace rqinit::qpu
