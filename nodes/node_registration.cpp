#include "nodes/node_registration.hpp"

#include "nodes/scontrol_record.hpp"

namespace rqinit {

WatchAction watch_action(std::string_view name, const NodeAnswer& answer) {
    if (answer.exit_code != 0) {
        // scontrol's words for a name the controller does not hold; any other failure (a
        // controller restarting, a timeout) is no news about this node.
        std::string not_found = "Node " + std::string(name) + " not found";
        return answer.output.find(not_found) != std::string::npos ? WatchAction::restart_slurmd
                                                                  : WatchAction::none;
    }
    std::string_view address = scontrol_field(answer.output, "NodeAddr=");
    return !address.empty() && address != name ? WatchAction::pin_address : WatchAction::none;
}

std::string registration_mark(const NodeAnswer& answer) {
    if (answer.exit_code != 0) return {};
    return std::string(scontrol_field(answer.output, "SlurmdStartTime="));
}

LeaveAction leave_action(std::string_view recorded_mark, const NodeAnswer& answer) {
    std::string now = registration_mark(answer);
    // Nothing recorded (the controller did not answer when the node joined), or nothing to
    // compare: deleting is what a clean stop always did, and deleting an unknown node is harmless.
    if (recorded_mark.empty() || now.empty()) return LeaveAction::delete_node;
    return now == recorded_mark ? LeaveAction::delete_node : LeaveAction::leave_alone;
}

}  // namespace rqinit
