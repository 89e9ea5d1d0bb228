"""`unicore verify`: same program, arguments and stdin natively and in the unikernel."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

PROGRAM = r'''
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    char line[256];
    long sum = 0;
    while (fgets(line, sizeof line, stdin)) sum += atol(line);
    fprintf(stderr, "warning on stderr\n");
    printf("%d args, first %s, sum %ld, FOO=%s\n", argc, argc > 1 ? argv[1] : "-", sum, getenv("FOO"));
    return (int)(sum % 200);
}
'''


def unicore(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "unicore", *args], input=stdin, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    d = tmp_path_factory.mktemp("verify")
    (d / "sum.c").write_text(PROGRAM)
    proc = unicore("build", str(d / "sum.c"), "-o", str(d / "sum.img"), "--build-dir", str(d / "b"))
    assert proc.returncode == 0, proc.stderr
    return d / "sum.img"


def test_same_behaviour_with_args_env_and_stdin(image):
    proc = unicore("verify", str(image), "-e", "FOO=bar", "--", "two words", "x", stdin=b"5\n7\n300\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # 3 args, sum 312, exit 112, a line on stderr: every part was compared
    assert proc.stdout.decode() == "same behaviour: 42 bytes of stdout, 18 bytes of stderr, exit status 112\n"


def test_a_different_program_is_reported(image):
    proc = unicore("verify", str(image), "--native", "/bin/echo", "--", "hi", stdin=b"3\n")
    assert proc.returncode == 1
    assert b"DIFFERENT exit status: native 0, unikernel 3" in proc.stdout
    assert b"DIFFERENT stdout differs: first at byte 0 (line 1): native b'hi\\n'" in proc.stdout


def test_each_stream_gets_its_own_verdict(image, tmp_path):
    """A native stand-in with the same stdout and exit status but another stderr line: only
    stderr is DIFFERENT, and the line says where."""
    native = tmp_path / "native.sh"
    native.write_text("#!/bin/sh\ncat >/dev/null\necho '1 args, first -, sum 3, FOO=(null)'\n"
                      "echo 'warning on stdout' >&2\nexit 3\n")
    native.chmod(0o755)
    proc = unicore("verify", str(image), "--native", str(native), stdin=b"3\n")
    assert proc.returncode == 1
    assert proc.stdout.decode().splitlines() == [
        "stdout:       same", "stderr:       DIFFERENT", "exit status:  same",
        "DIFFERENT stderr differs: first at byte 14 (line 1): native b'out\\n', unikernel b'err\\n'"]
