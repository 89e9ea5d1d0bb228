"""Capstone disassembly for the static analysis: a fast scan of each function, and register backtracking.

`scan` sweeps one function linearly with `disasm_lite` (no operand detail: an order of magnitude
faster) and keeps only what the call graph needs: direct call/jump targets, rip-relative or
adrp-based addresses and immediate addresses (references), and syscall sites.

`backtrack` answers "what value does register R hold at instruction i?" by walking backwards
through the function's instructions: immediate loads, register-to-register moves, zeroing idioms,
into every predecessor (fall-through and in-function branches). The answer is a set of constant
values, a set of parameter indices (the value came in as argument k: a syscall wrapper), and
an `unknown` flag when some path loads it from memory or computes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import capstone

X86_ARGS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")
ARM_ARGS = tuple(f"x{i}" for i in range(8))
X86_CALLER_SAVED = {"rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"}
ARM_CALL_CLOBBERED = {f"x{i}" for i in range(19)} | {"x30"}
X86_UNCOND = {"jmp", "ret", "hlt", "ud2", "int3"}
ARM_UNCOND = {"b", "br", "ret", "brk", "hlt"}
X86_NO_WRITE = {"cmp", "test", "push", "bt", "nop", "prefetcht0", "prefetchnta", "clflush"}
ARM_BRANCHES = {"b", "br", "ret", "cbz", "cbnz", "tbz", "tbnz"}
ARM_NO_WRITE = {"cmp", "cmn", "tst", "ccmp", "ccmn", "fcmp", "fccmp", "prfm", "nop", "hint", "dmb", "dsb",
                "isb", "msr"}
# atomics that write their second operand (the old value): ldadd, swp, ...
ARM_ATOMIC_OLD = ("swp", "ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin")


def _x86_regs() -> dict[str, tuple[str, int]]:
    """Register name -> (64-bit canonical name, width in bits)."""
    out: dict[str, tuple[str, int]] = {}
    for r in "abcd":
        out.update({f"r{r}x": (f"r{r}x", 64), f"e{r}x": (f"r{r}x", 32), f"{r}x": (f"r{r}x", 16),
                    f"{r}l": (f"r{r}x", 8), f"{r}h": (f"r{r}x", 8)})
    for r in ("si", "di", "bp", "sp"):
        out.update({f"r{r}": (f"r{r}", 64), f"e{r}": (f"r{r}", 32), r: (f"r{r}", 16), f"{r}l": (f"r{r}", 8)})
    for n in range(8, 16):
        out.update({f"r{n}": (f"r{n}", 64), f"r{n}d": (f"r{n}", 32), f"r{n}w": (f"r{n}", 16),
                    f"r{n}b": (f"r{n}", 8)})
    return out


X86_REGS = _x86_regs()


def _arm_reg(name: str) -> str | None:
    if len(name) >= 2 and name[0] in "xw" and name[1:].isdigit():
        return "x" + name[1:]
    return None


def make_cs(arch: str) -> capstone.Cs:
    if arch == "x86_64":
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    else:
        md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    md.detail = False
    md.skipdata = False
    return md


def sweep(md: capstone.Cs, code: bytes, start: int):
    """(address, size, mnemonic, operands) of a linear sweep, skipping undecodable bytes."""
    pos = 0
    step = 4 if md.arch == capstone.CS_ARCH_ARM64 else 1
    while pos < len(code):
        for insn in md.disasm_lite(code[pos:] if pos else code, start + pos):
            yield insn
            pos = insn[0] + insn[1] - start
        if pos < len(code):
            pos += step  # an undecodable byte (data in code): resynchronise after it


@dataclass
class Scan:
    """What one function's sweep found."""

    calls: list[tuple[int, int]] = field(default_factory=list)  # (insn address, target) direct call/jmp
    refs: list[int] = field(default_factory=list)  # addresses loaded or referenced (not direct branches)
    sites: list[int] = field(default_factory=list)  # syscall / svc #0 instructions
    falls_through: bool = False  # the last instruction can continue into the next function
    called: list[int] = field(default_factory=list)  # call targets: function starts of stripped code
    legacy: list[int] = field(default_factory=list)  # x86 `int 0x80` / `sysenter` (i386 numbering)


def _rip_target(ops: str, next_addr: int) -> int:
    """The address of a rip-relative operand ("[rip + 0x10]", "[rip - 0x8]", "[rip]")."""
    i = ops.find("[rip")
    if i < 0 or ops[i + 4] == "]":
        return next_addr
    j = ops.find("]", i)
    disp = int(ops[i + 7:j], 16)
    return next_addr + disp if ops[i + 5] == "+" else next_addr - disp


