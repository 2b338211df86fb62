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
    std::string_view mark = scontrol_field(answer.output, "SlurmdStartTime=");
    // A time (2026-11-27T02:57:28), or nothing: a controller that restarted shows "None" for a
    // node recovered from its state until the node's slurmd answers it again.
    if (mark.empty() || mark.front() < '0' || mark.front() > '9') return {};
    return std::string(mark);
}

LeaveAction leave_action(std::string_view recorded_mark, const NodeAnswer& answer) {
    std::string now = registration_mark(answer);
    // Nothing recorded (the controller did not answer when the node joined), or nothing to
    // compare: deleting is what a clean stop always did, and deleting an unknown node is harmless.
    if (recorded_mark.empty() || now.empty()) return LeaveAction::delete_node;
    // The marks are ISO 8601 times, so they compare as text. Only a later start is another
    // slurmd's: the same node's slurmd registering again keeps its start time.
    return now > recorded_mark ? LeaveAction::leave_alone : LeaveAction::delete_node;
}

bool holds_jobs(const NodeAnswer& answer) {
    if (answer.exit_code != 0) return false;
    std::string_view state = scontrol_field(answer.output, "State=");
    for (std::string_view busy : {"ALLOCATED", "MIXED", "COMPLETING"})
        if (state.find(busy) != std::string_view::npos) return true;
    return false;
}

StopAction stop_action(std::string_view recorded_mark, const NodeAnswer& answer) {
    if (answer.exit_code != 0) return StopAction::nothing;  // not listed, or no controller
    return leave_action(recorded_mark, answer) == LeaveAction::leave_alone ? StopAction::nothing
                                                                           : StopAction::down_first;
}

}  // namespace rqinit
