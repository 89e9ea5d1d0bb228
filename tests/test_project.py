"""Issue 18: unicore.toml for every kind of build: [binary], [run] and targets, read by the one
strict reader (program/project.py), built by `unicore build DIR` and run by `unicore run DIR`."""

import subprocess
import sys
from pathlib import Path

import pytest

from unicore.errors import BadInputError
from unicore.pipeline import BuildRequest, project_requests
from unicore.program.project import load

ROOT = Path(__file__).resolve().parents[1]
PROJECT = """schema = 1
targets = {targets}

[binary]
path = "greet"
scenarios = ["quiet.toml"]
policy = "static,package"

[image]
with = ["9pfs"]

[run]
memory = 48
env = {{ GREETING = "from-toml" }}
volumes = ["data:/data:ro"]
args = ["world"]
"""


def write_project(tmp_path: Path, targets: str = '["qemu/x86_64"]') -> Path:
    proj = tmp_path / "greeter"
    (proj / "data").mkdir(parents=True)
    (proj / "unicore.toml").write_text(PROJECT.format(targets=targets))
    return proj


def test_binary_run_and_targets_are_read(tmp_path):
    proj = load(write_project(tmp_path, '["qemu/x86_64", "qemu/arm64"]'))
    assert proj.external is None
    assert (proj.binary.path, proj.binary.scenarios, proj.binary.policy) == \
        (tmp_path / "greeter" / "greet", (tmp_path / "greeter" / "quiet.toml",), "static,package")
    assert (proj.run.memory, proj.run.env, proj.run.args) == (48, {"GREETING": "from-toml"}, ("world",))
    assert proj.run.volumes == (f"{tmp_path / 'greeter'}/data:/data:ro",)
    assert proj.targets == ("qemu/x86_64", "qemu/arm64")


def test_every_target_is_one_build(tmp_path):
    proj = write_project(tmp_path, '["qemu/x86_64", "qemu/arm64"]')
    reqs = project_requests(BuildRequest(path=proj, with_=["vfs"]))
    assert [(r.target, r.output, r.build_dir) for r in reqs] == [
        ("qemu/x86_64", Path("build/greeter.qemu-x86_64.img"), Path("build/greeter/qemu-x86_64")),
        ("qemu/arm64", Path("build/greeter.qemu-arm64.img"), Path("build/greeter/qemu-arm64"))]
    assert all((r.path, r.binary, r.policy, r.with_) == (None, proj / "greet", "static,package", ["9pfs", "vfs"])
               for r in reqs)
    one = project_requests(BuildRequest(path=write_project(tmp_path / "one")))
    assert [(r.target, r.output) for r in one] == [("qemu/x86_64", Path("build/greeter.img"))]


def test_program_and_binary_together_are_refused(tmp_path):
    (tmp_path / "unicore.toml").write_text('schema = 1\n[program]\nexternal = "sqlite3"\n[binary]\npath = "x"\n')
    with pytest.raises(BadInputError, match=r"\[binary\] runs an existing executable"):
        load(tmp_path)


@pytest.mark.slow
def test_build_and_run_a_binary_project(tmp_path):
    """`unicore build DIR` builds the [binary] project; `unicore run DIR` runs it with [run]."""
    proj = write_project(tmp_path)
    (proj / "unicore.toml").write_text((proj / "unicore.toml").read_text()
                                       .replace('scenarios = ["quiet.toml"]\n', "").replace('volumes = ["data:/data:ro"]\n', ""))
    source = proj / "greet.c"
    source.write_text('#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v)'
                      '{ printf("%s, %s!\\n", getenv("GREETING"), c > 1 ? v[1] : "nobody"); return 3; }\n')
    cc = subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(proj / "greet"), str(source)], capture_output=True)
    assert cc.returncode == 0, cc.stderr
    built = subprocess.run([sys.executable, "-m", "unicore", "build", str(proj)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "build" / "greeter.img").is_file()
    run = subprocess.run([sys.executable, "-m", "unicore", "run", "--accel", "tcg", str(proj)], cwd=tmp_path,
                         capture_output=True, timeout=120, input=b"")
    assert (run.returncode, run.stdout) == (3, b"from-toml, world!\n")
    flags = subprocess.run([sys.executable, "-m", "unicore", "run", "--accel", "tcg", "-e", "GREETING=flag",
                            str(proj), "--", "you"], cwd=tmp_path, capture_output=True, timeout=120, input=b"")
    assert (flags.returncode, flags.stdout) == (3, b"flag, you!\n")  # our flags win over [run]
