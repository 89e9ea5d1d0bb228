"""The spt sandbox (docs/spt.md): a program's system calls reach the unikernel, never the host;
a host call the seccomp filter does not allow kills the process; the tender refuses what it cannot run."""

import subprocess

import pytest
from kbuild import BASE_SYSCALLS, PROGRAMS

from unicore.runner import run_image
from unicore.runner.spt import tender_path

pytestmark = pytest.mark.slow
SIGSYS = 31


@pytest.mark.only_target("spt/x86_64")
def test_raw_syscalls_to_the_host_are_trapped_to_the_unikernel(make_image):
    """open(/etc/shadow), execve and ptrace from the program: the unikernel's dispatcher answers
    (the image has none of them: ENOSYS, and `debug` names each); natively, as root, open gives an
    fd and ptrace 0."""
    r = run_image(make_image("escape"), [], timeout=30, debug=True)
    assert (r.stdout, r.exit_status, r.crashed) == (b"open -38\nexecve -38\nptrace -38\n", 0, False)
    assert r.kernel == b"".join(b"unicore: syscall %s (%d) not in this image -> ENOSYS\n" % call
                                for call in ((b"open", 2), (b"execve", 59), (b"ptrace", 101)))


@pytest.mark.only_target("spt/x86_64")
def test_a_forbidden_host_call_from_the_kernels_own_code_kills_the_process(make_image):
    """The program borrows a `syscall` instruction of the kernel's code (allowed by syscall user
    dispatch) for openat: the seccomp filter kills the process before the host runs it."""
    r = run_image(make_image("escape"), ["gadget"], timeout=30)
    assert r.stdout == b"gadget found\n"
    assert (r.exit_status, r.crashed, r.signal) == (128 + SIGSYS, True, SIGSYS)


@pytest.mark.only_target("spt/x86_64")
def test_the_tender_refuses_a_qemu_image_with_one_line(tmp_path):
    from kbuild import PROGRAMS, plan_for
    from unicore.image import build_image
    from unicore.program.toolchain import compile_program
    program = compile_program([PROGRAMS / "hello.c"], tmp_path / "hello")
    image = build_image(plan_for(BASE_SYSCALLS, "hello", "qemu/x86_64"), program, tmp_path / "q.img", tmp_path / "b")
    r = subprocess.run([str(tender_path()), str(image), "--"], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (125, "")
    assert r.stderr == "unicore-spt: not an spt image (no unicore note): build it with --target spt/x86_64\n"




@pytest.mark.only_target("spt/x86_64")
@pytest.mark.parametrize("rewrite", [True, False])
def test_resolved_syscall_sites_are_rewritten_into_direct_calls(tmp_path, rewrite):
    """A build from source for spt records the sites the analysis resolved (plan
    program.syscall_sites); at load, `mov $nr, %eax; syscall` at those sites becomes a jmp to a
    stub that enters the kernel directly: musl's getppid starts with 0xe9 then, and every call
    still returns the right value. With the option off, every call is trapped instead."""
    from unicore.pipeline import BuildRequest, build
    req = BuildRequest(path=PROGRAMS / "syscall_cost.c", target="spt/x86_64", output=tmp_path / "cost.img",
                       build_dir=tmp_path / "b", options={"UK_ARCH_X86_64_LINUX_REWRITE": str(rewrite).lower()},
                       with_=[])
    result = build(req, warn=lambda _: None)
    sites = result.plan["program"]["syscall_sites"]
    assert any(nr == 110 for _, nr in sites)  # getppid's own site is among the resolved ones
    r = run_image(result.image, ["20000"], timeout=60)
    assert r.stdout == b"calls 20000 mismatches 0 getppid[0] %s\n" % (b"0xe9" if rewrite else b"0xb8")
    assert r.exit_status == 0 and r.stderr.startswith(b"ns/call ")


@pytest.mark.only_target("spt/x86_64")
def test_the_running_image_has_no_new_privs_and_a_seccomp_filter(make_image):
    """Seen from the host while the program runs: no_new_privs, seccomp in filter mode, and
    nothing but the tender's fds 0-5 open (syscall user dispatch is what the trap tests show)."""
    import os
    import time
    proc = subprocess.Popen([str(tender_path()), str(make_image("hang")), "--"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout.readline() == b"hanging\n"
        status = dict(line.split(":", 1) for line in open(f"/proc/{proc.pid}/status").read().splitlines())
        assert (status["NoNewPrivs"].strip(), status["Seccomp"].strip()) == ("1", "2")
        assert sorted(int(fd) for fd in os.listdir(f"/proc/{proc.pid}/fd")) == [0, 1, 2, 3, 4, 5]
        time.sleep(0.1)
        assert proc.poll() is None  # still running: every host call it makes is one the filter allows
    finally:
        proc.kill()
        proc.wait()
