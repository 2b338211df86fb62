#include "init/dependency_order.hpp"

#include <map>
#include <stdexcept>

namespace rqinit {
namespace {

enum class Mark { unvisited, in_progress, done };

struct OrderBuilder {
    const std::vector<ServiceSpec>& services;
    std::map<std::string, size_t> index_of;
    std::vector<Mark> marks;
    std::vector<size_t> path;  // the services being visited, to name a cycle
    std::vector<size_t> order;

    void visit(size_t i) {
        if (marks[i] == Mark::done) return;
        if (marks[i] == Mark::in_progress) throw std::runtime_error(describe_cycle(i));
        marks[i] = Mark::in_progress;
        path.push_back(i);
        for (const auto& dependency : services[i].depends_on) {
            auto found = index_of.find(dependency);
            if (found == index_of.end())
                throw std::runtime_error("service '" + services[i].name + "' depends on '" +
                                         dependency + "', which is not a service");
            visit(found->second);
        }
        path.pop_back();
        marks[i] = Mark::done;
        order.push_back(i);
    }

    std::string describe_cycle(size_t closing) const {
        std::string text = "dependency cycle: ";
        bool in_cycle = false;
        for (size_t i : path) {
            in_cycle = in_cycle || i == closing;
            if (in_cycle) text += services[i].name + " -> ";
        }
        return text + services[closing].name;
    }
};

}  // namespace

std::vector<size_t> dependency_order(const std::vector<ServiceSpec>& services) {
    OrderBuilder builder{services, {}, std::vector<Mark>(services.size(), Mark::unvisited), {}, {}};
    for (size_t i = 0; i < services.size(); ++i) {
        if (!builder.index_of.emplace(services[i].name, i).second)
            throw std::runtime_error("service '" + services[i].name + "' is declared twice");
    }
    for (size_t i = 0; i < services.size(); ++i) builder.visit(i);
    return builder.order;
}

}  // namespace rqinit
