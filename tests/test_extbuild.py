"""Building external projects: recipes and project files, the build cache, and the SQLite shell.

The fast tests build a small autoconf-style project from a real source package (made with
dpkg-source, served by FakeApt from test_fetch) with the real `unicore cc` wrapper and gcc.
The slow tests build the SQLite 3.40.1 shell from Debian's sqlite3 source package and compare
its output on examples/sqlite/test.sql byte for byte with Debian's /usr/bin/sqlite3.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from test_fetch import FakeApt, fetcher, make_source_package
from unicore.errors import BadInputError, UnicoreError
from unicore.program.external import Recipe, build_key, build_project, build_recipe, compiler_command, load_project

ROOT = Path(__file__).resolve().parents[1]
SQLITE = ROOT / "examples" / "sqlite"

CONFIGURE = """#!/bin/sh
# a stand-in for an autoconf script: out-of-tree, writes the Makefile into the build directory
srcdir=$(dirname "$0")
echo "$@" > configure.args
[ "$1" = --fail ] && { echo "checking for a working compiler... no" >&2; exit 1; }
cat > Makefile <<EOF
greet: $srcdir/greet.c
	\\$(CC) \\$(CFLAGS) -DWHO='"\\$(WHO)"' -o greet $srcdir/greet.c \\$(LDFLAGS)
