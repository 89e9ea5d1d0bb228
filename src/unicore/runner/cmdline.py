"""The kernel command line the runner gives an image (docs/run.md): kernel tokens, `--`, then the
program's arguments, each percent-encoded. A module of its own so that the launch fast path
(launch.py) builds it without importing the rest of the runner."""

SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=+@^~!*()[]{}")


def percent_encode(token: str) -> str:
    """Encode a token for the kernel command line: space, % and anything unusual become %XX."""
    data = token.encode()
    return "".join(chr(b) if b in SAFE else f"%{b:02X}" for b in data) or ""


def kernel_cmdline(args: list[str], env: dict[str, str], debug: bool, boottime: bool,
                   argv0: str | None = None, extra: list[str] = (), workdir: str | None = None) -> str:
    """`extra`: more kernel tokens after the flags (the network's, the volumes': qemu.py);
    `workdir`: the program's working directory (`run -w`: the cwd= token, made if missing)."""
    tokens = (["debug"] if debug else []) + (["boottime"] if boottime else []) + list(extra)
    tokens += [f"argv0={argv0}"] if argv0 else []
    tokens += [f"cwd={workdir}"] if workdir else []
    tokens += [f"env={k}={v}" for k, v in env.items()]
    return " ".join([*map(percent_encode, tokens), "--", *map(percent_encode, args)])
