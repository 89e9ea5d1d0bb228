"""Networking end to end: a C program of our own (programs/nettool.c) built with `unicore build`
(the analysis picks the net library for its socket calls) and run with `unicore run -p`: TCP echo
with the guest as server and as client, UDP echo, 100 concurrent connections with every byte
checked, a bulk transfer with its CRC-32, connection refused, resets (equal to native), non-blocking connect
with poll, SO_ERROR, FIONREAD and MSG_PEEK. Every guest is a child process stopped on exit."""

import os
import selectors
import socket
import struct
import subprocess
import sys
import threading
import zlib

import pytest
from netguest import GUEST_HOST, PROGRAMS, Guest, build, connect, free_port

PORT = 7000


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    img, explain = build(tmp_path_factory.mktemp("net"))
    assert "net              provides" in explain
    return img


def _echo_roundtrip(port: int, data: bytes) -> bytes:
    s = connect(port)
    got = bytearray()
    sel = selectors.DefaultSelector()
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    sent = 0
    while True:
        for _, ev in sel.select(60):
            if ev & selectors.EVENT_WRITE and sent < len(data):
                sent += s.send(data[sent:sent + 65536])
                if sent == len(data):
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                chunk = s.recv(65536)
                if not chunk:
                    s.close()
                    return bytes(got)
                got += chunk


def test_tcp_echo_guest_server(image):
    host = free_port()
    with Guest(image, ["echo", str(PORT), "2"], [f"{host}:{PORT}"]) as g:
        g.wait_listening()
        first, second = os.urandom(1 << 20), b"x"
        assert _echo_roundtrip(host, first) == first
        assert _echo_roundtrip(host, second) == second
        assert g.line() == f"served 2 bytes {len(first) + 1}"
        assert g.wait() == 0


class EchoServer:
    """A host TCP echo server on 127.0.0.1 (the guest reaches it at 10.0.2.2)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c: socket.socket) -> None:
        while chunk := c.recv(65536):
            c.sendall(chunk)
        c.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def echo_server():
    server = EchoServer()
    yield server
    server.close()


def test_tcp_echo_host_server_guest_client(image, echo_server):
    with Guest(image, ["client", GUEST_HOST, str(echo_server.port), "3000000"]) as g:
        assert g.line() == "echo ok 3000000"
        assert g.wait() == 0


def test_udp_echo(image):
    host = free_port(socket.SOCK_DGRAM)
    sizes = [1, 512, 1400, 1472, 4000, 9000]
    with Guest(image, ["udpecho", str(PORT), str(len(sizes))], [f"{host}:{PORT}/udp"]) as g:
        g.wait_listening()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(60)
        for size in sizes:
            data = os.urandom(size)
            s.sendto(data, ("127.0.0.1", host))
            assert s.recvfrom(65536)[0] == data
        assert g.line() == f"udp echoed {len(sizes)}"
        assert g.wait() == 0


def test_hundred_concurrent_connections(image):
    host, count, size = free_port(), 100, 20000
    with Guest(image, ["echo", str(PORT), str(count)], [f"{host}:{PORT}"]) as g:
        g.wait_listening()
        socks = [connect(host) for _ in range(count)]
        data = {s: os.urandom(size) for s in socks}
        got = {s: bytearray() for s in socks}
        sent = {s: 0 for s in socks}
        sel = selectors.DefaultSelector()
        for s in socks:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        while sel.get_map():
            events = sel.select(120)
            assert events, "no progress in 120 s"
            for key, ev in events:
                s = key.fileobj
                if ev & selectors.EVENT_WRITE and sent[s] < size:
                    sent[s] += s.send(data[s][sent[s]:])
                    if sent[s] == size:
                        s.shutdown(socket.SHUT_WR)
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    chunk = s.recv(65536)
                    if not chunk:
                        sel.unregister(s)
                        s.close()
                    got[s] += chunk
        wrong = [(i, len(got[s])) for i, s in enumerate(socks) if bytes(got[s]) != data[s]]
        served = g.line()
        assert wrong == [], f"connections whose echo differs (index, bytes received of {size}): {wrong}; {served}"
        assert served == f"served {count} bytes {count * size}"
        assert g.wait() == 0


def _transfer(image, size: int) -> None:
    host = free_port()
    with Guest(image, ["sink", str(PORT)], [f"{host}:{PORT}"], timeout=600) as g:
        g.wait_listening()
        s = connect(host)
        crc, block = 0, os.urandom(1 << 20)
        for i in range(size >> 20):
            chunk = bytes([i & 0xff]) + block[1:]
            crc = zlib.crc32(chunk, crc)
            s.sendall(chunk)
        s.close()
        assert g.line(600) == f"received {size} crc32 {crc:08x}"
        assert g.wait() == 0


def test_transfer_8mb_checksum(image):
    _transfer(image, 8 << 20)


@pytest.mark.slow
def test_transfer_50mb_checksum(image):
    _transfer(image, 50 << 20)


def test_connection_refused(image):
    closed = free_port()
    with Guest(image, ["refused", GUEST_HOST, str(closed)]) as g:
        assert g.line() == "connect ECONNREFUSED"
        assert g.wait() == 0


def test_connection_reset_equals_native(image, tmp_path):
    """Resets by SO_LINGER 0 and by closing with unread data, both ends in the guest (loopback):
    ECONNRESET once, then end of file, then EPIPE, as on Linux. (A reset from a host peer reaches
    the guest through QEMU's user network, which turns some of them into a FIN: not tested.)"""
    native = tmp_path / "nettool"
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(native), str(PROGRAMS / "nettool.c")], check=True)
    want = subprocess.run([str(native), "loopreset", str(free_port())], capture_output=True, text=True, timeout=30)
    assert want.stdout == ("linger0: recv ECONNRESET, then EOF, send EPIPE\n"
                           "unread: recv ECONNRESET, then EOF, send EPIPE\n")
    with Guest(image, ["loopreset", str(PORT)]) as g:
        assert [g.line(), g.line()] == want.stdout.splitlines()
        assert g.wait() == 0


