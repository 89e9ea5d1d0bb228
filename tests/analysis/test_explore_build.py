"""The controller and the image consume exploration (slow: builds images, boots QEMU under TCG):
`unicore build PROG.c --explore` leaves a stubbed syscall out of the dispatch table (-ENOSYS), gives
a faked one the shared return-0 entry, explains both, prints the sizes before and after, and the
image prints what the program prints natively."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from unicore.runner import run_image
from unicore import syscalls

HERE = Path(__file__).parent / "explore"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("strace"), reason="needs strace")]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    work = tmp_path_factory.mktemp("explore-build")
    src = work / "stub_and_fake.c"
    shutil.copy(HERE / src.name, src)
    env = {**os.environ, "UNICORE_CACHE": str(work / "cache")}  # linked here, not copied from the image cache
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(src), "--explore", "--explain",
                           "-o", str(work / "prog.img"), "--build-dir", str(work / "build")],
                          capture_output=True, text=True, timeout=900, cwd=work, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work, proc


def test_plan_stubs_and_fakes_with_reasons(built):
    work, proc = built
    plan = json.loads((work / "prog.img.plan.json").read_text())
    assert plan["version"] == 3
    assert plan["stubbed"]["sched_yield"] == "stubbed: scenario default still passed"
    assert plan["faked"]["setsid"] == "faked: scenario default still passed"
    assert "sched_yield" not in plan["syscalls"] and "setsid" not in plan["syscalls"]
    assert re.search(r"^  sched_yield +stubbed: scenario default still passed$", proc.stdout, re.M)
    assert re.search(r"^  setsid +faked: scenario default still passed$", proc.stdout, re.M)


def test_table_has_no_handler_for_either(built):
    work, _ = built
    table = (work / "build" / "gen" / "syscall_table.c").read_text()
    nr = syscalls.by_name("x86_64")
    assert "uk_sys_sched_yield" not in table and "uk_sys_setsid" not in table
    assert f"[{nr['setsid']}] = " in table and f"/* setsid (faked) */" in table
    assert f"[{nr['sched_yield']}] =" not in table


def test_build_prints_sizes_before_and_after(built):
    work, proc = built
    line = re.search(r"exploration: image (\d+) -> (\d+) bytes, (\d+) -> (\d+) syscall handlers "
                     r"\((\d+) stubbed, (\d+) faked\), (\d+) -> (\d+) libraries", proc.stderr)
    assert line, proc.stderr
    before, after, h_before, h_after, stubbed, faked, l_before, l_after = map(int, line.groups())
    plan = json.loads((work / "prog.img.plan.json").read_text())
    assert (stubbed, faked) == (len(plan["stubbed"]), len(plan["faked"])) and stubbed >= 1 and faked >= 1
    assert h_after == len(plan["syscalls"]) == h_before - stubbed - faked  # each was in the static set
    assert l_after == len(plan["libraries"]) <= l_before and after < before
    assert (work / "prog.img").stat().st_size == after
    assert (work / "build" / "unexplored" / "image.img").stat().st_size == before


def test_image_output_equals_native_and_debug_names_the_stub(built):
    work, _ = built
    native = subprocess.run([str(work / "build" / "stub_and_fake")], capture_output=True, timeout=30)
    assert (native.returncode, native.stdout) == (0, b"session ok\n")
    run = run_image(work / "prog.img", [], accel="tcg", timeout=60, debug=True)
    assert (run.exit_status, run.stdout) == (0, native.stdout)
    nr = syscalls.by_name("x86_64")
    plan = json.loads((work / "prog.img.plan.json").read_text())
    named = set(run.kernel.decode().splitlines())
    # every stubbed call the run made took the ENOSYS path; the faked setsid did not
    assert f"unicore: syscall sched_yield ({nr['sched_yield']}) not in this image -> ENOSYS" in named
    assert named <= {f"unicore: syscall {s} ({nr[s]}) not in this image -> ENOSYS" for s in plan["stubbed"]}
