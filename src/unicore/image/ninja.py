"""Writing build.ninja: rules for compiling, the two link passes, the symbol table, packing the
program and stripping the image. Paths are absolute and escaped for ninja."""

import sys
from dataclasses import dataclass, field
from pathlib import Path

RULES = """\
rule cc
  command = $cc -MMD -MF $out.d $cflags -c $in -o $out
  depfile = $out.d
  deps = gcc
  description = CC $out
rule ld
  command = $ld $ldflags -T $script -o $out $in
  description = LD $out
rule ksyms
  command = $python -m unicore.image.ksyms $in $out
  description = KSYMS $out
rule pack
  command = $python -m unicore.image.payload $in $out
  description = PACK $out
rule strip
  command = $objcopy $stripflags $in $out
  description = IMAGE $out
"""


def esc(path: Path | str) -> str:
    return str(path).replace("$", "$$").replace(" ", "$ ").replace(":", "$:")


@dataclass
class NinjaFile:
    variables: dict[str, str]
    edges: list[str] = field(default_factory=list)

    def build(self, outputs: Path, rule: str, inputs: list[Path], implicit: list[Path] = (),
              **variables: str) -> Path:
        line = f"build {esc(outputs)}: {rule} {' '.join(map(esc, inputs))}"
        if implicit:
            line += " | " + " ".join(map(esc, implicit))
        self.edges.append(line + "".join(f"\n  {k} = {v}" for k, v in variables.items()))
        return outputs

    def text(self, default: Path) -> str:
        head = ["ninja_required_version = 1.5", f"python = {esc(sys.executable)}"]
        head += [f"{k} = {v}" for k, v in self.variables.items()]
        return "\n".join(head) + "\n" + RULES + "\n".join(self.edges) + f"\ndefault {esc(default)}\n"