EOF
"""
GREET_C = '#include <stdio.h>\nint main(void) { printf("hello, %s\\n", WHO); return 0; }\n'


@pytest.fixture
def greet_env(tmp_path: Path, monkeypatch):
    """Apt dirs and a repo holding the `greet` source package; caches under tmp_path."""
    from test_fetch import DEBIAN_SOURCES
    repo, sources, lists = tmp_path / "repo", tmp_path / "sources.list.d", tmp_path / "lists"
    for d in (repo, sources, lists):
        d.mkdir()
    (sources / "debian.sources").write_text(DEBIAN_SOURCES.replace("Types: deb", "Types: deb deb-src"))
    (lists / "x_source_Sources").write_text("")
    make_source_package(repo, "greet", "1.0", {"configure": CONFIGURE, "greet.c": GREET_C})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


def greet_recipe(**changes) -> Recipe:
    base = dict(name="greet", package="greet", version="1.0", configure=("--prefix=/x",),
                cflags=("-Os",), make_vars={"WHO": "world"}, target="greet", program="greet")
    return Recipe(**{**base, **changes})


def build(env: Path, recipe: Recipe, cc: str = "unicore") -> Path:
    return build_recipe(recipe, env / "build", cc=cc, fetcher=fetcher(env, FakeApt(env / "repo")))


def interpreter(path: Path) -> str | None:
    with path.open("rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] == "PT_INTERP":
                return seg.get_interp_name()
    return None


def test_builds_a_static_program_with_the_wrapper(greet_env: Path):
    program = build(greet_env, greet_recipe())
    assert subprocess.run([program], capture_output=True, text=True).stdout == "hello, world\n"
    assert interpreter(program) is None  # static: the unikernel can load it
    obj = next((greet_env / "build" / "ext").glob("greet-*.obj"))
    assert (obj / "configure.args").read_text() == "--prefix=/x\n"


def test_unchanged_rebuild_reuses_the_cached_program(greet_env: Path):
    first = build(greet_env, greet_recipe())
    shutil.rmtree(greet_env / "build")
    again = build(greet_env, greet_recipe())
    assert again == first and again.read_bytes() != b""
    assert list((greet_env / "build" / "ext").glob("*.obj")) == []  # neither configure nor make ran
    other = build(greet_env, greet_recipe(make_vars={"WHO": "unikernel"}))
    assert other != first
    assert subprocess.run([other], capture_output=True, text=True).stdout == "hello, unikernel\n"


def test_native_build_with_gcc_from_the_same_recipe(greet_env: Path):
    program = build(greet_env, greet_recipe(), cc="gcc")
    assert subprocess.run([program], capture_output=True, text=True).stdout == "hello, world\n"
    assert interpreter(program) is not None  # gcc, glibc, dynamic: the native comparison
    assert program != build(greet_env, greet_recipe())


def test_failed_configure_names_its_log(greet_env: Path):
    with pytest.raises(UnicoreError, match=r"(?s)configure failed \(full log: .*configure.log\):\n"
                                           r"checking for a working compiler\.\.\. no"):
        build(greet_env, greet_recipe(configure=("--fail",)))


def test_missing_program_after_make(greet_env: Path):
    with pytest.raises(UnicoreError, match="make greet for greet did not produce bin/greet"):
        build(greet_env, greet_recipe(program="bin/greet"))


def test_sqlite_project_recipe():
    recipe = load_project(SQLITE)
    assert (recipe.name, recipe.package, recipe.version, recipe.upstream) == ("sqlite3", "sqlite3", None, "3.40.1")
    assert recipe.configure[:2] == ("--enable-static", "--disable-shared")  # pool's, then the project's
    assert "--disable-load-extension" in recipe.configure and "-DSQLITE_THREADSAFE=0" in recipe.cflags
    assert (recipe.target, recipe.program, recipe.make_vars) == ("sqlite3", "sqlite3", {"SHELL_OPT": ""})
    assert recipe.tools == ("make", "tclsh", "dpkg-source")


PROJECT_CASES = sorted((Path(__file__).parent / "data" / "project").glob("*.toml"))


@pytest.mark.parametrize("case", PROJECT_CASES, ids=[c.stem for c in PROJECT_CASES])
def test_bad_project_files(tmp_path: Path, case: Path):
    """Each file in tests/data/project is a wrong unicore.toml; its first line says the error."""
    text = case.read_text()
    message = text.splitlines()[0].removeprefix("# expect: ")
    (tmp_path / "unicore.toml").write_text(text)
    with pytest.raises(BadInputError, match=message) as caught:
        load_project(tmp_path)
    assert "\n" not in str(caught.value)


def test_bad_project_file_is_one_line_from_the_cli(tmp_path: Path):
    (tmp_path / "unicore.toml").write_text((Path(__file__).parent / "data" / "project" / "unknown-table.toml").read_text())
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(tmp_path), "--build-dir", str(tmp_path / "b")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == \
        f"unicore: {tmp_path / 'unicore.toml'}: unknown table 'imgae' (known: binary, build, image, program, run, schema, targets)"


def test_build_key_covers_flags_and_source(greet_env: Path):
    source = fetcher(greet_env, FakeApt(greet_env / "repo")).fetch("greet", "1.0")
    key = build_key(source, greet_recipe(), "gcc 12")
    assert key == build_key(source, greet_recipe(), "gcc 12")
    assert key != build_key(source, greet_recipe(cflags=("-O2",)), "gcc 12")
    assert key != build_key(source, greet_recipe(), "gcc 13")
    assert compiler_command("unicore").endswith("unicore cc") and compiler_command("gcc") == "gcc"


def run_sql(shell: Path, *args: str) -> subprocess.CompletedProcess:
    script = (SQLITE / "test.sql").read_bytes()
    return subprocess.run([str(shell), *args], input=script, capture_output=True, timeout=120)


@pytest.mark.slow
def test_sqlite_shell_matches_debian(tmp_path: Path):
    """The unicore-built shell (static musl) gives Debian's shell's output byte for byte."""
    shell = build_project(SQLITE, tmp_path / "build")
    assert interpreter(shell) is None and shell.stat().st_size < 800 * 1024
    ours, debian = run_sql(shell, str(tmp_path / "db.sqlite")), run_sql(Path("/usr/bin/sqlite3"))
    assert (ours.returncode, ours.stderr) == (0, b"") and debian.returncode == 0
    assert ours.stdout == debian.stdout
    assert b"10000|255038" in ours.stdout
    host = subprocess.run(["sqlite3", str(tmp_path / "db.sqlite"), "SELECT count(*), sum(qty) FROM orders;"],
                          capture_output=True, text=True, timeout=30)
    assert host.stdout == "10000|255038\n"


@pytest.mark.slow
def test_sqlite_shell_native_build_same_flags(tmp_path: Path):
    """The benchmark's native comparison: the same source and flags, built with gcc."""
    shell = build_project(SQLITE, tmp_path / "build", cc="gcc")
    assert interpreter(shell) is not None
    assert run_sql(shell).stdout == run_sql(Path("/usr/bin/sqlite3")).stdout


@pytest.mark.slow
def test_external_source_tree_of_a_pool_library(tmp_path: Path):
    from unicore.program.external import external_source
    tree = external_source("sqlite3", tmp_path)
    assert tree.parent == tmp_path / "ext" / "src" and tree.name.startswith("sqlite3_3.40.1-")
    assert (tree / "VERSION").read_text() == "3.40.1\n" and (tree / "configure").is_file()


def test_relative_build_directory(greet_env: Path, monkeypatch):
    """`unicore build examples/sqlite` uses build/<name> relative to the current directory."""
    monkeypatch.chdir(greet_env)
    program = build_recipe(greet_recipe(), Path("rel-build"), fetcher=fetcher(greet_env, FakeApt(greet_env / "repo")))
    assert subprocess.run([program], capture_output=True, text=True).stdout == "hello, world\n"