def scan_x86(md, code: bytes, start: int, end: int, absolute: bool) -> Scan:
    """Sweep [start, end); `absolute`: the object is position-dependent (immediates can be addresses)."""
    s = Scan()
    pos, last = 0, ""
    while pos < len(code):
        pos, last = _x86_run(md, code, pos, start, end, absolute, s, last)
        if pos < len(code):
            pos += 1  # disasm_lite stopped at an undecodable byte: resume after it
    s.falls_through = bool(last) and last not in X86_UNCOND and last != "call"
    return s


def _x86_run(md, code: bytes, pos: int, start: int, end: int, absolute: bool, s: Scan,
             last: str) -> tuple[int, str]:
    """One disasm_lite run from offset `pos` (the hot loop: kept flat on purpose)."""
    nxt = start + pos
    for a, size, m, o in md.disasm_lite(code[pos:] if pos else code, nxt):
        nxt = a + size
        if " " in m:
            m = m.rsplit(" ", 1)[1]  # bnd/notrack/rep/lock prefixes
        if m[0] == "j" or m == "call":
            if o[:2] == "0x":
                t = int(o, 16)
                if not start <= t < end or m == "call":
                    s.calls.append((a, t))
                if m == "call":
                    s.called.append(t)
            elif "rip" in o:
                s.refs.append(_rip_target(o, nxt))
        elif m == "syscall":
            s.sites.append(a)
        elif (m == "int" and o == "0x80") or m == "sysenter":
            s.legacy.append(a)  # the 32-bit ABI: other numbers, never resolved here
        else:
            if "rip" in o:
                s.refs.append(_rip_target(o, nxt))
            if absolute and (m == "mov" or m == "push" or m == "movabs"):
                imm = o.rsplit(", ", 1)[-1]  # also `mov qword ptr [rip + x], 0x401136`
                if imm[:2] == "0x":
                    s.refs.append(int(imm, 16))
        if m != "nop" and m != "int3":
            last = m
    return nxt - start, last


def scan_arm(md, code: bytes, start: int, end: int, absolute: bool) -> Scan:
    """Sweep an aarch64 function; adrp pages are paired with the following add/ldr offset."""
    s = Scan()
    pages: dict[str, int] = {}
    last = ""
    for a, _size, m, o in sweep(md, code, start):
        ops = o.split(", ")
        if m in ("bl", "b") or m.startswith(("b.", "cbz", "cbnz", "tbz", "tbnz")):
            if ops[-1][:1] == "#":
                t = int(ops[-1][1:], 16)
                if not start <= t < end or m == "bl":
                    s.calls.append((a, t))
                if m == "bl":
                    s.called.append(t)
        elif m == "svc" and o == "#0":
            s.sites.append(a)
        elif m == "adrp":
            pages[ops[0]] = int(ops[1][1:], 16)
        elif (m == "adr" or m == "ldr") and len(ops) == 2 and ops[1][:1] == "#":  # pc-relative literal
            lit = int(ops[1][1:], 16)
            s.refs.append(lit)
            if m == "ldr" and ops[0][:1] == "x" and start <= lit <= end - 8:  # a literal-pool pointer
                s.refs.append(int.from_bytes(code[lit - start:lit - start + 8], "little"))
        elif ops and ops[-1] != "" and len(ops) >= 2:
            _arm_page_ref(m, ops, pages, s)
        if m != "nop":
            last = m
    s.falls_through = bool(last) and last not in ARM_UNCOND and last != "bl"
    return s


def _arm_page_ref(m: str, ops: list[str], pages: dict[str, int], s: Scan) -> None:
    if m == "add" and len(ops) == 3 and ops[1] in pages and ops[2][:1] == "#":
        s.refs.append(pages[ops[1]] + int(ops[2][1:], 16))
    elif m.startswith("ldr") and len(ops) >= 2 and ops[1][:1] == "[":
        base = ops[1].strip("[]!")
        off = ops[2].rstrip("]!") if len(ops) > 2 else "#0"
        if base in pages and off[:1] == "#":
            s.refs.append(pages[base] + int(off[1:], 16))
    if ops[0] in pages:
        del pages[ops[0]]


# --- backtracking ------------------------------------------------------------------------------

@dataclass
class Value:
    """Possible values of a register at one point: constants, incoming parameters, or unknown."""

    values: set[int] = field(default_factory=set)
    params: set[int] = field(default_factory=set)
    unknown: bool = False


