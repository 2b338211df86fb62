// slurm.conf's settings as `rqinit reconfigure` reads them (which changes need a daemon restart),
// and node-features.conf, each node role's extra features.
#include <doctest/doctest.h>

#include "roles/slurm_conf_text.hpp"

using namespace rqinit::slurm;

TEST_CASE("global settings: keys lower-cased, comments and records left out, last one wins") {
    auto settings = global_settings(
        "# a comment\n"
        "ClusterName=rasqberry   # trailing comment\n"
        "SlurmctldPort=6817 SlurmdPort=6818\n"
        "PartitionName=normal Nodes=classical MaxTime=30\n"
        "NodeSet=quantum Feature=qpu\n"
        "SlurmctldPort=6900\n");
    CHECK(settings.at("clustername") == "rasqberry");
    CHECK(settings.at("slurmctldport") == "6900");
    CHECK(settings.at("slurmdport") == "6818");
    CHECK(settings.count("maxtime") == 0);  // a partition's, not global
    CHECK(settings.count("partitionname") == 0);
    CHECK(settings.count("feature") == 0);
}

TEST_CASE("a partition's MaxTime or a new comment needs no restart") {
    std::string before = "SlurmctldHost=slurmctld\nPartitionName=normal MaxTime=INFINITE\n";
    std::string after = "SlurmctldHost=slurmctld\n# new\nPartitionName=normal MaxTime=60\n";
    CHECK(changes_needing_restart(before, after).empty());
}

TEST_CASE("only a port or the authentication needs a restart, named as slurm.conf spells it") {
    std::string before = "SlurmctldPort=6817\nAuthType=auth/munge\nSelectType=select/cons_tres\n";
    CHECK(changes_needing_restart(before,
                                  "SlurmctldPort=6900\nAuthType=auth/munge\n"
                                  "SelectType=select/cons_tres\n") ==
          std::vector<std::string>{"SlurmctldPort"});
    // Added and removed count as changed; the case of a value does not.
    CHECK(changes_needing_restart(before,
                                  "slurmctldport=6817\nAuthType=AUTH/MUNGE\n"
                                  "SelectType=select/cons_tres\nSlurmdPort=7000\n") ==
          std::vector<std::string>{"SlurmdPort"});
    CHECK(changes_needing_restart(before, "SlurmctldPort=6817\nSelectType=select/cons_tres\n") ==
          std::vector<std::string>{"AuthType"});
    // Slurm 24.11's reconfigure re-executes the daemons: these are read again without a restart.
    CHECK(changes_needing_restart(
              before,
              "SlurmctldPort=6817\nAuthType=auth/munge\nSelectType=select/linear\n"
              "MaxNodeCount=65\nGresTypes=qpu,gpu\n")
              .empty());
}

TEST_CASE("node features: each role's extra features after its own, no repeats") {
    auto features = parse_node_features(
        "# comment\n\nRole=c Features=avx,neon   # vector units\nRole=q Features=qpu,sim\n",
        "node-features.conf");
    REQUIRE(features.errors.empty());
    CHECK(wanted_features("c", features) == "classical,avx,neon");
    CHECK(wanted_features("q", features) == "qpu,sim");
    CHECK(wanted_features("c", parse_node_features("Role=c Features=\n", "f")) == "classical");
    CHECK(wanted_features("q", parse_node_features("", "f")) == "qpu");
}

TEST_CASE("node features: a bad line names the file, the line and the fix") {
    auto unknown = parse_node_features("Role=c Features=avx\nRole=c Weight=3 Features=x\n", "nf");
    REQUIRE(unknown.errors.size() == 2);
    CHECK(unknown.errors[0] == "nf:2: unknown setting 'Weight=3'; write Role=c Features=name,name");
    CHECK(unknown.errors[1] == "nf:2: role c is given twice; keep one line per role");

    auto role = parse_node_features("Role=login Features=x\n", "nf");
    REQUIRE(role.errors.size() == 1);
    CHECK(role.errors[0] == "nf:1: Role='login' is not a node role; give Role=c or Role=q");

    auto missing = parse_node_features("Role=q\n", "nf");
    REQUIRE(missing.errors.size() == 1);
    CHECK(missing.errors[0].find("nf:1: no Features= for role q") == 0);
}
