"""Errors are for people: bad input gives one line on stderr and a non-zero exit, no traceback."""

import subprocess
import sys

import pytest


def unicore(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "unicore", *args], input=stdin, capture_output=True)


@pytest.mark.parametrize("args,message", [
    (["analyze", "/nonexistent/prog"], b"/nonexistent/prog: no such file"),
    (["analyze", "/tmp"], b"is a directory"),
    (["build", "/nonexistent.c"], b"no such file or directory"),
    (["build", "README.md"], b"expected a .c file"),
    (["build", "tests/data/manifests"], b"no C sources"),
    (["build", "examples/hello", "--target", "xen/riscv64"], b"valid targets: qemu/x86_64"),
    (["build", "examples/hello", "--report", "r.json", "--explore"], b"--explore and --fuzz analyse the program"),
    (["build", "examples/hello", "--build-dir", "README.md"], b"--build-dir README.md exists and is not a directory"),
    (["build", "examples/hello", "--target", "spt/x86_64", "--with", "9pfs"], b"9pfs does not support spt/x86_64"),
])
def test_bad_input_is_one_clear_line(args, message):
    proc = unicore(*args)
    assert proc.returncode != 0
    assert b"Traceback" not in proc.stderr
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unicore: "), proc.stderr
    assert message in proc.stderr


def test_compiler_errors_are_shown_in_full(tmp_path):
    src = tmp_path / "broken.c"
    src.write_text("int main(void) { return undefined_thing; }\n")
    proc = unicore("build", str(src), "--build-dir", str(tmp_path / "b"))
    assert proc.returncode != 0 and b"Traceback" not in proc.stderr
    assert b"undefined_thing" in proc.stderr and b"compiling" in proc.stderr


def test_cc_wrapper_builds_a_static_program(tmp_path):
    src = tmp_path / "x.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 7; }\n')
    exe = tmp_path / "x"
    assert unicore("cc", "-O2", "-o", str(exe), str(src)).returncode == 0
    run = subprocess.run([str(exe)], capture_output=True)
    assert (run.stdout, run.returncode) == (b"hi\n", 7)
    from elftools.elf.elffile import ELFFile
    with exe.open("rb") as f:
        elf = ELFFile(f)
        assert elf.header.e_type == "ET_EXEC"
        assert not any(s.header.p_type in ("PT_INTERP", "PT_DYNAMIC") for s in elf.iter_segments())


def test_analyze_options_may_follow_program_arguments(tmp_path):
    import json
    out = tmp_path / "r.json"
    proc = unicore("analyze", "/bin/echo", "hi", "--dynamic-only", "--json", str(out), "--", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["dynamic"]["runs"][0]["argv"] == ["/bin/echo", "hi", "--json"]
    assert report["static"] is None and "write" in report["needs"]["syscalls"]
