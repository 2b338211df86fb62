// Reading scontrol's one-line records (`scontrol -o show node ...`): what rqinit-lost-nodes and
// `rqinit reconfigure` take from them.
#pragma once

#include <string_view>

namespace rqinit {

// The value of KEY= in one of scontrol's one-line records (-o), up to the next space; "" when
// the record has no such field. Whole fields only: "Name=" does not match "NodeName=".
std::string_view scontrol_field(std::string_view record, std::string_view key);

}  // namespace rqinit
