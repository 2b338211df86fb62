#include "secrets/file_install.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/unit/temp_dir.hpp"

using namespace rqinit;

namespace {
// The munge user is 998:997 as root sees it. A non-root run cannot give files away, so there
// "munge" and "root" are the user running the tests: the same code path, owners it may set.
struct Sandbox {
    TempDir scratch;
    std::string dir = scratch.path();
    UserDbPaths users;
    uid_t munge_uid = geteuid() == 0 ? 998 : geteuid();
    gid_t munge_gid = geteuid() == 0 ? 997 : getegid();
    Sandbox() {
        chmod(dir.c_str(), 0755);
        users = {dir + "/passwd", dir + "/group"};
        uid_t root_uid = geteuid() == 0 ? 0 : geteuid();
        gid_t root_gid = geteuid() == 0 ? 0 : getegid();
        std::ofstream(users.passwd)
            << "root:x:" << root_uid << ":" << root_gid << "::/root:/bin/sh\nmunge:x:" << munge_uid
            << ":" << munge_gid << "::/:/bin/false\n";
        std::ofstream(users.group) << "root:x:" << root_gid << ":\nmunge:x:" << munge_gid << ":\n";
    }
    std::string write(const std::string& name, const std::string& contents) const {
        std::ofstream(dir + "/" + name) << contents;
        return dir + "/" + name;
    }
};
std::string read_all(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
}
FileInstall munge_key(const Sandbox& box, const std::string& source) {
    return {"munge key", source, box.dir + "/munge.key", "munge:munge",
            0400,        32,     "make one with dd",     {},
            "",          false};
}
}  // namespace

TEST_CASE("a secret is installed with its owner and mode, and the same bytes") {
    Sandbox box;
    std::string key(1024, 'k');
    install_file(munge_key(box, box.write("secret", key)), box.users);
    struct stat info {};
    REQUIRE(stat((box.dir + "/munge.key").c_str(), &info) == 0);
    CHECK(info.st_uid == box.munge_uid);
    CHECK(info.st_gid == box.munge_gid);
    CHECK((info.st_mode & 07777) == 0400);
    CHECK(read_all(box.dir + "/munge.key") == key);
}

TEST_CASE("a short or missing key is refused in one line, without its content") {
    Sandbox box;
    std::string short_key = box.write("short", "0123456789abcdef");
    CHECK_THROWS_WITH_AS(
        install_file(munge_key(box, short_key), box.users),
        ("munge key: " + short_key + " has 16 bytes; it needs at least 32 (make one with dd)")
            .c_str(),
        InstallError);
    CHECK_THROWS_WITH_AS(
        install_file(munge_key(box, box.dir + "/absent"), box.users),
        ("munge key: " + box.dir + "/absent does not exist (make one with dd)").c_str(),
        InstallError);
    struct stat info {};
    CHECK(stat((box.dir + "/munge.key").c_str(), &info) != 0);  // nothing half-installed
}

TEST_CASE("the munge key's minimum size is a boundary: 32 bytes pass, 31 do not") {
    Sandbox box;
    install_file(munge_key(box, box.write("key32", std::string(32, 'k'))), box.users);
    CHECK(read_all(box.dir + "/munge.key") == std::string(32, 'k'));
    std::string key31 = box.write("key31", std::string(31, 'k'));
    CHECK_THROWS_WITH_AS(
        install_file(munge_key(box, key31), box.users),
        ("munge key: " + key31 + " has 31 bytes; it needs at least 32 (make one with dd)").c_str(),
        InstallError);
}

TEST_CASE("a source too large, a directory or a dangling symlink is refused; a symlink is not") {
    Sandbox box;
    std::string huge = box.write("huge", std::string(1024 * 1024 + 1, 'k'));
    CHECK_THROWS_WITH_AS(install_file(munge_key(box, huge), box.users),
                         ("munge key: " + huge +
                          " has 1048577 bytes; it may have at most 1048576: is it the right "
                          "file? (make one with dd)")
                             .c_str(),
                         InstallError);
    std::string directory = box.dir + "/a-directory";
    mkdir(directory.c_str(), 0700);
    CHECK_THROWS_WITH_AS(
        install_file(munge_key(box, directory), box.users),
        ("munge key: " + directory + " is not a regular file (make one with dd)").c_str(),
        InstallError);
    std::string dangling = box.dir + "/dangling";
    REQUIRE(symlink((box.dir + "/nowhere").c_str(), dangling.c_str()) == 0);
    CHECK_THROWS_WITH_AS(install_file(munge_key(box, dangling), box.users),
                         ("munge key: " + dangling + " does not exist (make one with dd)").c_str(),
                         InstallError);
    struct stat info {};
    CHECK(stat((box.dir + "/munge.key").c_str(), &info) != 0);  // nothing half-installed
    // Swarm's secrets are symlinks into its own tmpfs.
    std::string linked = box.dir + "/linked";
    REQUIRE(symlink(box.write("key", std::string(64, 'k')).c_str(), linked.c_str()) == 0);
    install_file(munge_key(box, linked), box.users);
    CHECK(read_all(box.dir + "/munge.key") == std::string(64, 'k'));
}

