"""A small mutational fuzzer for coverage: finds inputs that make the program use more of the OS.

`fuzz(program, args, scenarios, dynamic, count)` mutates the scenarios' stdin and arguments
`count` times (1-3 stacked mutations from a seeded random generator: byte flips, inserts and
deletions, line duplication and swaps, dictionary tokens taken from the scenarios' own inputs
and a few common options) and runs each mutant under strace like a scenario. A mutant that
reaches a syscall or an existing file no earlier run reached is kept as a new scenario (and
becomes a parent for later mutations). Why our own and not AFL++/radamsa: docs/explore.md.

Mutants are `scratch` scenarios: each run in a fresh working directory holding copies of the
files its relative arguments name (a mutant that turns `gzip -c FILE` into `gzip FILE` replaces
the copy, never the user's file; what a run does there is not a need). Arguments take tokens
only from the options list and the scenarios' own arguments, never from stdin words. Mutants
have the scenario's deadline capped and expect nothing: exploration later holds them to their
own unmodified behaviour.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from unicore.analysis.dynamic.analyze import run_scenario
from unicore.analysis.dynamic.scenario import Scenario
from unicore.errors import UnicoreError

FUZZ_TIMEOUT_S = 3.0
OPTIONS = ["-h", "--help", "--version", "-v", "-", "-n", "-a", "-0", "--", ".", "/"]
MAX_STDIN = 1 << 16


@dataclass
class FuzzScenario(Scenario):
    """A kept mutant: where it came from and how."""

    parent: str = ""
    mutations: tuple[str, ...] = ()


def fuzz(program: Path, args: list[str], scenarios: list[Scenario], dynamic: dict, count: int, *,
         seed: int = 0, jobs: int | None = None,
         progress: Callable[[int, int, str], None] | None = None) -> tuple[list[FuzzScenario], dict]:
    """Run `count` mutants; the kept ones and the `fuzz` report section."""
    rng = random.Random(seed)
    seen_calls, seen_files = set(dynamic["syscalls"]), _existing_files(dynamic)
    corpus: list[Scenario] = [_with_args(s, args) for s in scenarios] or [Scenario("default", args=list(args))]
    tokens = _dictionary(corpus)
    kept: list[FuzzScenario] = []
    findings, tried, batch = [], 0, max(1, jobs or os.cpu_count() or 1)
    while tried < count:
        mutants = [_mutant(rng, rng.choice(corpus), tokens, f"fuzz-{tried + i + 1}")
                   for i in range(min(batch, count - tried))]
        with ThreadPoolExecutor(max_workers=batch) as pool:
            outcomes = list(pool.map(lambda m: _try(program, args, m), mutants))
        for mutant, facts in zip(mutants, outcomes):
            tried += 1
            new_calls, new_files = _novel(facts, seen_calls, seen_files)
            if new_calls or new_files:
                seen_calls |= new_calls
                seen_files |= new_files
                kept.append(mutant)
                corpus.append(mutant)
                findings.append({"scenario": mutant.name, "parent": mutant.parent, "mutations": list(mutant.mutations),
                                 "args": mutant.args, "stdin_bytes": len(mutant.stdin),
                                 "new_syscalls": sorted(new_calls), "new_files": sorted(new_files)})
            if progress:
                progress(tried, count, f"fuzzing: {tried}/{count} inputs, {len(kept)} kept")
    return kept, {"fuzzer": "unicore.analysis.fuzz (mutational)", "seed": seed, "inputs": tried,
                  "kept": findings}


def _with_args(scenario: Scenario, default_args: list[str]) -> Scenario:
    """The scenario with its arguments filled in (mutants change them)."""
    return dataclasses.replace(scenario, args=scenario.args if scenario.args is not None else list(default_args))


def _dictionary(corpus: list[Scenario]) -> dict[str, list[bytes]]:
    """Tokens for stdin (options, arguments, the scenarios' stdin words) and for arguments (options
    and the scenarios' own arguments only: a word from stdin such as /etc/passwd must not become
    a file the program, running as its user, overwrites)."""
    own = set(OPTIONS) | {a for s in corpus for a in s.args or []}
    words = set(own)
    for s in corpus:
        words.update(w for w in re.split(r"[\s;,()]+", s.stdin.decode(errors="ignore")) if 0 < len(w) < 40)
    return {"stdin": sorted(w.encode() for w in words), "args": sorted(w.encode() for w in own)}


def _mutant(rng: random.Random, parent: Scenario, tokens: dict[str, list[bytes]], name: str) -> FuzzScenario:
    stdin, args, done = parent.stdin, list(parent.args or []), []
    for _ in range(rng.randint(1, 3)):
        if args and rng.random() < 0.3 or not stdin and rng.random() < 0.5:
            args, what = _mutate_args(rng, args, tokens["args"])
        else:
            stdin, what = _mutate_bytes(rng, stdin, tokens["stdin"])
        done.append(what)
    base = {f.name: getattr(parent, f.name) for f in dataclasses.fields(Scenario)}
    base.update(name=name, args=args, stdin=stdin[:MAX_STDIN], scratch=True, path=None, expect_exit=None,
                expect_stdout=None, expect_stdout_contains=None,
                timeout=min(parent.timeout or FUZZ_TIMEOUT_S, FUZZ_TIMEOUT_S))
    return FuzzScenario(**base, parent=parent.name, mutations=tuple(done))


def _mutate_bytes(rng: random.Random, data: bytes, tokens: list[bytes]) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    ops = ["insert-token", "insert-byte"] + (["flip", "delete", "truncate"] if data else []) \
        + (["dup-line", "swap-lines"] if len(lines) > 1 else [])
    op, at = rng.choice(ops), rng.randint(0, len(data))
    if op == "insert-token":
        return data[:at] + rng.choice(tokens) + b" " + data[at:], op
    if op == "insert-byte":
        return data[:at] + bytes([rng.randint(0, 255)]) + data[at:], op
    if op == "flip":
        i = rng.randrange(len(data))
        return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:], op
    if op == "delete":
        return data[:at] + data[at + rng.randint(1, 16):], op
    if op == "truncate":
        return data[:at], op
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    if op == "dup-line":
        lines.insert(j, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines), op


def _mutate_args(rng: random.Random, args: list[str], tokens: list[bytes]) -> tuple[list[str], str]:
    ops = ["insert"] + (["drop", "replace", "edit"] if args else [])
    op = rng.choice(ops)
    token = rng.choice(tokens).decode(errors="replace")
    at = rng.randint(0, len(args))
    if op == "insert":
        return args[:at] + [token] + args[at:], "arg-insert"
    i = rng.randrange(len(args))
    if op == "drop":
        return args[:i] + args[i + 1:], "arg-drop"
    if op == "replace":
        return args[:i] + [token] + args[i + 1:], "arg-replace"
    word = args[i]
    cut = rng.randint(0, len(word))
    return args[:i] + [word[:cut] + rng.choice("-.:/0aZ") + word[cut:]] + args[i + 1:], "arg-edit"


def _try(program: Path, args: list[str], mutant: FuzzScenario):
    """The facts of one mutant's run; None when it timed out or crashed (not a usable scenario)."""
    try:
        run, facts = run_scenario(program, args, mutant, mutant.timeout or FUZZ_TIMEOUT_S)
    except UnicoreError:
        return None
    return None if run["timed_out"] or run["crashed"] or run["signal"] else facts


def _novel(facts, seen_calls: set[str], seen_files: set[str]) -> tuple[set[str], set[str]]:
    if facts is None:
        return set(), set()
    files = {p for p, use in facts.files.items() if use.exists} | {p for p, pr in facts.probes.items() if pr.found}
    return set(facts.syscalls) - seen_calls, files - seen_files


def _existing_files(dynamic: dict) -> set[str]:
    return {f["path"] for f in dynamic.get("files", []) + dynamic.get("probes", []) if f.get("exists")}
