"""Static analysis: exact results on programs built here and on Debian's own binaries."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from unicore.analysis.static import callgraph
from unicore.analysis.static.analyze import analyze_static
from unicore.errors import BadInputError

DATA = Path(__file__).parent / "data"
# musl 1.2.3 (Debian 12): write, getpid and nanosleep, plus what musl's start-up (__init_libc:
# poll/open on fds 0-2 for AT_SECURE, __init_tls: mmap, __init_tp: set_tid_address,
# arch_prctl) and exit (exit_group, and _Exit's exit fallback) need.
KNOWN_CALLS = {"write", "getpid", "nanosleep", "clock_nanosleep", "exit_group", "exit",
               "set_tid_address", "arch_prctl", "mmap", "open", "poll"}
NOT_USED = {"socket", "connect", "fork", "clone", "clone3", "vfork", "execve", "openat", "read",
            "ioctl", "brk", "munmap", "kill", "rt_sigaction"}


def _cc(out: Path, source: Path, *flags: str) -> Path:
    """Build with `unicore cc` (static, non-PIE musl)."""
    subprocess.run([sys.executable, "-m", "unicore", "cc", "-O2", *flags, "-o", str(out), str(source)],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("static-progs")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("analysis-cache")


def _strace(argv: list[str], stdin: bytes = b"") -> set[str]:
    """Syscall names the program makes (threads included), the launcher's execve excluded."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"unicore-strace-{os.getpid()}.txt"
    subprocess.run(["strace", "-f", "-qq", "-o", str(log), *argv], input=stdin, capture_output=True,
                   timeout=60)
    names = {m.group(1) for line in log.read_text().splitlines()
             if (m := re.match(r"(?:\d+\s+)?(\w+)\(", line))}
    log.unlink()
    return names - {"execve"}


def _ldd(path: str) -> list[str]:
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    paths = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and parts[2].startswith("/"):
            paths.append(os.path.realpath(parts[2]))
        elif parts and parts[0].startswith("/"):
            paths.append(os.path.realpath(parts[0]))
    return paths


# --- a static musl program calling a known set of functions --------------------------------

@pytest.fixture(scope="module")
def known(built) -> Path:
    return _cc(built / "known", DATA / "static" / "known_calls.c")


def test_musl_static_program_exact_syscalls(known, cache):
    r = analyze_static(known, cache_dir=cache)
    assert r["program"]["static"] is True and r["program"]["type"] == "EXEC"
    assert r["program"]["pie"] is False and r["program"]["interp"] is None
    assert r["libraries"] == [] and r["missing_libraries"] == []
    assert set(r["syscalls"]) == KNOWN_CALLS
    assert not NOT_USED & set(r["all_syscalls"])
    assert r["unresolved_sites"] == []


def test_musl_static_dynamic_subset_of_static(known, cache):
    dynamic = _strace([str(known)])
    assert {"write", "getpid", "nanosleep"} <= dynamic
    assert dynamic <= set(analyze_static(known, cache_dir=cache)["syscalls"])


def test_stripped_program_uses_call_targets_as_functions(known, built, cache):
    stripped = built / "known-stripped"
    subprocess.run(["strip", "-o", str(stripped), str(known)], check=True)
    r = analyze_static(stripped, cache_dir=cache)
    assert set(r["syscalls"]) == KNOWN_CALLS
    assert r["unresolved_sites"] == []


