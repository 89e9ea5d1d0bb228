"""Dynamic analysis end to end: real programs under Debian's strace, exact facts asserted.

A small C program (built here with gcc against glibc and with `unicore cc`, static musl) makes a
known set of calls selected by argv[1]; Debian's sqlite3 and the example TCP server run from
the shipped scenarios.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unicore.analysis.dynamic.analyze import analyze_dynamic
from unicore.analysis.dynamic.scenario import Scenario, load_scenario
from unicore.errors import BadInputError, ToolMissingError
from unicore.syscalls import by_name

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "examples" / "scenarios"

PROGRAM = r"""
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "basic";
    if (!strcmp(mode, "crash")) { volatile int *p = 0; *p = 1; }
    if (!strcmp(mode, "hang")) for (;;) pause();
    if (!strcmp(mode, "forkhang")) { fork(); for (;;) pause(); }
    if (!strcmp(mode, "exec")) { execl("/bin/true", "true", (char *)0); return 1; }
    if (!strcmp(mode, "nosys")) return syscall(1000) == -1 ? 0 : 1;  /* no such syscall number */
    int fd = open(argv[0], O_RDONLY);
    int missing = open("/nonexistent/unicore-missing", O_RDONLY);
    char buf[16];
    read(fd, buf, sizeof buf);
    close(fd);
    getpid();
    access("/nonexistent/unicore-probe", F_OK);
    write(1, "done\n", 5);
    if (argc > 2) { DIR *d = opendir(argv[2]); while (readdir(d)) ; closedir(d); }
    return missing == -1 ? 3 : 4;
}
"""

# Every call the static musl build makes in "basic" mode (no directory), exactly.
MUSL_BASIC = {"arch_prctl": 1, "set_tid_address": 1, "open": 2, "read": 1, "close": 1, "getpid": 1,
              "access": 1, "write": 1, "exit_group": 1}


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("dyn")
    (d / "p.c").write_text(PROGRAM)
    unicore = Path(sys.executable).parent / "unicore"
    subprocess.run(["gcc", "-O2", "-o", d / "p_glibc", d / "p.c"], check=True)
    subprocess.run([unicore, "cc", "-O2", "-o", d / "p_musl", d / "p.c"], check=True)
    return {"glibc": d / "p_glibc", "musl": d / "p_musl"}


def test_static_musl_program_exact_calls(programs):
    report = analyze_dynamic(programs["musl"], [], [])
    assert report["syscalls"] == MUSL_BASIC  # the launcher's execve is not counted
    assert report["errors"] == {"open": {"ENOENT": 1}, "access": {"ENOENT": 1}}
    assert report["probes"] == [{"path": "/nonexistent/unicore-probe", "syscall": "access", "exists": False}]
    missing = next(f for f in report["files"] if f["path"] == "/nonexistent/unicore-missing")
    assert missing == {"path": "/nonexistent/unicore-missing", "flags": ["O_LARGEFILE", "O_RDONLY"],
                       "exists": False, "syscall": "open", "errors": ["ENOENT"], "opens": 1}
    assert [f["path"] for f in report["files"]] == ["/nonexistent/unicore-missing", str(programs["musl"])]
    run = report["runs"][0]
    assert (run["exit_status"], run["signal"], run["timed_out"], run["crashed"]) == (3, None, False, False)
    assert run["stdout"] == "done\n" and run["argv"] == [str(programs["musl"])]
    assert report["exec"] == [] and report["sockets"] == [] and report["signals"] == []
    assert report["arch"] == os.uname().machine


def test_glibc_program_calls_files_and_directories(programs, tmp_path):
    (tmp_path / "a").write_text("")
    report = analyze_dynamic(programs["glibc"], ["basic", str(tmp_path)], [])
    calls = report["syscalls"]
    assert calls["getpid"] == 1 and calls["write"] == 1 and calls["exit_group"] == 1
    assert "execve" not in calls
    assert report["errors"]["openat"] == {"ENOENT": 1}
    files = {f["path"]: f for f in report["files"]}
    assert files["/nonexistent/unicore-missing"]["exists"] is False
    assert files["/nonexistent/unicore-missing"]["errors"] == ["ENOENT"]
    assert files[str(programs["glibc"])]["exists"] is True
    assert files[str(tmp_path)]["flags"] == ["O_CLOEXEC", "O_DIRECTORY", "O_NONBLOCK", "O_RDONLY"]
    assert any(p.endswith("/libc.so.6") for p in files)
    assert report["directories"] == [str(tmp_path)]
    assert calls["getdents64"] == 2  # one batch with the entries, one empty at the end


def test_exec_by_the_program_is_recorded_and_counted(programs):
    report = analyze_dynamic(programs["musl"], ["exec"], [])
    assert report["exec"] == [{"path": "/bin/true", "argv": ["true"]}]
    assert report["syscalls"]["execve"] == 1
    assert report["runs"][0]["exit_status"] == 0


def test_exec_list_is_deduplicated_but_every_execve_counted():
    report = analyze_dynamic(Path("/bin/sh"), ["-c", "/bin/true; /bin/true; exit 5"], [])
    assert report["exec"] == [{"path": "/bin/true", "argv": ["/bin/true"]}]
    assert report["syscalls"]["execve"] == 2 and report["runs"][0]["exit_status"] == 5


def test_unnamed_syscall_numbers_are_named_like_the_uapi_tables(programs):
    report = analyze_dynamic(programs["musl"], ["nosys"], [])
    assert report["syscalls"]["unknown_1000"] == 1
    assert report["errors"] == {"unknown_1000": {"ENOSYS": 1}}


def test_crash_is_flagged_with_its_signal(programs):
    run = analyze_dynamic(programs["musl"], ["crash"], [])
    assert run["runs"][0]["crashed"] is True
    assert run["runs"][0]["signal"] == "SIGSEGV" and run["runs"][0]["exit_status"] is None
    assert run["signals"] == ["SIGSEGV"]
    assert run["syscalls"] == {"arch_prctl": 1, "set_tid_address": 1}


def _alive(path: Path) -> list[int]:
    """Processes still running `path`."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.readlink(f"/proc/{entry}/exe") == str(path):
                pids.append(int(entry))
        except OSError:
            continue
    return pids


