"""Processes in the unikernel, end to end through the CLI (`unicore build` picks the proc library
because the analysis finds fork, execve or wait4, or its runs made processes): fork + pipe +
waitpid in C (musl from source, glibc through --binary), Debian's dash and bash running 3-stage
pipelines, command substitution and subshells, make running recipes, Python's subprocess, a fork
bomb stopped by RLIMIT_NPROC, copy-on-write after fork, and a program the image lacks (127).
Output and exit status equal the native run, except where the unikernel adds its one line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unicore.runner import run_image
from unicore.runner.memory import default_mem_mb

pytestmark = pytest.mark.slow
PROGRAMS = Path(__file__).parent / "programs"
PATH = {"PATH": "/usr/bin:/bin"}


def unicore_build(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", *args, "--explain"], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def proc_reason(explain: str) -> str:
    return next((line for line in explain.splitlines() if line.strip().startswith("proc ")), "")


def build_c(tmp_path: Path, name: str, target: str = "qemu/x86_64", *extra: str) -> tuple[Path, str]:
    image = tmp_path / f"{name}.img"
    explain = unicore_build(str(PROGRAMS / f"{name}.c"), "-o", str(image), "--build-dir",
                            str(tmp_path / "build" / name), "--target", target, *extra)
    return image, explain


def native_musl(tmp_path: Path, name: str, target: str) -> list[str]:
    """The program built as static musl for the target's architecture, and how to run it here
    (an arm64 one under qemu-aarch64)."""
    from unicore.program.toolchain import compile_program
    from unicore.runner.verify import native_command
    exe = compile_program([PROGRAMS / f"{name}.c"], tmp_path / f"{name}-native", ["-O2"], target.split("/")[1])
    return native_command(exe)


def build_binary(tmp_path: Path, name: str, binary: str, args: list[str], *extra: str, env: dict | None = None) -> Path:
    scenario = tmp_path / f"{name}.json"
    scenario.write_text(json.dumps({"schema": 1, "args": args, "env": env or PATH}))
    image = tmp_path / f"{name}.img"
    explain = unicore_build("--binary", binary, "--scenario", str(scenario), "-o", str(image),
                            "--build-dir", str(tmp_path / "build" / name), *extra)
    assert "proc" in proc_reason(explain), explain
    return image


def native(argv: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, timeout=60, env=env or PATH)


def guest(image: Path, args: list[str], env: dict | None = None, debug: bool = False):
    return run_image(image, args, env=env or PATH, mem_mb=default_mem_mb(image), accel="tcg", timeout=180, debug=debug)


def test_fork_pipe_waitpid_musl_matches_native(tmp_path, target):
    image, explain = build_c(tmp_path, "forkpipe", target)
    # arm64's generic table has no fork: musl's fork() is clone(SIGCHLD), which sched hands to proc
    assert ("provides fork" in proc_reason(explain)) == target.endswith("/x86_64") and "wait4" in proc_reason(explain)
    r, n = guest(image, []), native(native_musl(tmp_path, "forkpipe", target))
    assert (r.stdout, r.exit_status) == (n.stdout, n.returncode)
    assert b"killed child: signalled 1 by 15\n" in r.stdout and r.exit_status == 3


def test_fork_pipe_waitpid_glibc_matches_native(tmp_path):
    exe = tmp_path / "forkpipe-glibc"
    subprocess.run(["gcc", "-O2", "-o", str(exe), str(PROGRAMS / "forkpipe.c")], check=True)
    image = build_binary(tmp_path, "forkpipe-glibc", str(exe), [])
    r, n = guest(image, []), native([str(exe)])
    assert (r.stdout, r.exit_status) == (n.stdout, n.returncode)
    assert b"second child: exited 1 status 12\n" in r.stdout


SCRIPTS = {
    "dash": "echo hello world | tr a-z A-Z | cat; echo $(echo sub); (cd /tmp && pwd) | tr / :",
    "bash": "printf 'b\\na\\n' | sort | tr a-z A-Z; echo $(echo sub) $((6*7)); (cd /tmp && pwd) | cat",
}


@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_shell_pipelines_and_command_substitution_match_native(tmp_path, shell):
    args = ["-c", SCRIPTS[shell]]
    image = build_binary(tmp_path, shell, f"/bin/{shell}", args)
    r, n = guest(image, args), native([f"/bin/{shell}", *args])
    assert (r.stdout, r.stderr, r.exit_status) == (n.stdout, n.stderr, n.returncode)
    assert b"sub" in r.stdout


def test_make_runs_recipes_like_native(tmp_path):
    work = tmp_path / "mk"
    work.mkdir()
    (work / "data.txt").write_text("some data\n")
    (work / "Makefile").write_text(f"all: first\n\t@echo second | tr a-z A-Z\n\t@cat {work}/data.txt\n"
                                   "first:\n\techo first\n\t@printf 'x\\ny\\n' | cat\n")
    args = ["-f", str(work / "Makefile")]
    files = [f"--file={work / f}:{work / f}" for f in ("Makefile", "data.txt")]
    image = build_binary(tmp_path, "make", "/usr/bin/make", args, *files)
    r, n = guest(image, args), native(["/usr/bin/make", *args])
    assert (r.stdout, r.exit_status) == (n.stdout, n.returncode)
    assert r.stdout == b"echo first\nfirst\nx\ny\nSECOND\nsome data\n"


def test_python_subprocess_run_matches_native(tmp_path):
    script = tmp_path / "sub.py"
    script.write_text(
        "import subprocess\n"
        "r = subprocess.run(['tr', 'a-z', 'A-Z'], input=b'hello from python\\n', capture_output=True)\n"
        "print(r.returncode, r.stdout, r.stderr)\n"
        "r = subprocess.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], capture_output=True, text=True)\n"
        "print(r.returncode, repr(r.stdout), repr(r.stderr))\n")
    image = build_binary(tmp_path, "python", "/usr/bin/python3", [str(script)], f"--file={script}:{script}")
    r, n = guest(image, [str(script)]), native(["/usr/bin/python3", str(script)])
    assert (r.stdout, r.exit_status) == (n.stdout, n.returncode)
    assert r.stdout == b"0 b'HELLO FROM PYTHON\\n' b''\n3 'out\\n' 'err\\n'\n"


def test_fixed_address_program_forks_and_execs_itself_like_native(tmp_path, target):
    """Static non-PIE, three levels: each child execs the program at the addresses its waiting
    parent's segments occupy (the exec'd copy gets pages of its own there). The image runs as
    /selfexec, the same source built for the root file system, which /proc/self/exe names. The
    native run is this machine's build: qemu-aarch64 alone cannot execve an arm64 program."""
    copy = native_musl(tmp_path / target.replace("/", "-"), "selfexec", target)[-1]
    image, _ = build_c(tmp_path, "selfexec", target, f"--file={copy}:/selfexec")
    r = run_image(image, [], env=PATH, mem_mb=default_mem_mb(image), accel="tcg", timeout=180, argv0="/selfexec")
    n = native(native_musl(tmp_path, "selfexec", "qemu/x86_64"))
    assert (r.stdout, r.exit_status) == (n.stdout, n.returncode), r.stderr
    assert r.stdout.endswith(b"level 0: child exited 6, own memory intact yes\n") and r.exit_status == 6


