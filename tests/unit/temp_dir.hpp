// A scratch directory under /tmp for one test, removed with everything in it when the test
// ends: the unit tests leave nothing behind.
#pragma once

#include <stdlib.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

class TempDir {
  public:
    TempDir() {
        char pattern[] = "/tmp/rqinit-test-XXXXXX";
        REQUIRE(mkdtemp(pattern));
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};
