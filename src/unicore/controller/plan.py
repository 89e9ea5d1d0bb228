"""Choosing libraries: map needed syscalls to the pool libraries that provide them.

Rules, in order (docs/plan.md):
1. the target's arch and plat libraries are always chosen;
2. a syscall with one provider chooses it; with several, a provider already chosen wins,
   else the highest `priority`, then the smallest library (fewest syscalls);
3. a chosen library's `replaces` list removes the libraries it supersedes; a library whose
   `with_syscalls` names a needed syscall is chosen too (posix-signal for pipe: SIGPIPE), and a
   needed syscall's `implies` companions are needed as well (rt_sigaction: rt_sigreturn);
4. required libraries and capabilities are added, transitively;
5. a needed syscall nobody provides is reported, and the on-missing policy decides.
Syscalls the report's exploration stubbed get no handler (the table's -ENOSYS path) and faked
ones the table's shared return-0 entry; neither chooses a library (docs/plan.md).
"""

from dataclasses import dataclass, field

from unicore.controller.config import resolve_options
from unicore.controller.planfile import PLAN_SCHEMA, PLAN_VERSION, Plan, PlanLibrary, Target
from unicore.errors import BadInputError, UnicoreError
from unicore.pool.manifest import POOL_DIR, Library, load_pool, parse_manifest
from unicore import syscalls as syscall_tables

EXTERNAL_DIR = POOL_DIR / "external"

TARGETS = ("qemu/x86_64", "qemu/arm64", "spt/x86_64")  # the first is the default (docs/spt.md: spt)


@dataclass
class Selection:
    pool: dict[str, Library]
    reasons: dict[str, list[str]] = field(default_factory=dict)
    everything: dict[str, Library] = field(default_factory=dict)  # the whole pool, any target
    target: str = ""

    def refuse(self, name: str, why: str) -> None:
        """`name` exists but does not support this target: say so, naming it (never a silent drop)."""
        lib = self.everything.get(name)
        if lib is None:
            return
        raise BadInputError(f"library {name} ({why}) does not support target {self.target}: "
                            f"its support.arch is {', '.join(lib.arch) or 'any'}, "
                            f"support.plat {', '.join(lib.plat) or 'any'}")

    def add(self, name: str, reason: str) -> bool:
        """Choose `name` (if new) and record why; True when it was new."""
        new = name not in self.reasons
        self.reasons.setdefault(name, [])
        if reason not in self.reasons[name]:
            self.reasons[name].append(reason)
        return new


def parse_targets(spec: str) -> list[str]:
    """`--target`: one target, a comma-separated list, or `all` (every target, default first)."""
    if spec == "all":
        return list(TARGETS)
    targets = [t.strip() for t in spec.split(",") if t.strip()]
    for t in targets:
        parse_target(t)
    if not targets or len(set(targets)) != len(targets):
        raise BadInputError(f"--target {spec!r}: give one target, a list without repeats, or all; valid: {', '.join(TARGETS)}")
    return targets


def parse_target(target: str) -> tuple[str, str]:
    if target not in TARGETS:
        raise BadInputError(f"unknown target {target!r}; valid targets: {', '.join(TARGETS)}")
    plat, arch = target.split("/")
    return plat, arch


def _usable(pool: dict[str, Library], plat: str, arch: str) -> dict[str, Library]:
    return {n: lib for n, lib in pool.items() if lib.kind != "external" and lib.supports(arch, plat)}


def check_requested(names: list[str], target: str, pool: dict[str, Library] | None = None) -> None:
    """Libraries the user named on the command line (--with) must support the target: one that
    does not is refused, naming it and its targets (a project's `with` list, written for several
    targets, only warns in make_plan)."""
    plat, arch = parse_target(target)
    full = pool or load_pool()
    for name in names:
        lib = full.get(name)
        if lib is not None and not lib.supports(arch, plat):
            plats, arches = ", ".join(lib.plat) or "every platform", ", ".join(lib.arch) or "every architecture"
            raise BadInputError(f"--with {name}: {name} does not support {target} (platforms: {plats}; "
                                f"architectures: {arches})")


def _one_of_kind(pool: dict[str, Library], kind: str, value: str) -> Library:
    libs = [lib for lib in pool.values() if lib.kind == kind]
    if len(libs) != 1:
        raise UnicoreError(f"the pool has {len(libs)} {kind} libraries for {value}, expected one")
    return libs[0]


def _pick(candidates: list[Library], chosen: dict[str, list[str]]) -> Library:
    already = [c for c in candidates if c.name in chosen]
    if already:
        return already[0]
    return sorted(candidates, key=lambda c: (-c.raw.get("priority", 0), len(c.provides_syscalls), c.name))[0]


