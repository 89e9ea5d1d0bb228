"""`unicore run -p` bad input: one clear line and a non-zero exit before anything boots (a port
out of range, a malformed spec, a host port in use, -p on an image without networking), and
the unit checks of runner/network.py (QEMU arguments, kernel tokens)."""

import socket
import subprocess
import sys

import pytest
from netguest import PROGRAMS, build

from unicore.errors import BadInputError
from unicore.runner.network import Port, parse_port, prepare_network


def _run(image, *args):
    proc = subprocess.run([sys.executable, "-m", "unicore", "run", str(image), *args, "--timeout", "30"],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stderr.strip().splitlines()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    work = tmp_path_factory.mktemp("ports")
    (work / "hello.c").write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(work / "hello.c"), "-o", str(work / "hello.img"),
                           "--build-dir", str(work / "hb"), "--explain"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "net " not in proc.stdout  # no socket calls: no network library
    return build(work)[0], work / "hello.img"


@pytest.mark.parametrize("spec, message", [
    ("70000:80", "-p 70000:80: host port 70000 is out of range (1-65535)"),
    ("8080:0", "-p 8080:0: guest port 0 is out of range (1-65535)"),
    ("80", "-p '80': expected [HOSTADDR:]HOSTPORT:GUESTPORT (e.g. 8080:80 or 0.0.0.0:8080:80)"),
])
def test_bad_port_spec_is_one_line(images, spec, message):
    status, lines = _run(images[0], "-p", spec)
    assert (status, lines) == (2, [f"unicore: {message}"]) or (status != 0 and lines[-1].endswith(message))


def test_host_port_in_use(images):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        status, lines = _run(images[0], "-p", f"{port}:80")
    assert status != 0 and len(lines) == 1 and lines[0].endswith(f"host port 127.0.0.1:{port}/tcp is already in use")


def test_publish_on_image_without_networking(images):
    status, lines = _run(images[1], "-p", "18080:80")
    assert status != 0 and len(lines) == 1 and "this image has no networking" in lines[0]


def test_parse_and_qemu_arguments():
    assert parse_port("8080:80") == Port("127.0.0.1", 8080, 80, "tcp")
    assert parse_port("0.0.0.0:5353:53/udp") == Port("0.0.0.0", 5353, 53, "udp")
    with pytest.raises(BadInputError, match="not an IP address"):
        parse_port("999.1.1.1:1:1")
    net = prepare_network([], None, True)
    assert net.tokens() == ["net.ip=10.0.2.15/24", "net.gw=10.0.2.2", "net.dns=10.0.2.3"]
    assert net.qemu_args() == ["-netdev", "user,id=uknet", "-device", "virtio-net-device,netdev=uknet"]
    assert prepare_network([], None, False) is None
