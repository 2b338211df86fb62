// What rqinit passes to mount(2) for the kernel's NFS client: checked here, since the machines
// that run the tests have no such client (a Raspberry Pi has).
#include "nfs/kernel_mount.hpp"

#include <doctest/doctest.h>
#include <sys/mount.h>

using namespace rqinit;

TEST_CASE("kernel mount: NFSv3 by name, the address only in addr=, no lock daemon needed") {
    auto url = parse_nfs_url("nfs://nfs/shared").url;
    REQUIRE(url);
    MountCall call = kernel_nfs_mount_call(*url, "/shared", "10.0.1.7");
    CHECK(call.source == "nfs:/shared");
    CHECK(call.target == "/shared");
    CHECK(call.fstype == "nfs");
    CHECK(call.flags == (MS_NOSUID | MS_NODEV));
    CHECK(call.data == "vers=3,addr=10.0.1.7,proto=tcp,hard,mountproto=tcp,nolock");
}

TEST_CASE("kernel mount: NFSv4 with a port; no mount protocol options") {
    auto url = parse_nfs_url("nfs://nas:2050/export?version=4").url;
    REQUIRE(url);
    MountCall call = kernel_nfs_mount_call(*url, "/home", "fd00::5");
    CHECK(call.source == "nas:/export");
    CHECK(call.fstype == "nfs4");
    CHECK(call.data == "vers=4,addr=fd00::5,proto=tcp,hard,port=2050");
}

TEST_CASE("kernel mount: v3 with a fixed mount port") {
    auto url = parse_nfs_url("nfs://nfs/shared?mountport=20048").url;
    REQUIRE(url);
    CHECK(kernel_nfs_mount_call(*url, "/shared", "10.0.0.2").data ==
          "vers=3,addr=10.0.0.2,proto=tcp,hard,mountproto=tcp,nolock,mountport=20048");
}

TEST_CASE("kernel mount: /proc/filesystems decides `auto`") {
    CHECK(kernel_has_nfs("nodev\tsysfs\nnodev\tproc\n\text4\nnodev\tnfs\nnodev\tnfs4\n"));
    CHECK(kernel_has_nfs("nodev\tnfs4\n"));
    CHECK(!kernel_has_nfs("nodev\tsysfs\n\text4\nnodev\tfuse\nfuseblk\nnodev\tnfsd\n"));
    CHECK(!kernel_has_nfs(""));
}
