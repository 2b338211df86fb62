"""Per-service settings a user sees directly: output prefixing, environment,
working directory."""
from conftest import plan


def one_shot(rqinit, keys, script):
    """Run a single service `sh -c script` that exits 0; return the finished run."""
    cfg = plan({"web": {"command": ["/bin/sh", "-c", script], "restart": "never", **keys}})
    r = rqinit.run(config=cfg)
    assert r.returncode == 0, r.output()
    return r


def test_prefix_output_labels_each_line_with_the_service(rqinit):
    r = one_shot(rqinit, {"output": "prefix"}, "echo hello; echo oops >&2")
    lines = r.stdout.splitlines()
    assert "web | hello" in lines and "web | oops" in lines, r.output()


def test_inherit_output_writes_unprefixed(rqinit):
    r = one_shot(rqinit, {"output": "inherit"}, "echo hello")
    assert "hello" in r.stdout.splitlines(), r.output()


def test_environment_is_added_to_rqinits_own(rqinit):
    r = one_shot(rqinit, {"environment": {"RQ_GREETING": "hi there"}, "output": "inherit"},
                 'echo "greeting=$RQ_GREETING path=${PATH:+set}"')
    assert "greeting=hi there path=set" in r.stdout.splitlines(), r.output()


def test_working_directory_is_used(rqinit, work):
    r = one_shot(rqinit, {"working_directory": work, "output": "inherit"}, "echo cwd=$(pwd)")
    assert f"cwd={work}" in r.stdout.splitlines(), r.output()