def test_unresolvable_site_is_reported(built, cache):
    prog = _cc(built / "unresolved", DATA / "static" / "unresolved_site.c")
    with open(prog, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        func = symtab.get_symbol_by_name("from_memory")[0]["st_value"]
    r = analyze_static(prog, cache_dir=cache)
    assert [{k: u[k] for k in ("object", "address", "function")} for u in r["unresolved_sites"]] == [
        {"object": str(prog), "address": f"0x{func + 7:x}", "function": "from_memory"}]
    assert "getpid" not in r["syscalls"]


# --- Debian binaries ---------------------------------------------------------------------------

@pytest.mark.parametrize("program", ["/bin/true", "/usr/bin/sqlite3", "/usr/bin/python3.11"])
def test_closure_equals_ldd(program):
    """The closure alone (what `libraries` reports; the full analysis is tested below)."""
    from unicore.analysis.static import closure, elf
    if not Path(program).exists():
        pytest.skip(f"{program} not installed")
    clo = closure.resolve(elf.load(Path(program)))
    assert [os.path.realpath(path) for _soname, path in clo.libraries] == _ldd(program)
    assert clo.missing == []


def test_bin_true_libraries_exact(cache):
    r = analyze_static(Path("/bin/true"), cache_dir=cache)
    assert r["libraries"] == [{"soname": "libc.so.6", "path": "/lib/x86_64-linux-gnu/libc.so.6"},
                              {"soname": "ld-linux-x86-64.so.2", "path": "/lib64/ld-linux-x86-64.so.2"}]
    assert r["missing_libraries"] == []
    assert r["program"]["interp"] == "/lib64/ld-linux-x86-64.so.2"


def test_bin_true_reachable_smaller_and_sound(cache):
    r = analyze_static(Path("/bin/true"), cache_dir=cache)
    reach, whole = set(r["syscalls"]), set(r["all_syscalls"])
    assert reach < whole
    assert _strace(["/bin/true"]) <= reach
    assert r["stats"]["reachable_functions"] < r["stats"]["functions"]
    assert r["unresolved_sites"] == []
    assert r["program"]["pie"] is True and r["program"]["type"] == "DYN"


def test_bin_true_symbols_bound_with_versions(cache):
    r = analyze_static(Path("/bin/true"), cache_dir=cache)
    start = [i for i in r["symbols"]["imports"] if i["name"] == "__libc_start_main" and i["object"] == "/bin/true"]
    assert start == [{"name": "__libc_start_main", "version": "GLIBC_2.34", "object": "/bin/true",
                      "bound_to": "/lib/x86_64-linux-gnu/libc.so.6"}]
    libc_imports = {i["name"]: i for i in r["symbols"]["imports"] if i["object"].endswith("libc.so.6")}
    assert libc_imports["_dl_argv"]["bound_to"] == "/lib64/ld-linux-x86-64.so.2"
    assert libc_imports["_dl_argv"]["version"] == "GLIBC_PRIVATE"
    unbound = {u["name"] for u in r["symbols"]["unbound"]}
    assert unbound == {"_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable", "__gmon_start__"}
    assert all(u["weak"] for u in r["symbols"]["unbound"])


@pytest.mark.slow  # disassembles libsqlite3 and friends
def test_sqlite3_reachable_smaller_and_dynamic_subset(cache):
    r = analyze_static(Path("/usr/bin/sqlite3"), cache_dir=cache)
    assert [os.path.realpath(lib["path"]) for lib in r["libraries"]] == _ldd("/usr/bin/sqlite3")
    reach = set(r["syscalls"])
    assert reach < set(r["all_syscalls"])
    dynamic = _strace(["/usr/bin/sqlite3", ":memory:"], b"create table t(x);\ninsert into t values(1);\n"
                      b"select * from t;\n.tables\n")
    assert dynamic <= reach


def test_glibc_syscall_wrapper_resolved_from_caller(built, cache):
    prog = built / "wrapper"
    subprocess.run(["gcc", "-O2", "-o", str(prog), str(DATA / "static" / "wrapper_glibc.c")], check=True)
    r = analyze_static(prog, cache_dir=cache)
    assert "getppid" in r["syscalls"]
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    mine = [u for u in r["unresolved_sites"] if u["function"] == "syscall"]
    assert [(u["object"], str(prog) in u["reason"]) for u in mine] == [(libc, True)]


# --- the cache -----------------------------------------------------------------------------

@pytest.mark.slow  # disassembles libc cold
def test_warm_analysis_does_not_disassemble_libc_again(tmp_path, monkeypatch):
    analysed: list[str] = []
    real_run = callgraph.ObjectAnalysis.run

    def spy(self):
        analysed.append(str(self.elf.path))
        return real_run(self)

    monkeypatch.setattr(callgraph.ObjectAnalysis, "run", spy)
    analyze_static(Path("/bin/true"), cache_dir=tmp_path)
    assert "/lib/x86_64-linux-gnu/libc.so.6" in analysed
    analysed.clear()
    r = analyze_static(Path("/usr/bin/sqlite3"), cache_dir=tmp_path)
    assert "/lib/x86_64-linux-gnu/libc.so.6" not in analysed
    assert "/usr/bin/sqlite3" in analysed
    assert r["stats"]["cache_hits"] == 2  # libc and the loader


def test_cache_follows_xdg_cache_home(tmp_path, monkeypatch, known):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    r = analyze_static(known)
    assert (tmp_path / "unicore" / "analysis" / f"{r['program']['sha256']}.json").is_file()


def test_damaged_cache_file_is_recomputed(tmp_path, known):
    first = analyze_static(known, cache_dir=tmp_path)
    (tmp_path / f"{first['program']['sha256']}.json").write_text("{not json")
    again = analyze_static(known, cache_dir=tmp_path)
    assert again["syscalls"] == first["syscalls"] and again["stats"]["cache_misses"] == 1


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("not-elf.txt", "not an ELF file"),
    ("empty", "not an ELF file"),
    ("header-only.elf", "corrupt or unsupported ELF"),
    ("riscv-machine.elf", "unsupported architecture EM_RISCV"),
    ("bad-class.elf", "(ELF32)"),
])
def test_bad_input_gives_one_line(name, message, tmp_path):
    with pytest.raises(BadInputError) as err:
        analyze_static(DATA / "bad" / name, cache_dir=tmp_path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        analyze_static(tmp_path / "nope", cache_dir=tmp_path)
    with pytest.raises(BadInputError, match="not a regular file"):
        analyze_static(tmp_path, cache_dir=tmp_path)


def test_truncated_real_elf(tmp_path):
    cut = tmp_path / "true-cut"
    cut.write_bytes(Path("/bin/true").read_bytes()[:3000])
    with pytest.raises(BadInputError, match="true-cut"):
        analyze_static(cut, cache_dir=tmp_path)


def test_missing_library_is_reported_not_fatal(tmp_path, known):
    lib = tmp_path / "libgone.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), "-x", "c", "-"], input=b"int gone(void){return 1;}",
                   check=True)
    prog = tmp_path / "needs-gone"
    subprocess.run(["gcc", "-o", str(prog), "-x", "c", "-", f"-L{tmp_path}", "-lgone"],
                   input=b"int gone(void); int main(void){return gone();}", check=True)
    lib.unlink()
    r = analyze_static(prog, cache_dir=tmp_path)
    assert r["missing_libraries"] == ["libgone.so"]
    assert [u["name"] for u in r["symbols"]["unbound"] if not u["weak"]] == ["gone"]