def test_nonblocking_connect_with_poll(image, echo_server):
    closed = free_port()
    with Guest(image, ["nbconnect", GUEST_HOST, str(echo_server.port), str(closed)]) as g:
        assert [g.line(), g.line(), g.line()] == ["open 0", "fionread 5 peek hello read hello",
                                                  "closed ECONNREFUSED"]
        assert g.wait() == 0


def _native(tmp_path, *args: str) -> str:
    native = tmp_path / "nettool"
    if not native.exists():
        subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(native), str(PROGRAMS / "nettool.c")], check=True)
    return subprocess.run([str(native), *args], capture_output=True, text=True, timeout=30, check=True).stdout


def test_sendmmsg_recvmmsg_equal_native(image, tmp_path):
    """Three datagrams by one sendmmsg on loopback, one recvmmsg (MSG_WAITFORONE, room for four)
    takes them, a second (MSG_DONTWAIT) finds none: the same lines as natively."""
    want = _native(tmp_path, "mmsg", str(free_port(socket.SOCK_DGRAM)))
    assert want == "sendmmsg 3: 3 5 7\nrecvmmsg 3: one/3 three/5 fifteen/7; then EAGAIN\n"
    with Guest(image, ["mmsg", str(PORT)]) as g:
        assert [g.line(), g.line()] == want.splitlines()
        assert g.wait() == 0


def test_resolv_conf_from_dns_token(image):
    """The kernel writes /etc/resolv.conf from net.dns (the runner's: QEMU's resolver)."""
    with Guest(image, ["resolv"]) as g:
        assert g.line() == "nameserver 10.0.2.3"
        assert g.wait() == 0


def test_named_unix_sockets_equal_native(image, tmp_path):
    """Named AF_UNIX sockets inside the guest: a stream listener at a path (a socket file) and at
    an abstract name, connect/accept, names of both ends, EADDRINUSE, ECONNREFUSED after close,
    ENOENT, datagrams with their sender's name, a connected datagram socket, EPROTOTYPE, and a
    datagram socketpair: the same lines as natively."""
    want = _native(tmp_path, "unix", str(tmp_path / "u"))
    assert want.startswith("stream s: bind 0 again EADDRINUSE file socket listen 0 connect 0 ")
    with Guest(image, ["unix", "/ucunix"]) as g:
        assert [g.line() for _ in want.splitlines()] == want.splitlines()
        assert g.wait() == 0