def test_python_runs_itself_as_a_subprocess_like_native(tmp_path):
    """Debian's python3.11 is linked at 0x400000 (not PIE): the child, and its own child, exec it
    while their parents run it there."""
    script = tmp_path / "self.py"
    script.write_text(
        "import subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-c', 'print(6*7)'], capture_output=True)\n"
        "print(r.returncode, r.stdout, r.stderr)\n"
        "inner = 'import subprocess, sys; sys.exit(subprocess.run([sys.executable, \"-c\", \"exit(5)\"]).returncode + 1)'\n"
        "print(subprocess.run([sys.executable, '-c', inner]).returncode)\n")
    image = build_binary(tmp_path, "python-self", "/usr/bin/python3.11", [str(script)], f"--file={script}:{script}")
    r, n = guest(image, [str(script)]), native(["/usr/bin/python3.11", str(script)])
    assert (r.stdout, r.stderr, r.exit_status) == (n.stdout, n.stderr, n.returncode)
    assert r.stdout == b"0 b'42\\n' b''\n6\n"


def test_python_multiprocessing_fork_process_and_pipe_like_native(tmp_path):
    """multiprocessing with the 'fork' start method: Process, Pipe, exit codes. Its locks, queues
    and pools are not here: SemLock needs sem_open (/dev/shm, writable MAP_SHARED file mappings,
    futexes shared between processes), which the unikernel does not have yet (docs/processes.md)."""
    script = tmp_path / "mp.py"
    script.write_text(
        "import multiprocessing as mp\n"
        "def work(conn, x):\n"
        "    conn.send([i * x for i in range(5)])\n"
        "    conn.close()\n"
        "if __name__ == '__main__':\n"
        "    ctx = mp.get_context('fork')\n"
        "    a, b = ctx.Pipe()\n"
        "    p = ctx.Process(target=work, args=(b, 3))\n"
        "    p.start(); print(a.recv()); p.join(); print('exitcode', p.exitcode)\n"
        "    p = ctx.Process(target=exit, args=(4,))\n"
        "    p.start(); p.join(); print('exitcode', p.exitcode)\n")
    image = build_binary(tmp_path, "python-mp", "/usr/bin/python3.11", [str(script)], f"--file={script}:{script}")
    r, n = guest(image, [str(script)]), native(["/usr/bin/python3.11", str(script)])
    assert (r.stdout, r.stderr, r.exit_status) == (n.stdout, n.stderr, n.returncode)
    assert r.stdout == b"[0, 3, 6, 9, 12]\nexitcode 0\nexitcode 4\n"