def test_runpath_origin_is_followed(tmp_path):
    (tmp_path / "lib").mkdir()
    lib = tmp_path / "lib" / "libhere.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), "-x", "c", "-"], input=b"int here(void){return 0;}",
                   check=True)
    prog = tmp_path / "uses-here"
    subprocess.run(["gcc", "-o", str(prog), "-x", "c", "-", f"-L{tmp_path / 'lib'}", "-lhere",
                    "-Wl,-rpath,$ORIGIN/lib", "-Wl,--enable-new-dtags"],
                   input=b"int here(void); int main(void){return here();}", check=True)
    r = analyze_static(prog, cache_dir=tmp_path)
    assert [os.path.realpath(x["path"]) for x in r["libraries"]] == _ldd(str(prog))
    assert r["libraries"][0] == {"soname": "libhere.so", "path": str(lib)}


# --- aarch64 -------------------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("aarch64-linux-gnu-gcc"), reason="gcc-aarch64-linux-gnu not installed")
def test_aarch64_svc_sites(built, cache):
    prog = built / "svc-arm64"
    subprocess.run(["aarch64-linux-gnu-gcc", "-nostdlib", "-static", "-o", str(prog),
                    str(DATA / "static" / "aarch64_svc.S")], check=True)
    r = analyze_static(prog, cache_dir=cache)
    assert r["program"]["arch"] == "aarch64"
    assert r["syscalls"] == ["exit", "getpid", "sched_yield"]
    assert r["unresolved_sites"] == []


