"""`rqinit check-config --config F`: 0 for a good file, 3 with line and key for a bad one.
It only validates: it is not PID 1 and starts nothing."""
import os
import re
import subprocess

from conftest import output_lines, plan


def check_config(rqinit, *args, env=None):
    return subprocess.run([rqinit.binary, "check-config", *args], capture_output=True,
                          text=True, timeout=10, stdin=subprocess.DEVNULL, env=rqinit.env(env))


def good_file(rqinit, marker):
    return rqinit.write("good.toml", plan({
        "marker": {"command": ["/bin/sh", "-c", f": > {marker}"], "restart": "never"},
        "web": {"command": ["/bin/sleep", "60"], "depends_on": ["marker"],
                "ready": {"tcp": "127.0.0.1:8080"}, "user": "nobody:nogroup",
                "capabilities": ["CAP_NET_BIND_SERVICE"], "environment": {"TZ": "UTC"}},
    }))


def test_good_file_exits_0_and_starts_nothing(rqinit, work):
    marker = os.path.join(work, "marker-ran")
    p = check_config(rqinit, "--config", good_file(rqinit, marker))
    assert p.returncode == 0, p.stdout + p.stderr
    assert not os.path.exists(marker)


def test_config_from_environment_variable(rqinit, work):
    path = good_file(rqinit, os.path.join(work, "marker-ran"))
    p = check_config(rqinit, env={"RQINIT_CONFIG": path})
    assert p.returncode == 0, p.stdout + p.stderr


def test_empty_arrays_are_valid(rqinit):
    # docs/reference.md's own example has depends_on = [] and capabilities = [].
    path = rqinit.write("empty.toml", '[services.web]\ncommand = ["/bin/true"]\n'
                                      'depends_on = []\ncapabilities = []\n')
    p = check_config(rqinit, "--config", path)
    assert p.returncode == 0, p.stdout + p.stderr


def test_unknown_key_exits_3_naming_line_and_key(rqinit):
    path = rqinit.write("bad.toml", '[services.web]\ncommand = ["/bin/true"]\n\nflavour = "x"\n')
    p = check_config(rqinit, "--config", path)
    assert p.returncode == 3, p.stdout + p.stderr
    lines = output_lines(p.stdout + p.stderr)
    assert any("flavour" in l and re.search(r"(?<!\d)4(?!\d)", l.replace(path, ""))
               for l in lines), lines


def test_each_error_is_reported_with_its_line(rqinit):
    # "each error names its line and key": two mistakes, both reported.
    path = rqinit.write("bad.toml", '[services.a]\ncommand = ["/bin/true"]\nspeed = 1\n\n'
                                    '[services.b]\ncommand = ["/bin/true"]\nrestart = "often"\n')
    p = check_config(rqinit, "--config", path)
    assert p.returncode == 3, p.stdout + p.stderr
    lines = [l.replace(path, "") for l in output_lines(p.stdout + p.stderr)]
    assert any("speed" in l and re.search(r"(?<!\d)3(?!\d)", l) for l in lines), lines
    # The second error, on line 7 (not just "restart" in a list of known keys).
    assert any("restart" in l and "speed" not in l and re.search(r"(?<!\d)7(?!\d)", l)
               for l in lines), lines


def test_missing_file_exits_3(rqinit, work):
    path = os.path.join(work, "nope.toml")
    p = check_config(rqinit, "--config", path)
    assert p.returncode == 3, p.stdout + p.stderr
    assert path in p.stdout + p.stderr