class Function:
    """A decoded function with its in-function control flow, for backtracking."""

    def __init__(self, arch: str, md, code: bytes, start: int, end: int):
        self.arch = arch
        self.insns = [(a, m.rsplit(" ", 1)[-1], o) for a, _s, m, o in sweep(md, code, start)]
        self.index = {a: i for i, (a, _m, _o) in enumerate(self.insns)}
        uncond = X86_UNCOND if arch == "x86_64" else ARM_UNCOND
        self.branch_preds: dict[int, list[int]] = {}
        self.no_fall = [m in uncond for _a, m, _o in self.insns]
        for i, (_a, m, o) in enumerate(self.insns):
            target = _branch_target(arch, m, o)
            if target is not None and target in self.index:
                self.branch_preds.setdefault(self.index[target], []).append(i)

    def preds(self, i: int) -> list[int]:
        """Instruction indices control can come from into `i`; -1 stands for the function entry."""
        out = list(self.branch_preds.get(i, ()))
        if i == 0:
            out.append(-1)
        elif not self.no_fall[i - 1] and not self._after_noreturn(i):
            out.append(i - 1)
        return out

    def _after_noreturn(self, i: int) -> bool:
        """Padding right after a call: the call does not return (abort, __stack_chk_fail...)."""
        return self.insns[i][1] in ("nop", "int3") and self.insns[i - 1][1] in ("call", "bl")

    def value_at(self, i: int, reg: str, budget: int = 4000) -> Value:
        """The possible values of `reg` when control reaches instruction `i` (a backwards
        worklist over (instruction, register) states; a revisited state adds nothing)."""
        out = Value()
        seen: set[tuple[int | None, str]] = set()
        work = self._edges(i, reg, out) if self.preds(i) else [(None, reg)]
        while work:
            state = work.pop()
            budget -= 1
            if state[0] is None or budget < 0:
                out.unknown = True
            elif state not in seen:
                seen.add(state)
                work += self._back(state[0], state[1], out)
        return out

    def _back(self, j: int, r: str, out: Value) -> list[tuple[int | None, str]]:
        """Apply instruction `j` (or the entry, -1) to the tracked register `r`; the next states."""
        if j == -1:
            args = X86_ARGS if self.arch == "x86_64" else ARM_ARGS
            if r in args:
                out.params.add(args.index(r))
            else:
                out.unknown = True
            return []
        step = _x86_effect if self.arch == "x86_64" else _arm_effect
        kind, val = step(self.insns[j][1], self.insns[j][2], r)
        if kind == "value":
            out.values.add(val)
            return []
        if kind == "unknown":
            out.unknown = True
            return []
        nxt = val if kind == "reg" else r
        if not self.preds(j):
            # entered from outside the function: unknown; dead padding contributes nothing
            return [] if self.insns[j][1] in ("nop", "int3") else [(None, nxt)]
        return self._edges(j, nxt, out)

    def _edges(self, k: int, r: str, out: Value) -> list[tuple[int | None, str]]:
        """States for the predecessors of `k`; an edge whose branch condition fixes `r` (taken
        `je` after `test r, r` or `cmp r, imm`) yields that constant instead of walking on."""
        states = []
        for p in self.preds(k):
            known = self._edge_constant(p, k, r) if self.arch == "x86_64" else None
            if known is None:
                states.append((p, r))
            else:
                out.values.add(known)
        return states

    def _edge_constant(self, p: int, k: int, r: str) -> int | None:
        if p < 1:
            return None
        m, o = self.insns[p][1], self.insns[p][2]
        target = _branch_target(self.arch, m, o)
        taken = target == self.insns[k][0] and k != p + 1
        equal = (taken and m in ("je", "jz")) or (not taken and k == p + 1 and m in ("jne", "jnz"))
        if not equal:
            return None
        return _equality(self.insns[p - 1][1], self.insns[p - 1][2], r)


def _equality(m: str, o: str, reg: str) -> int | None:
    """The value `reg` must hold when the flags of `m o` say "equal" (test r,r / cmp r,imm)."""
    ops = [x.strip() for x in o.split(",")]
    if len(ops) != 2 or X86_REGS.get(ops[0], ("", 0))[0] != reg:
        return None
    if m == "test" and ops[0] == ops[1]:
        return 0
    if m == "cmp":
        return _imm(ops[1])
    return None


def _branch_target(arch: str, m: str, o: str) -> int | None:
    if arch == "x86_64":
        if (m[0] == "j" or m == "call") and o[:2] == "0x":
            return int(o, 16)
        return None
    if m == "b" or m.startswith(("b.", "cbz", "cbnz", "tbz", "tbnz")):
        last = o.rsplit(", ", 1)[-1]
        return int(last[1:], 16) if last[:1] == "#" else None
    return None


def _imm(text: str) -> int | None:
    text = text.lstrip("#")
    try:
        return int(text, 0) & 0xFFFFFFFFFFFFFFFF
    except ValueError:
        return None


