// A plan's mounts as services: a wait for the export, then a mount service, and the services
// that need the mounts after both; CAP_SYS_ADMIN kept by rqinit alone.
#include "nfs/mount_services.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "init/dependency_order.hpp"

using namespace rqinit;

namespace {

const ServiceSpec* named(const Plan& plan, const std::string& name) {
    for (const auto& s : plan.services)
        if (s.name == name) return &s;
    return nullptr;
}

bool depends(const ServiceSpec& spec, const std::string& name) {
    return std::find(spec.depends_on.begin(), spec.depends_on.end(), name) != spec.depends_on.end();
}

Plan node_plan() {
    Plan plan;
    ServiceSpec munged;
    munged.name = "munged";
    munged.command = {"/usr/sbin/munged"};
    munged.needs_mounts = false;
    ServiceSpec slurmd;
    slurmd.name = "slurmd";
    slurmd.command = {"/usr/sbin/slurmd"};
    slurmd.depends_on = {"munged"};
    plan.services = {munged, slurmd};
    std::vector<std::string> errors;
    plan.mounts = parse_mount_list("/shared=nfs://nfs/shared, /home=nfs://nfs/home", "env", errors);
    REQUIRE(errors.empty());
    return plan;
}

}  // namespace

TEST_CASE("mount services: FUSE where the kernel has no NFS client") {
    Plan plan = node_plan();
    auto errors = add_mount_services(plan, {"/usr/sbin/rqinit-nfs", false});
    REQUIRE(errors.empty());
    const ServiceSpec* wait = named(plan, "export-shared");
    const ServiceSpec* mount = named(plan, "mount-shared");
    REQUIRE(wait);
    REQUIRE(mount);
    CHECK(wait->command.empty());
    CHECK(wait->ready.argv ==
          std::vector<std::string>{"/usr/sbin/rqinit-nfs", "probe", "nfs://nfs/shared"});
    CHECK(mount->command ==
          std::vector<std::string>{"/usr/sbin/rqinit-nfs", "fuse", "nfs://nfs/shared"});
    CHECK(mount->fuse_device);
    CHECK(mount->mount_point == "/shared");
    // Only to bind a reserved port: the server trusts no other client.
    CHECK(mount->capabilities == std::vector<std::string>{"net_bind_service"});
    CHECK(depends(*mount, "export-shared"));
    CHECK(depends(*named(plan, "slurmd"), "mount-shared"));
    CHECK(depends(*named(plan, "slurmd"), "mount-home"));
    CHECK(!depends(*named(plan, "munged"), "mount-shared"));
    CHECK(plan.pid1_only_capabilities == std::vector<std::string>{"sys_admin"});
    CHECK_NOTHROW(dependency_order(plan.services));
}

TEST_CASE("mount services: the kernel's client where /proc/filesystems lists nfs") {
    Plan plan = node_plan();
    REQUIRE(add_mount_services(plan, {"/usr/sbin/rqinit-nfs", true}).empty());
    const ServiceSpec* mount = named(plan, "mount-home");
    REQUIRE(mount);
    CHECK(mount->oneshot);
    CHECK(!mount->fuse_device);
    CHECK(mount->mount_point == "/home");
    CHECK(mount->command ==
          std::vector<std::string>{"/usr/sbin/rqinit-nfs", "mount", "nfs://nfs/home", "/home"});
    CHECK(mount->capabilities == std::vector<std::string>{"sys_admin"});
}

TEST_CASE("mount services: `client` overrides what the kernel offers") {
    Plan plan = node_plan();
    plan.mounts[0].client = MountSpec::Client::fuse;
    plan.mounts[1].client = MountSpec::Client::kernel;
    REQUIRE(add_mount_services(plan, {"/r", true}).empty());
    CHECK(named(plan, "mount-shared")->fuse_device);
    CHECK(named(plan, "mount-home")->oneshot);
}

TEST_CASE("mount services: the wait's timeout is the mount's") {
    Plan plan = node_plan();
    plan.mounts[0].timeout = 7;
    REQUIRE(add_mount_services(plan, {"/r", false}).empty());
    CHECK(named(plan, "export-shared")->start_timeout == 7);
}

TEST_CASE("mount services: no mounts, no change") {
    Plan plan = node_plan();
    plan.mounts.clear();
    REQUIRE(add_mount_services(plan, {"/r", false}).empty());
    CHECK(plan.services.size() == 2);
    CHECK(plan.pid1_only_capabilities.empty());
}

TEST_CASE("mount services: a bad URL and a target mounted twice are one line each") {
    Plan plan = node_plan();
    plan.mounts[1].url = "nfs://nfs";
    MountSpec again = plan.mounts[0];
    plan.mounts.push_back(again);
    auto errors = add_mount_services(plan, {"/r", false});
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].find("'nfs://nfs': no export path") != std::string::npos);
    CHECK(errors[1].find("/shared is mounted twice") != std::string::npos);
}

TEST_CASE("mount list: TARGET=URL pairs; anything else is named") {
    std::vector<std::string> errors;
    auto mounts = parse_mount_list("  /a=nfs://s/a,,/b/c=nfs://s/b  ", "RQINIT_MOUNTS", errors);
    CHECK(errors.empty());
    REQUIRE(mounts.size() == 2);
    CHECK(mounts[1].target == "/b/c");
    CHECK(mounts[1].url == "nfs://s/b");
    CHECK(mounts[1].origin == "RQINIT_MOUNTS");
    parse_mount_list("nfs://s/a shared=nfs://s/b", "RQINIT_MOUNTS", errors);
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] ==
          "RQINIT_MOUNTS: 'nfs://s/a' is not TARGET=URL (e.g. /shared=nfs://nfs/shared)");
    CHECK(parse_mount_list("", "x", errors).empty());
}

TEST_CASE("mount services: a nested target gets a readable name") {
    Plan plan = node_plan();
    plan.mounts = {plan.mounts[0]};
    plan.mounts[0].target = "/data/in/";
    REQUIRE(add_mount_services(plan, {"/r", false}).empty());
    CHECK(named(plan, "mount-data-in"));
}

TEST_CASE("mount services: NFSv4 only with the kernel's client") {
    Plan plan = node_plan();
    plan.mounts = {plan.mounts[0]};
    plan.mounts[0].url = "nfs://nfs/shared?version=4";
    auto errors = add_mount_services(plan, {"/r", false});
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("FUSE client speaks NFSv3 only") != std::string::npos);
    Plan kernel = node_plan();
    kernel.mounts = {kernel.mounts[0]};
    kernel.mounts[0].url = "nfs://nfs/shared?version=4";
    CHECK(add_mount_services(kernel, {"/r", true}).empty());
}