@pytest.mark.skipif(not shutil.which("aarch64-linux-gnu-gcc"), reason="gcc-aarch64-linux-gnu not installed")
def test_aarch64_fde_functions_starting_with_a_zero_byte(built, cache):
    """An FDE start is a function start, not (as for x86_64's __restore_rt padding) one byte
    before one: the functions stay whole and their svc sites reachable."""
    prog = built / "fde-arm64"
    subprocess.run(["aarch64-linux-gnu-gcc", "-nostdlib", "-static", "-o", str(prog),
                    str(DATA / "static" / "aarch64_fde.S")], check=True)
    r = analyze_static(prog, cache_dir=cache)
    assert r["syscalls"] == ["exit", "gettid", "set_tid_address"]
    assert r["unresolved_sites"] == []


# --- ld.so.cache -----------------------------------------------------------------------------

def test_ld_so_cache_parsed_like_ldconfig():
    from unicore.analysis.static import closure
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    expected = [(m.group(1), m.group(2)) for m in re.finditer(r"^\s+(\S+) \(libc6,x86-64\) => (\S+)$", out, re.M)]
    assert expected
    assert [(name, path) for name, path, flags in closure.ld_cache() if flags == 0x0303] == expected


def test_eh_frame_ranges_match_readelf():
    from unicore.analysis.static import elf
    lib = "/lib/x86_64-linux-gnu/libc.so.6"
    out = subprocess.run(["readelf", "-wf", lib], capture_output=True, text=True).stdout  # exits 1 on warnings
    expected = sorted((int(a, 16), int(b, 16)) for a, b in re.findall(r"FDE cie=\w+ pc=(\w+)\.\.(\w+)", out))
    assert sorted(elf.load(Path(lib)).fdes) == expected


@pytest.mark.slow  # disassembles the cross libc
@pytest.mark.skipif(not shutil.which("aarch64-linux-gnu-gcc"), reason="gcc-aarch64-linux-gnu not installed")
def test_aarch64_dynamic_program_wrapper_through_plt(built, cache):
    prog = built / "wrapper-arm64"
    subprocess.run(["aarch64-linux-gnu-gcc", "-O2", "-o", str(prog), str(DATA / "static" / "wrapper_glibc.c")],
                   check=True)
    r = analyze_static(prog, cache_dir=cache)
    assert r["libraries"] == [
        {"soname": "libc.so.6", "path": "/usr/aarch64-linux-gnu/lib/libc.so.6"},
        {"soname": "ld-linux-aarch64.so.1", "path": "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1"}]
    assert "getppid" in r["syscalls"] and set(r["syscalls"]) < set(r["all_syscalls"])
    assert [u["function"] for u in r["unresolved_sites"]] == ["syscall"]  # the computed number


def test_loader_listed_where_first_needed_like_ldd(tmp_path):
    """prog -> libtop -> libmid -> libdeep: breadth-first, ld.so (needed by libc) comes before libdeep."""
    def lib(name: str, code: bytes, *needs: str) -> None:
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / f"lib{name}.so"), "-x", "c", "-",
                        "-Wl,--no-as-needed", f"-L{tmp_path}", *[f"-l{n}" for n in needs],
                        "-Wl,-rpath,$ORIGIN"], input=code, check=True)
    lib("deep", b"int deep(void){return 0;}")
    lib("mid", b"int deep(void); int mid(void){return deep();}", "deep")
    lib("top", b"int mid(void); int top(void){return mid();}", "mid")
    prog = tmp_path / "prog"
    subprocess.run(["gcc", "-o", str(prog), "-x", "c", "-", "-Wl,--no-as-needed", f"-L{tmp_path}", "-ltop",
                    "-Wl,-rpath,$ORIGIN"], input=b"int top(void); int main(void){return top();}", check=True)
    r = analyze_static(prog, cache_dir=tmp_path)
    names = [os.path.basename(x["path"]) for x in r["libraries"]]
    assert names == ["libtop.so", "libc.so.6", "libmid.so", "ld-linux-x86-64.so.2", "libdeep.so"]
    assert [os.path.realpath(x["path"]) for x in r["libraries"]] == _ldd(str(prog))


