"""Servers as unmodified Debian binaries (`unicore build --binary` with a scenario), answering
requests from the host through `unicore run -p`; their replies equal those of the same server
run natively: status line, headers except dated ones (Date, Last-Modified), body."""

import subprocess
import sys
from pathlib import Path

import pytest
from netguest import Guest, comparable, free_port, http_get

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).parents[2] / "examples"


def _build_binary(tmp_path: Path, exe: str, example: str, *extra: str) -> Path:
    image = tmp_path / f"{Path(exe).name}.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", "--binary", exe, *extra,
                           "-o", str(image), "--build-dir", str(tmp_path / "build"), "--explain"],
                          capture_output=True, text=True, cwd=EXAMPLES / example, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "net              provides" in proc.stdout
    return image


def _native(cmd: list[str], port: int, paths: list[str], cwd: Path) -> list[tuple]:
    server = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        return [comparable(http_get(port, p)) for p in paths]
    finally:
        server.terminate()
        server.wait(10)


def test_python_http_server_equals_native(tmp_path):
    example = EXAMPLES / "http-server"
    image = _build_binary(tmp_path, "/usr/bin/python3", "http-server", "--scenario", "http.toml",
                          "--rootfs", "rootfs")
    paths = ["/index.html", "/docs/", "/docs/a.txt", "/missing"]
    port = free_port()
    want = _native(["/usr/bin/python3", "-m", "http.server", "-b", "127.0.0.1", "-d", "rootfs/www", str(port)],
                   port, paths, example)
    assert [w[0] for w in want] == ["HTTP/1.0 200 OK"] * 3 + ["HTTP/1.0 404 File not found"]
    host = free_port()
    with Guest(image, ["-m", "http.server", "-b", "0.0.0.0", "-d", "/www", "8000"], [f"{host}:8000"]) as g:
        try:
            got = [comparable(http_get(host, p, timeout=240)) for p in paths]
        except AssertionError as exc:
            g.proc.terminate()
            raise AssertionError(f"{exc}; guest: {g.proc.communicate(timeout=30)[1][-2000:]!r}") from None
    assert got == want


def _has_epoll() -> bool:
    from unicore.pool.manifest import load_pool
    return any("epoll_wait" in lib.provides_syscalls for lib in load_pool().values())


needs_epoll = pytest.mark.skipif(not _has_epoll(), reason="nginx and redis run on epoll, which no pool library "
                                                          "provides yet (issue 12)")


@needs_epoll
def test_nginx_equals_native(tmp_path):
    example = EXAMPLES / "nginx"
    image = _build_binary(tmp_path, "/usr/sbin/nginx", "nginx", "--scenario", "nginx.toml", "--rootfs", "rootfs")
    paths = ["/", "/a.txt", "/missing"]
    want = _native(["/usr/sbin/nginx", "-p", "rootfs/srv/", "-c", "nginx.conf"], 8080, paths, example)
    assert [w[0] for w in want] == ["HTTP/1.1 200 OK"] * 2 + ["HTTP/1.1 404 Not Found"]
    host = free_port()
    with Guest(image, ["-p", "/srv/", "-c", "nginx.conf"], [f"{host}:8080"]):
        got = [comparable(http_get(host, p, timeout=240)) for p in paths]
    assert got == want


REDIS_COMMANDS = [["SET", "greeting", "hello"], ["GET", "greeting"], ["INCR", "n"], ["INCR", "n"],
                  ["RPUSH", "l", "a", "b", "c"], ["LRANGE", "l", "0", "-1"], ["DEL", "greeting"],
                  ["GET", "greeting"], ["PING"]]


def _redis_answers(port: int) -> list[str]:
    import time
    deadline = time.monotonic() + 120
    while subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True).stdout != "PONG\n":
        assert time.monotonic() < deadline, "redis never answered PING"
        time.sleep(0.5)
    return [subprocess.run(["redis-cli", "-p", str(port), *c], capture_output=True, text=True, timeout=60).stdout
            for c in REDIS_COMMANDS]


