"""Library options through Kconfig, the field's convention.

Each chosen library's [[options]] become Kconfig symbols `UK_<LIB>_<NAME>`; kconfiglib resolves
defaults and the user's overrides (`--option NAME=VALUE`), and the result goes into the plan,
from which the build writes `uk_config.h`.
"""

import os
import tempfile
from pathlib import Path

import kconfiglib

from unicore.errors import BadInputError
from unicore.pool.manifest import Library

KTYPES = {"int": "int", "bool": "bool", "string": "string", "hex": "hex"}


def symbol_name(lib: Library, option: str) -> str:
    return "UK_" + (lib.name + "_" + option).upper().replace("-", "_")


def kconfig_text(libs: list[Library]) -> str:
    """The Kconfig source for the chosen libraries' options."""
    out = ['mainmenu "unicore"']
    for lib in libs:
        if lib.options:
            out.append(f'menu "{lib.name}"')
        for opt in lib.options:
            out += _symbol(symbol_name(lib, opt.name), opt.type, opt.default, opt.help)
            if opt.min is not None or opt.max is not None:
                out.append(f"\trange {opt.min if opt.min is not None else -(1 << 63)} "
                           f"{opt.max if opt.max is not None else (1 << 63) - 1}")
        if lib.options:
            out.append("endmenu")
    return "\n".join(out) + "\n"


def _symbol(name: str, kind: str, default: object, help_text: str) -> list[str]:
    if kind not in KTYPES:
        raise BadInputError(f"option {name}: type {kind!r} is not one of {', '.join(KTYPES)}")
    if kind == "bool":
        value = "y" if default else "n"
    elif kind == "string":
        value = '"' + str(default).replace('"', '\\"') + '"'
    else:
        value = str(default)
    lines = [f"config {name}", f'\t{KTYPES[kind]} "{name}"', f"\tdefault {value}"]
    return lines + ([f"\thelp\n\t  {help_text}"] if help_text else [])


def resolve_options(libs: list[Library], overrides: dict[str, str]) -> dict[str, object]:
    """{symbol: value} for every option of `libs`, after the user's overrides."""
    with tempfile.TemporaryDirectory() as tmp:
        kfile = Path(tmp) / "Kconfig"
        kfile.write_text(kconfig_text(libs))
        old = os.environ.pop("srctree", None)
        kconf = kconfiglib.Kconfig(str(kfile), warn_to_stderr=False)
        if old is not None:
            os.environ["srctree"] = old
    declared = {symbol_name(lib, opt.name): opt for lib in libs for opt in lib.options}
    for name, value in overrides.items():
        if name in declared:
            check_range(name, declared[name], value)
        _override(kconf, name, value)
    return {name: _value(sym) for name, sym in kconf.syms.items() if sym.type != kconfiglib.UNKNOWN}


def check_range(name: str, opt, value: str) -> None:
    """An int option's value against its declared min/max (manifest), one line naming both."""
    if opt.type not in ("int", "hex"):
        return
    try:
        number = int(value, 16 if opt.type == "hex" else 10)
    except ValueError:
        raise BadInputError(f"option {name}: invalid value {value!r} (not an integer)") from None
    what = f" ({opt.help})" if opt.help else ""
    if opt.min is not None and number < opt.min:
        raise BadInputError(f"option {name}={value}: below its minimum {opt.min}{what}")
    if opt.max is not None and number > opt.max:
        raise BadInputError(f"option {name}={value}: above its maximum {opt.max}{what}")


def _override(kconf, name: str, value: str) -> None:
    sym = kconf.syms.get(name)
    if sym is None or sym.type == kconfiglib.UNKNOWN:
        known = ", ".join(sorted(n for n, s in kconf.syms.items() if s.type != kconfiglib.UNKNOWN))
        raise BadInputError(f"unknown option {name!r}; options of the chosen libraries: {known or 'none'}")
    text = {"true": "y", "false": "n"}.get(value.lower(), value) if sym.type == kconfiglib.BOOL else value
    if not sym.set_value(text) or sym.str_value != text:
        raise BadInputError(f"option {name}: invalid value {value!r}")


def _value(sym) -> object:
    if sym.type == kconfiglib.BOOL:
        return sym.str_value == "y"
    if sym.type == kconfiglib.INT:
        return int(sym.str_value)
    if sym.type == kconfiglib.HEX:
        return int(sym.str_value, 16)
    return sym.str_value
