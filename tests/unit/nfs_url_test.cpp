#include "nfs/nfs_url.hpp"

#include <doctest/doctest.h>

using namespace rqinit;

TEST_CASE("nfs url: server and export, version 3 by default") {
    auto r = parse_nfs_url("nfs://nfs/shared");
    REQUIRE(r.url);
    CHECK(r.url->server == "nfs");
    CHECK(r.url->export_path == "/shared");
    CHECK(r.url->version == 3);
    CHECK(r.url->port == 0);
    CHECK(r.url->text() == "nfs://nfs/shared");
}

TEST_CASE("nfs url: a port, a version and the mount port, and back to text for libnfs") {
    auto r = parse_nfs_url("nfs://nas.example:2049/export/home/?version=4&mountport=20048");
    REQUIRE(r.url);
    CHECK(r.url->server == "nas.example");
    CHECK(r.url->port == 2049);
    CHECK(r.url->export_path == "/export/home");
    CHECK(r.url->version == 4);
    CHECK(r.url->mount_port == 20048);
    CHECK(r.url->text() == "nfs://nas.example/export/home?version=4&nfsport=2049&mountport=20048");
}

TEST_CASE("nfs url: each bad form is one line naming the value and the form to use") {
    struct Bad {
        const char* text;
        const char* says;
    };
    for (Bad bad :
         {Bad{"http://nfs/shared", "not an nfs:// URL"}, Bad{"nfs://nfs", "no export path"},
          Bad{"nfs://nfs/", "no export path"}, Bad{"nfs:///shared", "no valid server name"},
          Bad{"nfs://-x/shared", "no valid server name"}, Bad{"nfs://nfs:0/shared", "port"},
          Bad{"nfs://nfs:99999/shared", "port"},
          Bad{"nfs://nfs/shared?version=2", "version must be 3 or 4, not '2'"},
          Bad{"nfs://nfs/shared?colour=red", "unknown option 'colour'"},
          Bad{"nfs://nfs/shared?version", "has no value"}}) {
        CAPTURE(bad.text);
        auto r = parse_nfs_url(bad.text);
        CHECK(!r.url);
        CHECK(r.error.find(bad.says) != std::string::npos);
        CHECK(r.error.find(bad.text) != std::string::npos);
        CHECK(r.error.find("nfs://nfs/shared") != std::string::npos);  // the example to follow
        CHECK(r.error.find('\n') == std::string::npos);
    }
}
