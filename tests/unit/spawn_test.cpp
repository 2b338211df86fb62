#include "init/spawn.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/unit/temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace rqinit;

namespace {
// One scratch directory for the file, removed at exit; each call gets a new file in it.
std::string temp_file() {
    static TempDir scratch;
    static int count = 0;
    std::string path = scratch / ("out" + std::to_string(++count));
    std::ofstream{path};
    return path;
}
int wait_for(pid_t pid) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return status;
}
std::string read_all(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
}
}  // namespace

TEST_CASE("the child gets its environment, directory and a session of its own") {
    std::string out = temp_file();
    SpawnRequest request;
    request.argv = {"/bin/sh", "-c",
                    "echo $GREETING; pwd; ps -o sid= -p $$ | tr -d ' '; echo $$ > " + out + ".pid"};
    request.environment = {"GREETING=hello", "PATH=/usr/bin:/bin"};
    request.working_directory = "/tmp";
    int output = open(out.c_str(), O_WRONLY);
    request.output_fd = output;
    SpawnResult result = spawn(request);
    close(output);
    REQUIRE(result.pid > 0);
    CHECK(WEXITSTATUS(wait_for(result.pid)) == 0);
    std::string pid = read_all(out + ".pid");
    pid.pop_back();
    CHECK(read_all(out) == "hello\n/tmp\n" + pid + "\n");
}

TEST_CASE("the child's signal mask is empty even though the parent blocks everything") {
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    std::string out = temp_file();
    SpawnRequest request;
    request.argv = {"/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"};
    request.environment = {"PATH=/usr/bin:/bin"};
    int output = open(out.c_str(), O_WRONLY);
    request.output_fd = output;
    SpawnResult result = spawn(request);
    close(output);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    REQUIRE(result.pid > 0);
    wait_for(result.pid);
    // grep itself runs under sh, which may ignore nothing here: both masks are empty.
    const std::string masks = read_all(out);
    const std::string empty = "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n";
    const char* emulator = std::getenv("RQINIT_EMULATOR");
    if (emulator && *emulator) {
        // The arm64 build's tests run under qemu-user, and /bin/sh here is a native program:
        // it inherits what qemu itself ignores on the host (at times signal 32, glibc's
        // cancellation signal). What rqinit controls, the blocked mask, stays exact.
        CHECK(
            (masks == empty || masks == "SigBlk:\t0000000000000000\nSigIgn:\t0000000080000000\n"));
    } else {
        CHECK(masks == empty);
    }
}

TEST_CASE("exec failures come back as 127 and 126 with a reason, and nothing is left running") {
    SpawnRequest missing;
    missing.argv = {"/nonexistent/program"};
    SpawnResult result = spawn(missing);
    CHECK(result.pid == -1);
    CHECK(result.exit_code == 127);
    CHECK(result.reason.find("/nonexistent/program") != std::string::npos);

    SpawnRequest directory;
    directory.argv = {"/tmp"};
    CHECK(spawn(directory).exit_code == 126);
}

TEST_CASE("a step before exec that fails is reported by name") {
    SpawnRequest request;
    request.argv = {"/bin/true"};
    request.working_directory = "/nonexistent-directory";
    SpawnResult result = spawn(request);
    CHECK(result.pid == -1);
    CHECK(result.exit_code == 111);
    CHECK(result.reason == "chdir failed: No such file or directory");
}

TEST_CASE("merge_environment overrides and adds") {
    setenv("RQINIT_TEST_A", "old", 1);
    auto env = merge_environment({{"RQINIT_TEST_A", "new"}, {"RQINIT_TEST_B", "b"}});
    int a = 0;
    for (const auto& e : env) {
        if (e.rfind("RQINIT_TEST_A=", 0) == 0) {
            CHECK(e == "RQINIT_TEST_A=new");
            ++a;
        }
    }
    CHECK(a == 1);
    CHECK(env.back() == "RQINIT_TEST_B=b");
}