def _choose_for_syscalls(sel: Selection, needs: list[str]) -> list[str]:
    providers = {s: [lib for lib in sel.pool.values() if s in lib.provides_syscalls] for s in needs}
    missing = sorted(s for s, libs in providers.items() if not libs)
    by_count = sorted((s for s in needs if providers[s]), key=lambda s: (len(providers[s]), s))
    for syscall in by_count:
        sel.add(_pick(providers[syscall], sel.reasons).name, f"provides {syscall}")
    return missing


def _with_implied(pool: dict[str, Library], needs: list[str]) -> list[str]:
    """A needed syscall's companions (manifest `implies`: a signal handler returns through
    rt_sigreturn, which the analysis may not see in the libc's restorer)."""
    implied = {extra for lib in pool.values() for syscall, extras in lib.raw.get("implies", {}).items()
               if syscall in needs for extra in extras}
    return sorted(set(needs) | implied)


def _choose_with_syscalls(sel: Selection, needs: list[str]) -> None:
    """Libraries that act on what a syscall does without providing it (manifest `with_syscalls`:
    posix-signal for pipe, whose write to a closed pipe raises SIGPIPE)."""
    for lib in sel.pool.values():
        for syscall in lib.raw.get("with_syscalls", []):
            if syscall in needs:
                sel.add(lib.name, f"acts on {syscall}")


def _elsewhere(full: dict[str, Library], want: str) -> list[Library]:
    """The pool's libraries named `want` or providing it, whatever their targets."""
    return [lib for lib in full.values() if lib.name == want or want in lib.provides_caps]


def _same_capability(sel: Selection, other: list[Library]) -> Library | None:
    """A library of this target providing a capability that the wanted library of another
    target provides (so `--with 9pfs` means host volumes on every target)."""
    caps = {cap for lib in other for cap in lib.provides_caps}
    providers = [lib for lib in sel.pool.values() if caps & set(lib.provides_caps)]
    return _pick(providers, sel.reasons) if providers else None


def _choose_extra(sel: Selection, extra: dict[str, str], full: dict[str, Library], target: str, warn) -> None:
    """Libraries or capabilities the build asks for beyond the syscalls, each with its reason. One
    the pool has only for other targets stands for a library of this target with the same
    capability (9pfs, host volumes over virtio, is hostfs on spt), else is left out with a
    warning naming them."""
    for want, reason in extra.items():
        if want in sel.pool:
            sel.add(want, reason)
            continue
        other = [lib for lib in _elsewhere(full, want) if lib.name not in sel.pool]
        here = _same_capability(sel, other)
        if here:  # 9pfs on qemu is hostfs on spt: both give host-volumes
            sel.add(here.name, f"{reason} (for {want}: {', '.join(sorted(set(here.provides_caps)))})")
            continue
        if other and not any(want in lib.provides_caps for lib in sel.pool.values()):
            plats = sorted({p for lib in other for p in lib.plat})
            warn(f"warning: {want} ({reason}) is not available for {target}: {', '.join(l.name for l in other)} "
                 f"supports {', '.join(plats) or 'other architectures'} only; left out")
            continue
        providers = [lib for lib in sel.pool.values() if want in lib.provides_caps]
        if not providers:
            known = ", ".join(sorted(sel.pool))
            raise BadInputError(f"no library or capability {want!r} for this target; libraries: {known}")
        sel.add(_pick(providers, sel.reasons).name, reason)


def _apply_replaces(sel: Selection) -> None:
    for name in list(sel.reasons):
        for victim in sel.pool[name].raw.get("replaces", []):
            if victim in sel.reasons:
                del sel.reasons[victim]
                sel.add(name, f"replaces {victim}")


def _settle(sel: Selection) -> None:
    """Apply `replaces` and close requirements until neither changes the selection."""
    while True:
        before = set(sel.reasons)
        _apply_replaces(sel)
        _close_requirements(sel)
        if set(sel.reasons) == before:
            return


def _replaced(sel: Selection) -> set[str]:
    return {victim for name in sel.reasons for victim in sel.pool[name].raw.get("replaces", [])}


