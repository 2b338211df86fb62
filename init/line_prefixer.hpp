// Turns a child's output into whole lines, each prefixed with the service name, so that the
// output of several services on one stdout stays readable and attributable.
#pragma once

#include <string>
#include <string_view>

namespace rqinit {

class LinePrefixer {
  public:
    // prefix: "name | " for a service's output; "" to keep lines as they are.
    explicit LinePrefixer(std::string prefix, size_t max_line = 4096);

    // The complete lines in data (with what was held back before), prefixed. A line longer than
    // max_line is cut there, so that a child that never writes '\n' cannot grow rqinit's memory.
    std::string feed(std::string_view data);
    // What is held back, as a last line (on EOF).
    std::string flush();

  private:
    std::string prefix_;
    size_t max_line_;
    std::string partial_;
};

// The last line of lines that begins (after blanks) with a letter or a digit, "" if none: what a
// failed probe said. Decoration is skipped: scontrol ping follows its "is DOWN" with a banner
// of lines in '*'.
std::string last_telling_line(std::string_view lines);

}  // namespace rqinit