def test_int80_site_is_unresolved(built, cache):
    prog = _cc(built / "int80", DATA / "static" / "int80.c")
    r = analyze_static(prog, cache_dir=cache)
    assert [(u["function"], u["reason"]) for u in r["unresolved_sites"]] == [("main", "int 0x80/sysenter: 32-bit ABI")]
    assert "getpid" not in r["syscalls"]  # 20 is not read as x86_64's writev either
    assert "writev" not in r["syscalls"]


def test_functions_the_loader_looks_up_by_name_are_reachable(cache):
    """glibc's rtld calls libc's __libc_early_init (and malloc...) found by name, not by relocation."""
    from unicore.analysis.static import closure, elf, reach
    from unicore.analysis.static.cache import Cache
    from unicore.analysis.static.analyze import summary_of
    clo = closure.resolve(elf.load(Path("/bin/true")))
    names = [str(o.path) for o in clo.objects]
    sums = [summary_of(o, Cache(cache), lambda _m: None, n) for o, n in zip(clo.objects, names)]
    linker = reach.Linker(clo.objects, sums, names, clo.objects.index(clo.interp))
    early = linker.bind("__libc_early_init@GLIBC_PRIVATE")
    assert names[early[0]] == "/lib/x86_64-linux-gnu/libc.so.6"
    assert early in linker.reach()


def test_function_reached_only_through_a_stored_pointer(built, cache):
    prog = _cc(built / "fnptr", DATA / "static" / "fnptr.c")
    r = analyze_static(prog, cache_dir=cache)
    assert "getppid" in r["syscalls"]
    assert _strace([str(prog)]) <= set(r["syscalls"])


def test_wrapper_chain_across_objects(tmp_path, cache):
    """prog -> libmine.my_sys(n) -> libc syscall(n): the number comes from the program's call."""
    lib = tmp_path / "libmine.so"
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(lib), "-x", "c", "-"], check=True,
                   input=b"#define _GNU_SOURCE\n#include <unistd.h>\nlong my_sys(long n) { return syscall(n); }\n")
    prog = tmp_path / "chain"
    subprocess.run(["gcc", "-O2", "-o", str(prog), "-x", "c", "-", f"-L{tmp_path}", "-lmine", "-Wl,-rpath,$ORIGIN"],
                   input=b"#include <sys/syscall.h>\nlong my_sys(long);\n"
                         b"int main(void) { return my_sys(SYS_getppid) > 0 ? 0 : 1; }\n", check=True)
    r = analyze_static(prog, cache_dir=cache)
    assert "getppid" in r["syscalls"]
    assert r["unresolved_sites"] == []
    assert _strace([str(prog)]) <= set(r["syscalls"])


def test_number_fixed_by_a_branch_condition(built, cache):
    """musl's __stdio_read reaches `syscall` with rax == 0 (read) only through `test rax,rax; je`:
    a program that only calls fgets must still get `read`, as strace shows it does."""
    src = built / "fgets.c"
    src.write_text('#include <stdio.h>\nint main(void) { char b[64];\n'
                   '  while (fgets(b, sizeof b, stdin)) fputs(b, stdout); return 0; }\n')
    exe = _cc(built / "fgets", src)
    result = analyze_static(exe, cache_dir=cache)
    assert {"read", "readv"} <= set(result["syscalls"])
    assert result["unresolved_sites"] == []
    assert _strace([str(exe)], stdin=b"one line\n") <= set(result["syscalls"])
