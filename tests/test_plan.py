"""Controller: syscalls -> libraries, with reasons, replaces, requirements, options, policy."""

import pytest

from unicore.controller.plan import explain, make_plan
from unicore.errors import BadInputError, UnicoreError
from unicore.pool.manifest import load_pool, parse_manifest


def lib(root, name, kind="lib", syscalls=(), caps=(), req=(), reqcaps=(), extra=""):
    d = root / name
    d.mkdir(parents=True)
    (d / "library.toml").write_text(
        f'schema = 1\nname = "{name}"\nkind = "{kind}"\n{extra}\n'
        f"[provides]\nsyscalls = {list(syscalls)!r}\ncapabilities = {list(caps)!r}\n"
        f"[requires]\nlibraries = {list(req)!r}\ncapabilities = {list(reqcaps)!r}\n"
        f'[support]\narch = ["x86_64"]\nplat = ["qemu"]\n'.replace("'", '"'))


@pytest.fixture
def pool(tmp_path):
    lib(tmp_path, "x86_64", kind="arch", req=["core"])
    lib(tmp_path, "qemu", kind="plat", caps=["console", "clock"], req=["core"])
    lib(tmp_path, "core", extra='[[options]]\nname = "heap_mb"\ntype = "int"\ndefault = 4')
    lib(tmp_path, "posix-io", syscalls=["read", "write", "writev"], req=["core"])
    lib(tmp_path, "vfs", syscalls=["read", "write", "writev", "openat", "close"],
        req=["core"], extra='replaces = ["posix-io"]')
    lib(tmp_path, "posix-time", syscalls=["nanosleep", "clock_gettime"], reqcaps=["clock"])
    return load_pool(tmp_path)


def test_small_library_wins_and_reasons_are_given(pool):
    plan = make_plan(["write", "exit_group"], pool=pool, warn=lambda m: None)
    names = [lib["name"] for lib in plan["libraries"]]
    assert names == ["core", "posix-io", "qemu", "x86_64"]
    assert plan["syscalls"] == {"write": "posix-io"}
    assert plan["missing"] == ["exit_group"]
    reasons = {lib["name"]: lib["reasons"] for lib in plan["libraries"]}
    assert reasons["posix-io"] == ["provides write"]
    assert "required by posix-io" in reasons["core"]


def test_vfs_replaces_posix_io(pool):
    plan = make_plan(["write", "openat"], pool=pool)
    names = {lib["name"] for lib in plan["libraries"]}
    assert "posix-io" not in names and "vfs" in names
    assert plan["syscalls"] == {"openat": "vfs", "write": "vfs"}


def test_capability_requirement_pulls_platform(pool):
    plan = make_plan(["nanosleep"], pool=pool)
    reasons = {lib["name"]: lib["reasons"] for lib in plan["libraries"]}
    assert "provides clock for posix-time" in reasons["qemu"]
    assert plan["syscalls"] == {"nanosleep": "posix-time"}
    assert "clock_gettime" not in plan["syscalls"]  # only what is needed gets a handler


def test_missing_policy_error(pool):
    with pytest.raises(UnicoreError, match="no library provides fork"):
        make_plan(["fork"], pool=pool, on_missing="error")


def test_options_defaults_and_overrides(pool):
    assert make_plan([], pool=pool)["options"] == {"UK_CORE_HEAP_MB": 4}
    assert make_plan([], pool=pool, options={"UK_CORE_HEAP_MB": "9"})["options"]["UK_CORE_HEAP_MB"] == 9
    with pytest.raises(BadInputError, match="unknown option"):
        make_plan([], pool=pool, options={"NOPE": "1"})
    with pytest.raises(BadInputError, match="invalid value"):
        make_plan([], pool=pool, options={"UK_CORE_HEAP_MB": "lots"})


def test_bad_target(pool):
    with pytest.raises(BadInputError, match="valid targets: qemu/x86_64"):
        make_plan([], target="xen/riscv", pool=pool)


def test_explain_lists_every_library(pool):
    text = explain(make_plan(["write", "nanosleep"], pool=pool))
    assert "posix-io" in text and "provides write" in text and "posix-time" in text


@pytest.mark.parametrize("name", ["bad_kind.toml", "bad_toml.toml", "no_name.toml", "bad_schema.toml"])
def test_invalid_manifests_are_named(name, tmp_path):
    from pathlib import Path
    src = Path(__file__).parent / "data" / "manifests" / name
    with pytest.raises(BadInputError, match=name):
        parse_manifest(src)


def test_extra_libraries_and_capabilities(pool):
    plan = make_plan([], pool=pool, extra={"vfs": "requested with --with", "clock": "the image keeps time"})
    reasons = {lib["name"]: lib["reasons"] for lib in plan["libraries"]}
    assert reasons["vfs"] == ["requested with --with"]
    assert "the image keeps time" in reasons["qemu"]
    with pytest.raises(BadInputError, match="no library or capability 'wifi'"):
        make_plan([], pool=pool, extra={"wifi": "x"})