def _close_requirements(sel: Selection) -> None:
    queue = list(sel.reasons)
    while queue:
        lib = sel.pool[queue.pop(0)]
        for req in lib.requires_libs:
            if req in _replaced(sel):
                continue  # the library that replaces it stands in
            if req not in sel.pool:
                sel.refuse(req, f"required by {lib.name}")
                raise UnicoreError(f"library {lib.name} requires {req!r}, which the pool lacks for this target")
            if sel.add(req, f"required by {lib.name}"):
                queue.append(req)
        for cap in lib.requires_caps:
            providers = [p for p in sel.pool.values() if cap in p.provides_caps]
            if not providers:
                raise UnicoreError(f"library {lib.name} needs capability {cap!r}, which no library provides")
            pick = _pick(providers, sel.reasons)
            if sel.add(pick.name, f"provides {cap} for {lib.name}"):
                queue.append(pick.name)


def _dependency_order(sel: Selection) -> list[str]:
    order: list[str] = []
    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in order or name in stack or name not in sel.reasons:
            return
        for req in sel.pool[name].requires_libs:
            visit(req, stack + (name,))
        order.append(name)
    for name in sorted(sel.reasons):
        visit(name, ())
    return order


def _syscall_map(sel: Selection, needs: list[str]) -> dict[str, str]:
    result = {}
    for syscall in sorted(needs):
        owners = [n for n in sel.reasons if syscall in sel.pool[n].provides_syscalls]
        if owners:
            result[syscall] = sorted(owners, key=lambda n: (n not in _direct(sel, syscall), n))[0]
    return result


def _direct(sel: Selection, syscall: str) -> list[str]:
    return [n for n, why in sel.reasons.items() if f"provides {syscall}" in why]


def make_plan(needs: list[str], target: str = "qemu/x86_64", *, on_missing: str = "warn",
              options: dict[str, str] | None = None, program: dict | None = None,
              pool: dict[str, Library] | None = None, warn=print,
              extra: dict[str, str] | None = None, stubbed: dict[str, str] | None = None,
              faked: dict[str, str] | None = None, seen: dict[str, int] | None = None) -> Plan:
    """Build the plan (docs/plan.md) for a program needing the syscalls `needs`; `stubbed` and
    `faked` (syscall -> reason) are the exploration's choices (a needed syscall is never either);
    `seen` (the dynamic analysis' name -> count) ranks the warning about calls no library handles."""
    plat, arch = parse_target(target)
    full = pool or load_pool()
    sel = Selection(_usable(full, plat, arch), everything=full, target=target)
    needs = _on_arch(needs, arch)
    sel.add(_one_of_kind(sel.pool, "arch", arch).name, f"target architecture {arch}")
    sel.add(_one_of_kind(sel.pool, "plat", plat).name, f"target platform {plat}")
    needs = _with_implied(sel.pool, needs)
    missing = _choose_for_syscalls(sel, sorted(set(needs)))
    _choose_with_syscalls(sel, needs)
    _choose_extra(sel, extra or {}, full, target, warn)
    _settle(sel)
    _report_missing(missing, on_missing, warn, seen or {})
    order = [sel.pool[n] for n in _dependency_order(sel)]
    plan = _plan(order, {n: sel.reasons[n] for n in sel.reasons}, _syscall_map(sel, needs),
                 Target(arch=arch, plat=plat), options, program,
                 missing=missing, on_missing=on_missing)
    plan["stubbed"], plan["faked"] = ({k: v for k, v in sorted((chosen or {}).items()) if k not in needs}
                                      for chosen in (stubbed, faked))
    return plan


def _plan(libs: list[Library], reasons: dict[str, list[str]], syscalls: dict[str, str], target: Target,
          options: dict[str, str] | None, program: dict | None, *, missing: list[str] = (),
          on_missing: str = "warn") -> Plan:
    entries = [PlanLibrary(name=lib.name, dir=str(lib.dir), kind=lib.kind, reasons=reasons[lib.name],
                           sources=list(lib.sources_for(target["arch"])), capabilities=sorted(lib.provides_caps),
                           **_external(lib))
               for lib in libs]
    return Plan(schema=PLAN_SCHEMA, version=PLAN_VERSION, target=target, libraries=entries,
                syscalls=syscalls, stubbed={}, faked={}, missing=list(missing), on_missing=on_missing,
                options=resolve_options(libs, options or {}), program=program or {})


def _external(lib: Library) -> dict:
    """A library built with an external source tree (net: lwIP) carries, in its plan entry, the
    external library's name, Debian source, kernel sources and include dirs (docs/plan.md)."""
    name = lib.raw.get("external")
    if not name:
        return {}
    path = EXTERNAL_DIR / name / "library.toml"
    if not path.is_file():
        raise UnicoreError(f"library {lib.name} builds with external {name!r}, which the pool lacks")
    ext = parse_manifest(path)
    kernel = ext.raw.get("kernel", {})
    return {"external": {"name": name, "sources": list(kernel.get("sources", [])),
                         "include": list(kernel.get("include", [])),
                         "port": [str(lib.dir / d) for d in lib.raw.get("external_include", [])]}}


