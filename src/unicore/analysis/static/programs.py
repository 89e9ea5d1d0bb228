"""Programs a program can run that no analysis run saw it run, when it imports a function that
starts a program (execvp, posix_spawn, system, popen...): the executables it names by absolute
path in its read-only strings (make's and gawk's /bin/sh), and the other executables of its own
Debian package that it names by file name.

diff3 and sdiff run `diff` by that name through execvp only when they compare; a run that never
compared records no execve, so without this their images lack diff. Only the program's own
package is searched (diffutils' cmp, diff, diff3, sdiff): a message word such as "cat" in some
other program's strings must not bring coreutils' cat. Nothing is read for a program that imports
no exec function, and nothing for a sysroot (a foreign architecture's package database).
"""

import os
import re
from functools import cache

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from unicore.rootfs import dpkg

EXEC_FUNCTIONS = ("execv", "execvp", "execvpe", "execve", "execl", "execlp", "execle", "fexecve",
                  "posix_spawn", "posix_spawnp", "system", "popen")
EXECUTABLE_DIRS = ("/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/")
STRING = re.compile(rb"(?<=\x00)([\w./+-]{1,255})\x00")
RODATA = (".rodata", ".rodata.str1.1", ".rodata.str1.8")


def named(path: str) -> list[dict]:
    """[{"path", "why"}] for each sibling executable `path` names and can start."""
    strings = _exec_strings(path)
    me = os.path.realpath(path)
    out = [{"path": s, "why": f"named {s!r} in the program's strings"} for s in sorted(strings)
           if s.startswith(EXECUTABLE_DIRS) and _runnable(s) and os.path.realpath(s) != me]
    owner = dpkg.load().owner(path) if strings else None
    for sibling in dpkg.load().packages[owner].files if owner else ():
        if not sibling.startswith(EXECUTABLE_DIRS) or os.path.realpath(sibling) == me \
                or not _runnable(sibling) or any(o["path"] == sibling for o in out):
            continue
        word = next((w for w in (sibling, os.path.basename(sibling)) if _named_by(w, strings)), None)
        if word is not None:
            out.append({"path": sibling, "why": f"named {word!r} in the program's strings, "
                                                f"another program of package {owner}"})
    return out


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _named_by(word: str, strings: frozenset[str]) -> bool:
    """Whether `word` is one of the strings or the tail of one: the linker stores "diff" as the
    end of "sdiff" (merged string sections share tails). Tails shorter than four characters are
    not taken: "dir" or "sum" end too many words."""
    return word in strings or (len(word) >= 4 and any(s.endswith(word) for s in strings))


@cache
def _exec_strings(path: str) -> frozenset[str]:
    """The NUL-terminated words of the program's read-only data, if it imports an exec function."""
    try:
        with open(path, "rb") as f:
            ef = ELFFile(f)
            dynsym = ef.get_section_by_name(".dynsym")
            imports = {s.name for s in dynsym.iter_symbols() if s["st_shndx"] == "SHN_UNDEF"} if dynsym else set()
            if not imports & set(EXEC_FUNCTIONS):
                return frozenset()
            data = b"".join(s.data() for n in RODATA if (s := ef.get_section_by_name(n)) is not None
                            and s["sh_type"] != "SHT_NOBITS")
    except (OSError, ELFError, ValueError, KeyError, AttributeError):
        return frozenset()
    return frozenset(m.group(1).decode() for m in STRING.finditer(b"\x00" + data))