def test_replaces_applies_to_libraries_pulled_in_as_requirements(tmp_path):
    lib(tmp_path, "x86_64", kind="arch")
    lib(tmp_path, "qemu", kind="plat")
    lib(tmp_path, "posix-io", syscalls=["write"])
    lib(tmp_path, "vfs", syscalls=["write", "openat"], extra='replaces = ["posix-io"]')
    lib(tmp_path, "initrd", caps=["initrd"], req=["vfs"])
    lib(tmp_path, "console-user", syscalls=["ioctl"], req=["posix-io"])
    plan = make_plan(["write", "ioctl"], pool=load_pool(tmp_path), extra={"initrd": "rootfs"})
    names = [lib["name"] for lib in plan["libraries"]]
    assert "posix-io" not in names and {"vfs", "initrd", "console-user"} <= set(names)
    assert plan["syscalls"] == {"ioctl": "console-user", "write": "vfs"}


def test_with_syscalls_and_implied_companions(tmp_path):
    lib(tmp_path, "x86_64", kind="arch", req=["core"])
    lib(tmp_path, "qemu", kind="plat", req=["core"])
    lib(tmp_path, "core")
    lib(tmp_path, "vfs", syscalls=["write", "pipe"], req=["core"])
    lib(tmp_path, "signal", syscalls=["rt_sigaction", "rt_sigreturn"], req=["core"],
        extra='with_syscalls = ["pipe"]\n[implies]\nrt_sigaction = ["rt_sigreturn"]')
    pool = load_pool(tmp_path)
    plan = make_plan(["write", "pipe"], pool=pool)
    reasons = {entry["name"]: entry["reasons"] for entry in plan["libraries"]}
    assert reasons["signal"] == ["acts on pipe"] and "rt_sigreturn" not in plan["syscalls"]
    plan = make_plan(["write", "rt_sigaction"], pool=pool)
    assert plan["syscalls"] == {"write": "vfs", "rt_sigaction": "signal", "rt_sigreturn": "signal"}
    assert "signal" not in {e["name"] for e in make_plan(["write"], pool=pool)["libraries"]}


def test_stubbed_and_faked_syscalls_choose_no_library_and_are_explained(pool):
    plan = make_plan(["write"], pool=pool, stubbed={"nanosleep": "stubbed: scenario a still passed"},
                     faked={"clock_gettime": "faked: scenarios a, b still passed", "write": "faked: x"})
    assert plan["version"] == 3 and plan["syscalls"] == {"write": "posix-io"}
    assert "posix-time" not in {lib["name"] for lib in plan["libraries"]}  # only the stubbed/faked needed it
    assert plan["stubbed"] == {"nanosleep": "stubbed: scenario a still passed"}
    assert plan["faked"] == {"clock_gettime": "faked: scenarios a, b still passed"}  # a needed call is never faked
    text = explain(plan)
    assert "1 syscall handlers, 1 faked (return 0), 1 stubbed (ENOSYS)" in text
    assert "  nanosleep        stubbed: scenario a still passed" in text.splitlines()


def test_version_2_plan_reads_as_nothing_stubbed_or_faked(pool):
    from unicore.controller.planfile import check_plan
    plan = make_plan(["write"], pool=pool)
    old = {k: v for k, v in plan.items() if k not in ("stubbed", "faked")} | {"version": 2}
    assert check_plan(old) == plan
    with pytest.raises(BadInputError, match="plan version 1 is not one of 2, 3; rebuild the image"):
        check_plan(old | {"version": 1})
def test_missing_calls_ranked_traced_first(pool):
    """The warning names the calls the traced run made first, most frequent first, with counts;
    the ones only the static analysis reaches, and those programs go on without (rseq), follow in
    one line."""
    lines = []
    make_plan(["swapon", "reboot", "pivot_root", "write", "acct", "rseq"], pool=pool, warn=lines.append,
              seen={"reboot": 12, "pivot_root": 3, "write": 40, "rseq": 1})
    assert lines == [
        "warning: no library provides 2 call(s) the program made when traced, likely to matter "
        "(ENOSYS at run time): reboot (12x), pivot_root (3x)",
        "warning: no library provides 3 more call(s) the static analysis finds reachable or programs go on "
        "without (ENOSYS if reached): acct, rseq, swapon"]


def test_missing_calls_without_a_trace_are_one_line(pool):
    lines = []
    make_plan(["swapon", "acct"], pool=pool, warn=lines.append)
    assert lines == ["warning: no library provides 2 call(s) the static analysis finds reachable or programs go on "
                     "without (ENOSYS if reached): acct, swapon"]


def test_with_a_library_the_target_lacks_is_refused_naming_it():
    """--with is the user's explicit choice: a target the library does not support is refused
    with one line naming it (9pfs is QEMU's virtio transport only)."""
    from unicore.controller.plan import check_requested
    check_requested(["9pfs"], "qemu/x86_64")
    with pytest.raises(BadInputError, match=r"^--with 9pfs: 9pfs does not support spt/x86_64 \(platforms: qemu;"):
        check_requested(["9pfs"], "spt/x86_64")