TEST_CASE("a target directory that others or its group can write is refused") {
    // The group bit matters as much as the others bit: any member of the group could swap the
    // file under the daemon. 0777, 0775 and 0770 each have a write bit beyond the owner's.
    for (mode_t mode : {0777, 0775, 0770}) {
        CAPTURE(mode);
        Sandbox box;
        std::string open_dir = box.dir + "/open";
        mkdir(open_dir.c_str(), mode);
        chmod(open_dir.c_str(), mode);  // mkdir's mode goes through the umask
        FileInstall file = munge_key(box, box.write("secret", std::string(64, 'k')));
        file.target = open_dir + "/munge.key";
        char text[8];
        std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
        CHECK_THROWS_WITH_AS(install_file(file, box.users),
                             ("munge key: directory " + open_dir + " is writable by others (mode " +
                              text + "); make it 0755")
                                 .c_str(),
                             InstallError);
    }
}

TEST_CASE("a sticky directory that everyone can write, like /tmp, is accepted") {
    Sandbox box;
    std::string sticky = box.dir + "/sticky";
    mkdir(sticky.c_str(), 01777);
    chmod(sticky.c_str(), 01777);
    FileInstall file = munge_key(box, box.write("secret", std::string(64, 'k')));
    file.target = sticky + "/munge.key";
    install_file(file, box.users);
    CHECK(read_all(sticky + "/munge.key") == std::string(64, 'k'));
}

// A template with one placeholder, filled from a secret written in the given syntax.
struct Templated {
    Sandbox box;
    FileInstall file;
    Templated(const std::string& syntax, const std::string& secret, const std::string& text) {
        file = {"slurmdbd.conf",
                box.write("template.in", text),
                box.dir + "/installed",
                "munge",
                0600,
                0,
                "",
                {{"DB_PASSWORD:" + syntax, box.write("db_password", secret)}},
                "",
                false};
    }
    std::string install() {
        install_file(file, box.users);
        return read_all(file.target);
    }
};

TEST_CASE("a template's secret that is empty, a directory or too large is refused, naming it") {
    SUBCASE("empty") {
        Templated conf("slurm-conf-value", "", "StoragePass=@DB_PASSWORD@\n");
        CHECK_THROWS_WITH_AS(conf.install(),
                             ("slurmdbd.conf: " + conf.box.dir + "/db_password is empty").c_str(),
                             InstallError);
    }
    SUBCASE("a directory") {
        Templated conf("slurm-conf-value", "x", "StoragePass=@DB_PASSWORD@\n");
        std::string directory = conf.box.dir + "/password-directory";
        mkdir(directory.c_str(), 0700);
        conf.file.substitutions = {{"DB_PASSWORD:slurm-conf-value", directory}};
        CHECK_THROWS_WITH_AS(conf.install(),
                             ("slurmdbd.conf: " + directory + " is not a regular file").c_str(),
                             InstallError);
    }
    SUBCASE("too large") {
        Templated conf("slurm-conf-value", std::string(1024 * 1024 + 1, 'p'),
                       "StoragePass=@DB_PASSWORD@\n");
        CHECK_THROWS_WITH_AS(conf.install(),
                             ("slurmdbd.conf: " + conf.box.dir +
                              "/db_password has 1048577 bytes; it may have at most 1048576: is it "
                              "the right file?")
                                 .c_str(),
                             InstallError);
    }
    struct stat info {};
    Templated nothing("slurm-conf-value", "", "StoragePass=@DB_PASSWORD@\n");
    CHECK_THROWS_AS(nothing.install(), InstallError);
    CHECK(stat(nothing.file.target.c_str(), &info) != 0);  // nothing half-written
}