def test_hang_times_out_with_partial_trace_and_no_stray_process(programs):
    start = time.monotonic()
    report = analyze_dynamic(programs["musl"], ["forkhang"], [], timeout=1.0)
    elapsed = time.monotonic() - start
    run = report["runs"][0]
    assert run["timed_out"] is True and run["crashed"] is False and run["signal"] == "SIGKILL"
    assert 1.0 <= elapsed < 30.0  # waited for the timeout, then did not wait for the hung program
    assert report["syscalls"]["fork"] == 1 and report["syscalls"]["pause"] == 2  # parent and child
    assert _alive(programs["musl"]) == []


def test_scenarios_merge_and_shell_commands_run(programs, tmp_path):
    shell = load_scenario(_write(tmp_path / "s.toml", """
        schema = 1
        args = ["basic"]
        [[commands]]
        shell = "echo hi > marker.txt"
        [expect]
        exit = 3
        stdout = "done\\n"
        """))
    plain = Scenario(name="plain", args=["basic"])
    report = analyze_dynamic(programs["musl"], [], [shell, plain])
    assert [r["scenario"] for r in report["runs"]] == ["s", "plain"]
    assert report["syscalls"]["getpid"] == 2 and report["errors"]["open"] == {"ENOENT": 2}
    first = report["runs"][0]
    assert (first["exit_matches"], first["stdout_matches"]) == (True, True)
    assert first["commands"][0]["ok"] is True and (tmp_path / "marker.txt").read_text() == "hi\n"
    assert report["runs"][1]["exit_matches"] is None and report["runs"][1]["stdout_matches"] is None