@needs_epoll
def test_redis_answers_redis_cli_like_native(tmp_path):
    image = _build_binary(tmp_path, "/usr/bin/redis-server", "redis", "--scenario", "redis.toml")
    args = ["--bind", "0.0.0.0", "--save", "", "--appendonly", "no", "--protected-mode", "no"]
    port = free_port()
    native = subprocess.Popen(["/usr/bin/redis-server", "--port", str(port), *args], stdout=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        want = _redis_answers(port)
    finally:
        native.terminate()
        native.wait(10)
    assert want[:2] == ["OK\n", "hello\n"]
    host = free_port()
    with Guest(image, ["--port", "6379", *args], [f"{host}:6379"]):
        assert _redis_answers(host) == want


class _HostHttpServer:
    """`python3 -m http.server` on the host's 127.0.0.1 (the guest reaches it at 10.0.2.2)."""

    def __init__(self, root: Path):
        import socket as _socket
        with _socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", "-b", "127.0.0.1", "-d", str(root),
                                      str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        http_get(self.port, "/")  # waits until it answers

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _run_guest(image: Path, args: list[str], timeout: float = 240) -> tuple[int, bytes]:
    """`unicore run IMAGE -- ARGS` to its end: (status, stdout); stopped (with its QEMU) on a timeout."""
    import os
    import signal
    proc = subprocess.Popen([sys.executable, "-m", "unicore", "run", str(image), "--accel", "tcg", "--timeout",
                             str(timeout), "--", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out = proc.communicate(timeout=timeout + 30)[0]
        return proc.returncode, out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_curl_fetches_from_a_host_server_like_native(tmp_path):
    """Debian's curl, unmodified, as a client: `--with net` (its analysis run fetched nothing),
    fetching a 400 KB file and a missing one from a host server; status, headers without dates
    and body equal native curl's."""
    import os
    root = tmp_path / "www"
    root.mkdir()
    (root / "big.txt").write_bytes(os.urandom(300000).hex().encode())
    image = tmp_path / "curl.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", "--binary", "/usr/bin/curl", "--with", "net",
                           "-o", str(image), "--build-dir", str(tmp_path / "build")],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    server = _HostHttpServer(root)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    try:
        for path in ["/big.txt", "/missing"]:
            native = subprocess.run(["curl", "-si", f"http://127.0.0.1:{server.port}{path}"], capture_output=True,
                                    env=env, timeout=60).stdout
            status, got = _run_guest(image, ["-si", f"http://10.0.2.2:{server.port}{path}"])
            assert status == 0
            assert comparable(got) == comparable(native)
        assert comparable(native)[0] == "HTTP/1.0 404 File not found"
    finally:
        server.close()


MEMCACHED_ARGS = ["-U", "0", "-t", "1", "-u", "root", "-m", "16"]
MEMCACHED_SESSION = (b"set greeting 0 0 5\r\nhello\r\nget greeting\r\nincr n 1\r\nset n 0 0 1\r\n1\r\nincr n 41\r\n"
                     b"append greeting 0 0 6\r\n world\r\ngets greeting\r\ndelete greeting\r\nget greeting\r\n"
                     b"version\r\nquit\r\n")


def _memcached_session(port: int) -> bytes:
    import socket
    import time
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(MEMCACHED_SESSION)
                reply = b"".join(iter(lambda: s.recv(65536), b""))
            if reply:
                return reply
        except OSError:
            pass
        assert time.monotonic() < deadline, "memcached never answered"
        time.sleep(0.5)


def test_memcached_answers_like_native(tmp_path):
    image = _build_binary(tmp_path, "/usr/bin/memcached", "memcached", "--scenario", "memcached.toml")
    port = free_port()
    native = subprocess.Popen(["/usr/bin/memcached", "-p", str(port), "-l", "127.0.0.1", *MEMCACHED_ARGS],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        want = _memcached_session(port)
    finally:
        native.terminate()
        native.wait(10)
    assert want.startswith(b"STORED\r\nVALUE greeting 0 5\r\nhello\r\nEND\r\nNOT_FOUND\r\nSTORED\r\n42\r\n")
    host = free_port()
    with Guest(image, ["-p", "11211", "-l", "0.0.0.0", *MEMCACHED_ARGS], [f"{host}:11211"]):
        assert _memcached_session(host) == want