TEST_CASE("a template gets the first line of its secret, in the syntax of its target") {
    Templated conf("slurm-conf-value", "s3cret\nignored\n",
                   "StoragePass=@DB_PASSWORD@\nStorageUser=slurm\n");
    CHECK(conf.install() == "StoragePass=\"s3cret\"\nStorageUser=slurm\n");
}

TEST_CASE("a substitution that names no syntax is refused: no value is pasted in as is") {
    Templated conf("slurm-conf-value", "s3cret\n", "StoragePass=@DB_PASSWORD@\n");
    conf.file.substitutions = {{"DB_PASSWORD", conf.box.dir + "/db_password"}};
    CHECK_THROWS_WITH_AS(conf.install(),
                         "slurmdbd.conf: substitution 'DB_PASSWORD' names no syntax; write "
                         "NAME:sql-string, NAME:mysql-option-file or NAME:slurm-conf-value",
                         InstallError);
}

// The password of the cluster test: every character the escapings are about.
const std::string kHardPassword = R"(a'b"c\d@e#f)";

TEST_CASE("sql-string: a quote and a backslash are doubled inside '...'") {
    Templated sql("sql-string", kHardPassword + " g\n", "IDENTIFIED BY @DB_PASSWORD@;\n");
    CHECK(sql.install() == R"(IDENTIFIED BY 'a''b"c\\d@e#f g';)"
                           "\n");
}

TEST_CASE("mysql-option-file: the value in double quotes, '\\' and '\"' escaped") {
    Templated cnf("mysql-option-file", kHardPassword + " g\n", "password=@DB_PASSWORD@\n");
    CHECK(cnf.install() == R"(password="a'b\"c\\d@e#f g")"
                           "\n");
}

TEST_CASE("slurm-conf-value: '#' and '\\' escaped; quoted unless it holds a double quote") {
    SUBCASE("a space: quoted") {
        Templated conf("slurm-conf-value", "a'b\\c d@e#f\n", "StoragePass=@DB_PASSWORD@\n");
        CHECK(conf.install() == R"(StoragePass="a'b\\c d@e\#f")"
                                "\n");
    }
    SUBCASE("a double quote first, or first and last with another between: unquoted") {
        Templated first("slurm-conf-value", "\"ab\n", "StoragePass=@DB_PASSWORD@\n");
        CHECK(first.install() == "StoragePass=\"ab\n");
        Templated three("slurm-conf-value", "\"a\"b\"\n", "StoragePass=@DB_PASSWORD@\n");
        CHECK(three.install() == "StoragePass=\"a\"b\"\n");
    }
    SUBCASE("a double quote and no space: unquoted") {
        Templated conf("slurm-conf-value", kHardPassword + "\n", "StoragePass=@DB_PASSWORD@\n");
        CHECK(conf.install() == R"(StoragePass=a'b"c\\d@e\#f)"
                                "\n");
    }
}

TEST_CASE("slurm-conf-value: what Slurm cannot read back is refused in one line, naming it") {
    Templated both("slurm-conf-value", "a\"b c\n", "StoragePass=@DB_PASSWORD@\n");
    CHECK_THROWS_WITH_AS(
        both.install(),
        ("slurmdbd.conf: the secret " + both.box.dir +
         "/db_password has a double quote (\") and a space; " + both.file.target +
         " cannot hold both (a Slurm value with a space must be in double quotes, and a quoted "
         "value cannot contain one): choose a value without it")
            .c_str(),
        InstallError);
    Templated quoted("slurm-conf-value", "\"ab\"\n", "StoragePass=@DB_PASSWORD@\n");
    CHECK_THROWS_WITH_AS(quoted.install(),
                         ("slurmdbd.conf: the secret " + quoted.box.dir +
                          "/db_password has double quotes (\") around it; " + quoted.file.target +
                          " would drop them (Slurm reads \"...\" as a quoted value): choose a "
                          "value without it")
                             .c_str(),
                         InstallError);
    struct stat info {};
    CHECK(stat(both.file.target.c_str(), &info) != 0);  // nothing half-installed
}

TEST_CASE("a control character, such as a Windows line end, is refused in every syntax") {
    for (const char* syntax : {"sql-string", "mysql-option-file", "slurm-conf-value"}) {
        CAPTURE(syntax);
        Templated conf(syntax, "s3cret\r\n", "x=@DB_PASSWORD@\n");
        CHECK_THROWS_WITH_AS(conf.install(),
                             ("slurmdbd.conf: the secret " + conf.box.dir +
                              "/db_password has a control character (byte 0x0d, a Windows line "
                              "end); " +
                              conf.file.target +
                              " takes one line of printable characters: choose a value without it")
                                 .c_str(),
                             InstallError);
    }
}