def test_sqlite3_scenario():
    report = analyze_dynamic(Path("/usr/bin/sqlite3"), [], [load_scenario(SCENARIOS / "sqlite3.toml")])
    run = report["runs"][0]
    assert run["stdout"] == "3|three\n6\n"
    assert (run["exit_status"], run["stdout_matches"], run["exit_matches"]) == (0, True, True)
    assert any("libsqlite3.so" in f["path"] and f["exists"] for f in report["files"])
    assert report["syscalls"]["read"] >= 1 and "execve" not in report["syscalls"]


def test_expectations_that_fail_are_reported(tmp_path):
    scenario = load_scenario(_write(tmp_path / "wrong.json", """
        {"schema": 1, "program": "/usr/bin/sqlite3", "stdin": "SELECT 2;",
         "expect": {"exit": 1, "stdout_contains": "3"}}
        """))
    run = analyze_dynamic(Path("/bin/false"), [], [scenario])["runs"][0]
    assert run["argv"] == ["/usr/bin/sqlite3"] and run["stdout"] == "2\n"
    assert (run["exit_status"], run["exit_matches"], run["stdout_matches"]) == (0, False, False)


def test_tcp_server_scenario():
    report = analyze_dynamic(Path("/usr/bin/python3"), [], [load_scenario(SCENARIOS / "tcp-server.toml")])
    run = report["runs"][0]
    port = run["argv"][-1]
    assert run["commands"] == [{"command": f"tcp 127.0.0.1:{port}", "ok": True,
                                "detail": "received: 'hello from unicore\\necho: ping\\n'"}]
    assert (run["exit_status"], run["exit_matches"], run["stdout_matches"]) == (0, True, True)
    assert not run["timed_out"]
    server = {"family": "AF_INET", "type": "SOCK_STREAM", "protocol": "IPPROTO_IP",
              "bound": [f"127.0.0.1:{port}"], "connected": [], "listening": True, "accepted": 1}
    assert server in report["sockets"]
    # the server loops back to accept4 after the exchange; SIGTERM may arrive before or during it
    assert report["syscalls"]["accept4"] in (1, 2) and report["syscalls"]["listen"] == 1
    assert "SIGTERM" in report["signals"]
    table = by_name(report["arch"])
    assert [name for name in report["syscalls"] if name not in table] == []  # strace names = UAPI names


def test_bad_programs(tmp_path):
    with pytest.raises(BadInputError, match="program not found: .*nope"):
        analyze_dynamic(tmp_path / "nope", [], [])
    text = _write(tmp_path / "notes.txt", "just text\n")
    with pytest.raises(BadInputError, match="not an executable file"):
        analyze_dynamic(text, [], [])
    text.chmod(0o755)
    with pytest.raises(BadInputError, match="cannot execute .*ENOEXEC"):
        analyze_dynamic(text, [], [])


def test_strace_missing(programs, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError, match="strace not found"):
        analyze_dynamic(programs["musl"], [], [])


def _write(path: Path, text: str) -> Path:
    path.write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n")
    return path


def test_failing_commands_are_reported_and_the_run_goes_on(tmp_path):
    server = SCENARIOS / "tcp_server.py"
    scenario = load_scenario(_write(tmp_path / "fails.toml", f"""
        schema = 1
        program = "/usr/bin/python3"
        args = ["{server}", "{{port}}"]
        port = 0
        stop = "terminate"
        [[commands]]
        shell = "exit 7"
        [[commands]]
        tcp = "{{port}}"
        send = "ping\\n"
        expect = "pong"
        """))
    run = analyze_dynamic(Path("/bin/false"), [], [scenario], timeout=5)["runs"][0]
    shell, tcp = run["commands"]
    assert shell == {"command": "shell: exit 7", "ok": False, "detail": "exit 7:"}
    assert tcp["ok"] is False
    assert tcp["detail"] == "expected 'pong', received: 'hello from unicore\\necho: ping\\n'"
    assert run["exit_status"] == 0 and run["timed_out"] is False


def test_missing_working_directory(programs, tmp_path):
    scenario = Scenario(name="x", path=tmp_path / "x.toml", cwd=tmp_path / "nope")
    with pytest.raises(BadInputError, match=r"scenario .*x.toml: field 'cwd': not a directory"):
        analyze_dynamic(programs["musl"], [], [scenario])
