// Capability bounding for services, with libcap. A service that declares `capabilities` keeps
// exactly those: the bounding set is cut to them, and a non-root service gets them as ambient
// capabilities so that they survive exec (a plain setuid would drop them all).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rqinit {

std::optional<int> capability_from_name(const std::string& name);  // "CAP_NET_ADMIN" or "net_admin"

// The steps, in the order the child runs them around setgroups/setgid/setuid.
// Each returns 0, or an errno value.
int limit_bounding_set(const std::vector<int>& keep);      // before setuid; needs CAP_SETPCAP
int drop_from_bounding_set(const std::vector<int>& drop);  // needs CAP_SETPCAP
int keep_capabilities_across_setuid();                     // before setuid
int raise_capabilities(const std::vector<int>& keep);  // after setuid: P = E = I = ambient = keep

// PR_SET_NO_NEW_PRIVS on the calling process, for good (its children inherit it). 0 or errno.
int set_no_new_privs();

}  // namespace rqinit
