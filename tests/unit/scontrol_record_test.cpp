#include "nodes/scontrol_record.hpp"

#include <doctest/doctest.h>

using rqinit::scontrol_field;

TEST_CASE("a field of a one-line record, matched whole") {
    const char* record =
        "NodeName=c1 Arch=x86_64 AvailableFeatures=classical,avx ActiveFeatures=classical "
        "State=IDLE+DYNAMIC_NORM Reason=Not responding [slurm@2026-11-26T19:20:01]";
    CHECK(scontrol_field(record, "NodeName=") == "c1");
    CHECK(scontrol_field(record, "AvailableFeatures=") == "classical,avx");
    CHECK(scontrol_field(record, "State=") == "IDLE+DYNAMIC_NORM");
    CHECK(scontrol_field(record, "Name=") == "");  // inside NodeName=, not a field of its own
    CHECK(scontrol_field(record, "Gres=") == "");
}