X86_IMPLICIT = {
    "syscall": {"rax", "rcx", "r11"}, "cpuid": {"rax", "rbx", "rcx", "rdx"}, "rdtsc": {"rax", "rdx"},
    "rdtscp": {"rax", "rdx", "rcx"}, "cqo": {"rdx"}, "cdq": {"rdx"}, "mul": {"rax", "rdx"},
    "div": {"rax", "rdx"}, "idiv": {"rax", "rdx"}, "cmpxchg": {"rax"}, "xgetbv": {"rax", "rdx"},
    "leave": {"rbp", "rsp"}, "lahf": {"rax"}, "xlatb": {"rax"}, "rdpkru": {"rax", "rdx"},
    "cmpxchg8b": {"rax", "rdx"}, "cmpxchg16b": {"rax", "rdx"}, "loop": {"rcx"}, "loope": {"rcx"},
    "loopne": {"rcx"},
}


def _x86_effect(m: str, o: str, reg: str) -> tuple[str, object]:
    """Effect of one instruction on `reg`: ("skip"|"value"|"reg"|"unknown", detail)."""
    if m == "call":
        return ("unknown", None) if reg in X86_CALLER_SAVED else ("skip", None)
    if reg in X86_IMPLICIT.get(m, ()):
        return "unknown", None
    if m[:4] in ("movs", "stos", "lods", "scas", "cmps") and m not in ("movsx", "movsxd", "movss", "movsd"):
        return ("unknown", None) if reg in ("rsi", "rdi", "rcx", "rax") else ("skip", None)
    ops = o.split(", ")
    dst = X86_REGS.get(ops[0])
    if m == "xchg" and len(ops) == 2:
        return _x86_xchg(ops, reg)
    if m == "xadd" and len(ops) == 2 and X86_REGS.get(ops[1], ("",))[0] == reg:
        return "unknown", None  # xadd also writes the old value into its source
    if dst is None or dst[0] != reg or m in X86_NO_WRITE:
        if m == "imul" and len(ops) == 1 and reg in ("rax", "rdx"):
            return "unknown", None
        return "skip", None
    if dst[1] < 32:
        return "unknown", None  # a partial write: not tracked
    return _x86_write(m, ops, dst[1])


def _x86_xchg(ops: list[str], reg: str) -> tuple[str, object]:
    a, b = X86_REGS.get(ops[0]), X86_REGS.get(ops[1])
    if a and a[0] == reg:
        return ("reg", b[0]) if b else ("unknown", None)
    if b and b[0] == reg:
        return ("reg", a[0]) if a else ("unknown", None)
    return "skip", None


def _x86_write(m: str, ops: list[str], width: int) -> tuple[str, object]:
    if len(ops) == 2 and m in ("mov", "movabs", "movsxd", "movsx", "movzx"):
        src = X86_REGS.get(ops[1])
        if src is not None:
            return ("reg", src[0]) if src[1] >= 32 or m != "mov" else ("unknown", None)
        imm = _imm(ops[1])
        if imm is not None and m in ("mov", "movabs"):
            return "value", imm & (0xFFFFFFFF if width == 32 else 0xFFFFFFFFFFFFFFFF)
        return "unknown", None
    if m in ("xor", "sub") and len(ops) == 2 and ops[0] == ops[1]:
        return "value", 0
    if m == "cdqe":
        return "skip", None
    return "unknown", None


def _arm_written(m: str, ops: list[str]) -> list[str | None]:
    """General registers an aarch64 instruction writes (besides calls and svc)."""
    if m in ARM_BRANCHES or m.startswith("b.") or m in ARM_NO_WRITE:
        return []
    if m.startswith("st"):  # stores write nothing, except the status of store-exclusives
        return [_arm_reg(ops[0])] if m.startswith(("stx", "stlx")) else []
    if m.startswith(ARM_ATOMIC_OLD) and len(ops) > 1:
        return [_arm_reg(ops[1])]
    if m.startswith(("ldp", "ldnp", "ldxp", "ldaxp")) and len(ops) > 1:
        return [_arm_reg(ops[0]), _arm_reg(ops[1])]
    return [_arm_reg(ops[0])] if ops else []


def _arm_effect(m: str, o: str, reg: str) -> tuple[str, object]:
    if m in ("bl", "blr"):
        return ("unknown", None) if reg in ARM_CALL_CLOBBERED else ("skip", None)
    if m == "svc":
        return ("unknown", None) if reg == "x0" else ("skip", None)
    ops = o.split(", ")
    if reg not in _arm_written(m, ops):
        return "skip", None
    if m in ("mov", "movz") and len(ops) == 2:
        src = _arm_reg(ops[1])
        if src:
            return "reg", src
        imm = _imm(ops[1])
        return ("value", imm) if imm is not None else ("unknown", None)
    if m == "orr" and len(ops) == 3 and ops[1] in ("xzr", "wzr") and _imm(ops[2]) is not None:
        return "value", _imm(ops[2])
    return "unknown", None
