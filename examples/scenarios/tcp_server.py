"""A tiny TCP greeting/echo server, the example program for the `tcp-server` scenario.

Usage: python3 tcp_server.py PORT. It listens on 127.0.0.1:PORT, and for each client sends
`hello from unicore`, reads one line and answers `echo: LINE`. SIGTERM stops it with status 0,
so a scenario can end it after its TCP exchange (`stop = "terminate"`).
"""

import signal
import socket
import sys


def serve(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(8)
        print(f"listening on 127.0.0.1:{port}", flush=True)
        while True:
            conn, _ = server.accept()
            with conn:
                answer(conn)


def answer(conn: socket.socket) -> None:
    conn.sendall(b"hello from unicore\n")
    line = conn.makefile("rb").readline().rstrip(b"\r\n")
    conn.sendall(b"echo: " + line + b"\n")


def stop(signum, frame) -> None:
    print("stopping", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    serve(int(sys.argv[1]))
