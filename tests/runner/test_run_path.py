"""Issue 19: `unicore run` carries nothing it does not need.

The run path imports neither the analysis nor any ELF/DWARF reader (what the run needs of the
image was recorded at build time in IMAGE.plan.json), and `--timings` names its five phases. An
import guard, not a timing: speed is measured in benchmarks/kernel_bench.py.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("unicore.analysis", "unicore.formats.elf", "unicore.image.build", "unicore.image.ksyms",
             "elftools", "capstone", "lief", "rich", "tomllib", "unicore.pipeline")


@pytest.fixture(scope="module")
def hello_image(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runpath") / "hello.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(ROOT / "examples" / "hello" / "hello.c"),
                           "-o", str(out), "--build-dir", str(out.parent / "build")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


def imported_by_run(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """`unicore run ARGS` under `python -X importtime`: the result and every module it imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "unicore", "run", "--accel", "tcg", *args],
                          capture_output=True, timeout=120)
    names = {line.split("|")[-1].strip() for line in proc.stderr.decode().splitlines()
             if line.startswith("import time:")}
    return proc, names


def test_run_imports_no_analysis_or_elf_reader(hello_image):
    proc, names = imported_by_run(str(hello_image), "--", "world")
    assert (proc.returncode, proc.stdout) == (0, b"Hello, world!\n")
    assert "unicore.runner.run" in names  # the guard sees the run path's imports at all
    assert sorted(n for n in names if n.startswith(FORBIDDEN)) == []


def test_facts_recorded_at_build_time(hello_image):
    facts = json.loads(Path(f"{hello_image}.plan.json").read_text())["image"]
    assert facts["bytes"] == hello_image.stat().st_size
    from unicore.image.facts import image_facts
    assert facts == image_facts(hello_image)  # the record is what reading the ELF now gives


def test_memory_floor_refused_from_the_record(hello_image):
    proc, names = imported_by_run("-m", "1", str(hello_image))
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines()[-1].startswith("unicore: -m 1: this image needs more than 2 MiB")
    assert "unicore.formats.elf" not in names


def test_timings_name_the_five_phases(hello_image):
    proc = subprocess.run([sys.executable, "-m", "unicore", "run", "--accel", "tcg", "--timings", str(hello_image),
                           "--", "you"], capture_output=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, b"Hello, you!\n")
    lines = [line.removeprefix("unicore: timings: ") for line in proc.stderr.decode().splitlines()
             if line.startswith("unicore: timings: ")]
    phases = [line.rsplit(None, 2) for line in lines[:5]]  # NAME VALUE ms
    assert [p[0].strip() for p in phases] == ["host set-up", "VMM start", "guest boot", "program", "teardown"]
    assert all(p[2] == "ms" for p in phases) and lines[5].startswith("total ")
    values = [float(p[1]) for p in phases]
    assert values[0] > 0 and values[2] > 0 and values[3] >= 0 and values[4] > 0
    assert abs(sum(values) - float(lines[5].split()[1])) < 0.1  # the total is their sum


def test_launch_fast_path_imports_only_its_own_modules():
    """The record reader runs before the CLI: it may load no framework (tests/runner/test_launcher.py
    checks a whole fast run)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import unicore.runner.launch"],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    names = {line.split("|")[-1].strip() for line in proc.stderr.decode().splitlines()
             if line.startswith("import time:")}
    assert sorted(n for n in names if n.startswith("unicore")) == [
        "unicore", "unicore.paths", "unicore.runner", "unicore.runner.cmdline", "unicore.runner.launch"]
    assert sorted(n for n in names if n.startswith(FORBIDDEN + ("argparse", "json", "pathlib", "subprocess"))) == []