def test_fork_bomb_ends_at_rlimit_nproc(tmp_path, target):
    """Not run natively: root is exempt from RLIMIT_NPROC on Linux, the bomb would be real."""
    image, _ = build_c(tmp_path, "forkbomb", target)
    r = guest(image, [])
    assert r.stdout == b"fork bomb stopped: 23 forks, then Resource temporarily unavailable; 23 processes reaped\n"
    assert r.exit_status == 0


def test_copy_on_write_after_fork_shares_20_mib(tmp_path, target):
    image, _ = build_c(tmp_path, "cow", target)
    r = guest(image, [], debug=True)
    assert r.stdout == (b"20 MiB written before fork; the child wrote one page: exit 0\n"
                        b"RAM in use grew by less than 10 MiB while the child lived: yes\n"
                        b"the parent's page is still its own: yes\n"), r.stderr
    growth = int(r.stderr.split(b"growth ")[1].split()[0])
    assert growth < 4, r.stderr  # a copy would be 20 MiB; page tables and the stack's live part are ~1


def test_program_not_in_the_image_exits_127_with_one_line(tmp_path):
    exe = tmp_path / "execmiss"
    subprocess.run(["gcc", "-O2", "-o", str(exe), str(PROGRAMS / "execmiss.c")], check=True)
    image = build_binary(tmp_path, "execmiss", str(exe), ["/usr/bin/true"])
    ok = guest(image, ["/usr/bin/true"])
    assert (ok.stdout, ok.exit_status) == (b"/usr/bin/true exited 0\n", 0)
    missing = "/usr/bin/" + "x" * 8
    assert not os.path.exists(missing)
    r = guest(image, [missing])
    assert (r.stdout, r.exit_status) == (f"{missing} exited 127\n".encode(), 127)
    assert r.stderr == f"program not in the image: {missing}\n".encode()
