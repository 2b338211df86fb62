#include "init/user_db.hpp"

#include <doctest/doctest.h>

#include "tests/unit/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

using namespace rqinit;

namespace {
UserDbPaths write_db() {
    static TempDir scratch;  // one for the whole file, removed at exit
    UserDbPaths paths{scratch / "passwd", scratch / "group"};
    std::ofstream(paths.passwd) << "root:x:0:0:root:/root:/bin/bash\n"
                                   "# a comment\n"
                                   "munge:x:998:997::/var/lib/munge:/usr/sbin/nologin\n"
                                   "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n";
    std::ofstream(paths.group) << "root:x:0:\nmunge:x:997:\nalice:x:1000:\n"
                                  "hpc:x:2000:bob,alice\nwheel:x:10:alice\nempty:x:3000:\n";
    return paths;
}
}  // namespace

TEST_CASE("a user gets its primary and supplementary groups") {
    auto c = resolve_credentials("alice", write_db());
    CHECK(c.uid == 1000);
    CHECK(c.gid == 1000);
    CHECK(c.groups == std::vector<gid_t>{1000, 2000, 10});
}

TEST_CASE("user:group sets the group and only that group") {
    auto c = resolve_credentials("munge:hpc", write_db());
    CHECK(c.uid == 998);
    CHECK(c.gid == 2000);
    CHECK(c.groups == std::vector<gid_t>{2000});
}

TEST_CASE("numeric ids need no entry") {
    auto c = resolve_credentials("4242:4343", write_db());
    CHECK(c.uid == 4242);
    CHECK(c.gid == 4343);
    CHECK(resolve_credentials("998", write_db()).gid == 997);
}

TEST_CASE("unknown names are one-line errors naming the file") {
    auto paths = write_db();
    CHECK_THROWS_WITH_AS(resolve_credentials("mallory", paths),
                         ("unknown user 'mallory' (not in " + paths.passwd + ")").c_str(),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(resolve_credentials("alice:nogroup", paths),
                         ("unknown group 'nogroup' (not in " + paths.group + ")").c_str(),
                         std::runtime_error);
}