def fixed_plan(names: list[str], syscalls: list[str] | None, target: str = "qemu/x86_64", *,
               options: dict[str, object] | None = None, program: dict | None = None,
               pool: dict[str, Library] | None = None) -> Plan:
    """A plan of exactly the libraries `names`, in that order, without the selection rules (tests
    and benchmarks of the build and the kernel); handlers for `syscalls` (None: every syscall
    they provide) that one of them provides."""
    plat, arch = parse_target(target)
    pool = pool or load_pool()
    unknown = [n for n in names if n not in pool]
    if unknown:
        raise BadInputError(f"no library {unknown[0]!r} in the pool")
    libs = [pool[n] for n in names]
    for lib in libs:
        if not lib.supports(arch, plat):
            Selection({}, everything=pool, target=target).refuse(lib.name, "listed")
    owner = {s: lib.name for lib in reversed(libs) for s in _on_arch(lib.provides_syscalls, arch)}
    wanted = owner if syscalls is None else [s for s in syscalls if s in owner]
    overrides = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (options or {}).items()}
    return _plan(libs, {n: ["listed"] for n in names}, {s: owner[s] for s in sorted(wanted)},
                 Target(arch=arch, plat=plat), overrides, program)


def _on_arch(names, arch: str) -> list[str]:
    """The syscalls of `names` the architecture has: arm64's generic table lacks open, stat, fork...
    (handlers are keyed by name; a library may provide both open and openat)."""
    known = syscall_tables.by_name(arch)
    return sorted(n for n in names if n in known)


# Calls programs make but are known to carry on without (ENOSYS is an answer they expect): made
# in a traced run, they still rank with the unlikely ones.
TOLERATED = {"rseq"}  # glibc registers restartable sequences if it can, and goes on without


def rank_missing(missing: list[str], seen: dict[str, int]) -> tuple[list[str], list[str]]:
    """(the calls the traced run made, most frequent first: likely to matter; the others, which
    only the static analysis says the code may reach or which programs go on without, sorted)."""
    made = sorted((s for s in missing if seen.get(s) and s not in TOLERATED), key=lambda s: (-seen[s], s))
    return made, sorted(set(missing) - set(made))


def _report_missing(missing: list[str], on_missing: str, warn, seen: dict[str, int]) -> None:
    if not missing:
        return
    if on_missing == "error":
        raise UnicoreError(f"no library provides {', '.join(missing)} (use --on-missing warn to build anyway; "
                           "the calls return ENOSYS)")
    made, rest = rank_missing(missing, seen)
    if made:
        counts = ", ".join(f"{s} ({seen[s]}x)" for s in made)
        warn(f"warning: no library provides {len(made)} call(s) the program made when traced, likely to "
             f"matter (ENOSYS at run time): {counts}")
    if rest:
        more = "more call(s)" if made else "call(s)"
        warn(f"warning: no library provides {len(rest)} {more} the static analysis finds reachable or "
             f"programs go on without (ENOSYS if reached): {', '.join(rest)}")


def explain(plan: dict) -> str:
    """A readable account of the plan: each library and the needs that pulled it in."""
    lines = [f"plan for {plan['target']['plat']}/{plan['target']['arch']}: "
             f"{len(plan['libraries'])} libraries, {len(plan['syscalls'])} syscall handlers"
             + (f", {len(plan['faked'])} faked (return 0), {len(plan['stubbed'])} stubbed (ENOSYS)"
                if plan["faked"] or plan["stubbed"] else "")]
    for lib in plan["libraries"]:
        lines.append(f"  {lib['name']:<16} " + "; ".join(_compact(lib["reasons"])))
    if plan["missing"]:
        lines.append(f"  missing (ENOSYS): {', '.join(plan['missing'])}")
    if plan["stubbed"] or plan["faked"]:
        lines.append("  stubbed and faked (exploration):")
    for kind in ("stubbed", "faked"):
        lines += [f"  {name:<16} {why}" for name, why in plan[kind].items()]
    return "\n".join(lines)


def _compact(reasons: list[str]) -> list[str]:
    provided = [r.removeprefix("provides ") for r in reasons if r.startswith("provides ") and " for " not in r]
    others = [r for r in reasons if r.removeprefix("provides ") not in provided]
    return ([f"provides {', '.join(provided)}"] if provided else []) + others
