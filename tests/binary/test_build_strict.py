"""Finding 6 of issue 10: what would fail at boot is refused at build time, in one line.
- `build --binary` of an executable for another architecture names both architectures;
- a non-PIE arm64 executable linked below QEMU virt's RAM is refused, naming its address;
- a program that crashes natively in its analysis run is refused unless --force (then a warning);
- an option value outside the range its library declares (a negative stack size) is refused."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from unicore.controller.config import check_range
from unicore.errors import BadInputError
from unicore.pool.manifest import load_pool

HERE = Path(__file__).resolve().parent


def unicore(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def compile_c(tmp_path: Path, compiler: str, source: str, name: str) -> Path:
    if not shutil.which(compiler):
        pytest.skip(f"{compiler} is not installed")
    (tmp_path / f"{name}.c").write_text(source)
    subprocess.run([compiler, "-static", "-o", str(tmp_path / name), str(tmp_path / f"{name}.c")], check=True)
    return tmp_path / name


def test_binary_for_another_architecture_is_refused(tmp_path):
    arm = compile_c(tmp_path, "aarch64-linux-gnu-gcc", "int main(void) { return 0; }\n", "arm")
    r = unicore("build", "--binary", str(arm), "-o", str(tmp_path / "a.img"), "--build-dir", str(tmp_path / "b"))
    assert (r.returncode, r.stderr) == (
        2, f"unicore: {arm} is an executable for aarch64; the target's architecture is x86_64\n")
    assert not (tmp_path / "a.img").exists()
    text = tmp_path / "script"
    text.write_text("#!/bin/sh\necho hi\n")
    r = unicore("build", "--binary", str(text), "-o", str(tmp_path / "s.img"), "--build-dir", str(tmp_path / "b"))
    assert (r.returncode, r.stderr) == (2, f"unicore: {text}: not an ELF executable\n")


def test_non_pie_arm64_binary_below_virt_ram_is_refused(tmp_path):
    arm = compile_c(tmp_path, "aarch64-linux-gnu-gcc", "int main(void) { return 0; }\n", "arm")
    low = min(int(line.split()[2], 16) for line in subprocess.run(
        ["readelf", "-lW", str(arm)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.split()[:1] == ["LOAD"])
    r = unicore("build", "--binary", str(arm), "--target", "qemu/arm64", "-o", str(tmp_path / "a.img"),
                "--build-dir", str(tmp_path / "b"))
    assert (r.returncode, r.stderr) == (2, f"unicore: {arm} is a non-PIE executable linked at {low:#x}, below the "
                                           "guest RAM of arm64 (from 0x40000000): rebuild it as PIE (gcc -pie)\n")
    assert low == 0x400000 and not (tmp_path / "a.img").exists()


@pytest.mark.slow
def test_program_crashing_in_its_analysis_is_refused_unless_forced(tmp_path):
    crash = compile_c(tmp_path, "gcc", "#include <stdio.h>\nint main(void) { puts(\"x\"); fflush(stdout);\n"
                      "  *(volatile int *)0 = 1; return 0; }\n", "crash")
    args = ["build", "--binary", str(crash), "-o", str(tmp_path / "c.img"), "--build-dir", str(tmp_path / "b")]
    r = unicore(*args)
    assert (r.returncode, r.stderr.splitlines()[-1]) == (
        2, "unicore: the program crashed natively (SIGSEGV) in its analysis run 'default': its syscalls may be "
           "incomplete; fix the program or scenario, or pass --force to build anyway")
    assert not (tmp_path / "c.img").exists()
    forced = unicore(*args, "--force")
    assert forced.returncode == 0 and (tmp_path / "c.img").is_file()
    assert "warning: the program crashed natively (SIGSEGV) in its analysis run 'default' (--force)" in \
        " ".join(forced.stderr.split())


def test_option_values_are_range_checked_at_build_time(tmp_path):
    (tmp_path / "p.c").write_text("int main(void) { return 0; }\n")
    r = unicore("build", str(tmp_path / "p.c"), "-o", str(tmp_path / "p.img"), "--build-dir", str(tmp_path / "b"),
                "--option", "UK_PROCESS_STACK_KB=-4")
    assert (r.returncode, r.stderr.splitlines()[-1]) == (
        2, "unicore: option UK_PROCESS_STACK_KB=-4: below its minimum 16 (size of the program's main stack)")
    assert not (tmp_path / "p.img").exists()
    stack = next(o for o in load_pool()["process"].options if o.name == "STACK_KB")
    check_range("UK_PROCESS_STACK_KB", stack, "16")
    for bad, why in [("2000000", "above its maximum 1048576"), ("12k", "invalid value '12k' \\(not an integer\\)")]:
        with pytest.raises(BadInputError, match=why):
            check_range("UK_PROCESS_STACK_KB", stack, bad)


def test_every_int_option_declares_its_range():
    for lib in load_pool().values():
        for opt in lib.options:
            if opt.type == "int":
                assert opt.min is not None and opt.max is not None and opt.min <= opt.default <= opt.max, \
                    (lib.name, opt.name)