TEST_CASE("a value that contains its own placeholder is not substituted again") {
    Templated conf("sql-string", "x@DB_PASSWORD@y\n", "@DB_PASSWORD@ @DB_PASSWORD@\n");
    CHECK(conf.install() == "'x@DB_PASSWORD@y' 'x@DB_PASSWORD@y'\n");
}

TEST_CASE("directories are made with their owner and mode") {
    Sandbox box;
    install_directory({box.dir + "/run-slurm", "munge:munge", 0750}, box.users);
    struct stat info {};
    REQUIRE(stat((box.dir + "/run-slurm").c_str(), &info) == 0);
    CHECK(info.st_uid == box.munge_uid);
    CHECK((info.st_mode & 07777) == 0750);
}

namespace {
FileInstall qrmi_file(const Sandbox& box, const std::string& source, const std::string& format) {
    FileInstall file;
    file.what = "QRMI config";
    file.source = source;
    file.target = box.dir + "/qrmi_config.out";
    file.owner = "root";
    file.mode = format == "qrmi-names" ? 0644 : 0400;
    file.format = format;
    file.optional = true;
    return file;
}
const char* kQrmiConfig =
    R"({"resources":[{"name":"a","type":"pasqal-cloud","environment":{"K":"secret-v"}},)"
    R"({"name":"b","type":"iqm-server","allowed_groups":["staff"]}]})";
}  // namespace

TEST_CASE("qrmi-config: a QRMI config is checked, then copied as it is") {
    Sandbox box;
    CHECK(install_file(qrmi_file(box, box.write("qrmi", kQrmiConfig), "qrmi-config"), box.users));
    CHECK(read_all(box.dir + "/qrmi_config.out") == kQrmiConfig);
}

TEST_CASE("qrmi-names: only the QPU names and their groups land in the target, no credential") {
    Sandbox box;
    CHECK(install_file(qrmi_file(box, box.write("qrmi", kQrmiConfig), "qrmi-names"), box.users));
    CHECK(read_all(box.dir + "/qrmi_config.out") == "a\nb groups=staff\n");
}

TEST_CASE("a QRMI config that QRMI would reject is refused in one line, naming the source") {
    Sandbox box;
    const std::string source = box.write("qrmi", R"({"resources":[{"name":"a","type":"x"}]})");
    for (const char* format : {"qrmi-config", "qrmi-names"}) {
        CAPTURE(format);
        try {
            install_file(qrmi_file(box, source, format), box.users);
            FAIL("installed");
        } catch (const InstallError& error) {
            CHECK(std::string(error.what())
                      .rfind("QRMI config: " + source + ": QPU \"a\" has the unknown type \"x\"",
                             0) == 0);
        }
        CHECK(access((box.dir + "/qrmi_config.out").c_str(), F_OK) != 0);
    }
}

TEST_CASE("an optional file whose source does not exist is skipped; a required one is not") {
    Sandbox box;
    FileInstall file = qrmi_file(box, box.dir + "/absent", "qrmi-config");
    CHECK_FALSE(install_file(file, box.users));
    CHECK(access(file.target.c_str(), F_OK) != 0);
    file.optional = false;
    CHECK_THROWS_AS(install_file(file, box.users), InstallError);
}

TEST_CASE("a secret that a uid other than root could read is named, with the fix") {
    Sandbox box;
    std::string secrets = box.dir + "/secrets";
    mkdir(secrets.c_str(), 0755);
    for (auto [name, mode] : {std::pair{"private", 0400}, {"group", 0440}, {"world", 0444}}) {
        std::string path = secrets + "/" + name;
        std::ofstream(path) << "x";
        chmod(path.c_str(), mode);
    }
    auto exposed = files_readable_by_others(secrets);
    if (geteuid() != 0) {  // every file is then a non-root user's: all three are exposed
        CHECK(exposed.size() == 3);
        return;
    }
    REQUIRE(exposed.size() == 2);
    CHECK(exposed[0].rfind(secrets + "/group is readable by users other than root (owner uid 0, "
                                     "mode 0440)",
                           0) == 0);
    CHECK(exposed[1].find("/world is readable") != std::string::npos);
    CHECK(exposed[1].find("mode 0400") != std::string::npos);
}
