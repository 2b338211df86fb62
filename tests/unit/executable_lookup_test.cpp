#include "init/executable_lookup.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include "tests/unit/temp_dir.hpp"

#include <cstdlib>
#include <fstream>

using namespace rqinit;

TEST_CASE("a bare name is found in PATH") {
    auto found = find_executable("sh", "/nonexistent:/bin:/usr/bin");
    CHECK(found.exit_code == 0);
    CHECK(found.path == "/bin/sh");
}

TEST_CASE("a missing program is 127 and a non-executable file 126") {
    CHECK(find_executable("/nonexistent/prog", "/bin").exit_code == 127);
    CHECK(find_executable("no-such-program-here", "/bin:/usr/bin").exit_code == 127);
    TempDir scratch;
    const char* directory = scratch.path().c_str();
    std::string file = scratch / "script";
    std::ofstream(file) << "#!/bin/sh\n";
    chmod(file.c_str(), 0644);
    auto lookup = find_executable(file, "");
    CHECK(lookup.exit_code == 126);
    CHECK(lookup.reason.find("not executable") != std::string::npos);
    CHECK(find_executable("script", directory).exit_code == 126);
    CHECK(find_executable(directory, "").exit_code == 126);  // a directory
}
