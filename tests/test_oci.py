"""Issue 18: `unicore pkg` writes OCI images that skopeo, umoci and containerd read back, with
urunc's and kraft's annotations, and `unicore run oci:...` runs them like the image file."""

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from unicore.formats import elf

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not (shutil.which("umoci") and shutil.which("skopeo")),
                                reason="umoci and skopeo (Debian packages) are not installed")


def unicore(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], capture_output=True, timeout=timeout, input=b"")


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    """hello with a one-file root file system (so the image has an initrd to package)."""
    work = tmp_path_factory.mktemp("oci")
    (work / "greet.txt").write_text("hi\n")
    out = work / "hello.img"
    proc = unicore("build", str(ROOT / "examples" / "hello" / "hello.c"), "--file", f"{work / 'greet.txt'}:/etc/greet.txt",
                   "-o", str(out), "--build-dir", str(work / "build"))
    assert proc.returncode == 0, proc.stderr.decode()
    return out


@pytest.fixture(scope="module")
def layout(image) -> Path:
    out = image.parent / "layout"
    proc = unicore("pkg", str(image), "-o", f"oci:{out}:v1", "-e", "GREETING=yo", "--argv0", "hi", "--", "packaged")
    assert proc.returncode == 0, proc.stderr.decode()
    return out


def blob(layout: Path, digest: str) -> bytes:
    data = (layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()
    assert "sha256:" + hashlib.sha256(data).hexdigest() == digest  # every blob is what its name says
    return data


def manifest_of(layout: Path, tag: str) -> tuple[str, dict]:
    index = json.loads((layout / "index.json").read_text())
    desc, = [m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag]
    data = blob(layout, desc["digest"])
    assert len(data) == desc["size"]
    return desc["digest"], json.loads(data)


def layer_files(layout: Path, manifest: dict) -> dict[str, bytes]:
    files = {}
    for desc in manifest["layers"]:
        data = blob(layout, desc["digest"])
        assert len(data) == desc["size"]
        with tarfile.open(fileobj=__import__("io").BytesIO(data)) as tar:
            files.update({"/" + m.name.lstrip("./"): tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()})
    return files


def test_layout_read_back_by_skopeo_and_umoci(layout):
    digest, manifest = manifest_of(layout, "v1")
    raw = subprocess.run(["skopeo", "inspect", "--raw", f"oci:{layout}:v1"], capture_output=True, check=True).stdout
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest
    inspect = json.loads(subprocess.run(["skopeo", "inspect", f"oci:{layout}:v1"], capture_output=True, check=True).stdout)
    assert (inspect["Os"], inspect["Architecture"], inspect["Digest"]) == ("linux", "amd64", digest)
    stat = subprocess.run(["umoci", "stat", "--json", "--image", f"{layout}:v1"], capture_output=True, check=True)
    assert len(json.loads(stat.stdout)["history"]) == 4  # kernel, initrd, urunc.json, config
    copy = layout.parent / "copied"
    subprocess.run(["skopeo", "copy", "-q", f"oci:{layout}:v1", f"dir:{copy}"], check=True)  # verifies digests
    assert (copy / "manifest.json").read_bytes() == raw
    _, manifest = manifest_of(layout, "v1")
    for desc in manifest["layers"]:
        assert (copy / desc["digest"].removeprefix("sha256:")).stat().st_size == desc["size"]


def test_annotations_files_and_config(image, layout):
    _, manifest = manifest_of(layout, "v1")
    notes = manifest["annotations"]
    assert {k: v for k, v in notes.items() if k.startswith("com.urunc.")} == {
        "com.urunc.unikernel.unikernelType": "unicore", "com.urunc.unikernel.unikernelVersion": "0.1.0",
        "com.urunc.unikernel.hypervisor": "qemu", "com.urunc.unikernel.binary": "/unikraft/bin/kernel",
        "com.urunc.unikernel.cmdline": "argv0=hi env=GREETING=yo -- packaged",
        "com.urunc.unikernel.initrd": "/unikraft/bin/initrd", "com.urunc.unikernel.mountRootfs": "false"}
    assert {k: v for k, v in notes.items() if k.startswith("org.unikraft.")} == {
        "org.unikraft.kernel.image": "/unikraft/bin/kernel", "org.unikraft.kernel.initrd": "/unikraft/bin/initrd",
        "org.unikraft.kernel.version": "0.1.0", "org.unikraft.kernel.arch": "x86_64",
        "org.unikraft.kernel.plat": "qemu", "org.unikraft.image.name": "hello"}
    config = json.loads(blob(layout, manifest["config"]["digest"]))
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    assert (config["config"]["Cmd"], config["config"]["Env"]) == (["packaged"], ["GREETING=yo"])
    assert config["config"]["Labels"] == {k: v for k, v in notes.items() if k.startswith("com.urunc.")}
    files = layer_files(layout, manifest)
    data = image.read_bytes()
    assert files["/unikraft/bin/kernel"] == data
    assert files["/unikraft/bin/initrd"] == elf.section_data(data, elf.parse(data), ".uk_initrd")
    assert b"etc/greet.txt" in files["/unikraft/bin/initrd"]
    urunc = json.loads(files["/urunc.json"])
    assert {k: base64.b64decode(v.removeprefix("b64:")).decode() for k, v in urunc.items()} == \
        {k: v for k, v in notes.items() if k.startswith("com.urunc.")}


def test_packaging_twice_gives_the_same_digest(image, layout, tmp_path):
    again = tmp_path / "again"
    proc = unicore("pkg", str(image), "-o", f"oci:{again}:v1", "-e", "GREETING=yo", "--argv0", "hi", "--", "packaged")
    assert proc.returncode == 0, proc.stderr.decode()
    assert manifest_of(again, "v1")[0] == manifest_of(layout, "v1")[0]


def test_run_packaged_equals_running_the_image(image, layout, tmp_path):
    direct = unicore("run", "--accel", "tcg", "--argv0", "hi", "-e", "GREETING=yo", str(image), "--", "packaged")
    packaged = unicore("run", "--accel", "tcg", f"oci:{layout}:v1")
    assert (packaged.returncode, packaged.stdout) == (direct.returncode, direct.stdout) == (0, b"Hello, packaged!\n")
    archive = tmp_path / "hello.tar"
    assert unicore("pkg", str(image), "-o", f"oci-archive:{archive}:v2", "--", "archived").returncode == 0
    assert "index.json" in tarfile.open(archive).getnames()
    from_archive = unicore("run", "--accel", "tcg", f"oci-archive:{archive}:v2")
    assert (from_archive.returncode, from_archive.stdout) == (0, b"Hello, archived!\n")
    overridden = unicore("run", "--accel", "tcg", f"oci-archive:{archive}:v2", "--", "you")
    assert overridden.stdout == b"Hello, you!\n"


def test_bad_references_are_one_line(image, tmp_path):
    for ref, message in [(f"oci:{tmp_path}/x:", "is not an OCI tag"), ("docker://x", "expected oci:DIR:TAG")]:
        proc = unicore("pkg", str(image), "-o", ref)
        assert proc.returncode == 2 and message in proc.stderr.decode() and len(proc.stderr.splitlines()) == 1
    proc = unicore("run", f"oci:{tmp_path}/missing:v1")
    assert proc.returncode == 2 and proc.stderr.decode().strip().endswith("does not exist")


def test_project_run_section_and_volume_guest_paths(image, tmp_path):
    """`unicore pkg DIR`: the project's image with its [run] (args, env, volumes' guest paths)."""
    proj = tmp_path / "greeter"
    proj.mkdir()
    (proj / "unicore.toml").write_text('schema = 1\n[binary]\npath = "greet"\n[run]\nargs = ["toml"]\n'
                                       'env = { A = "b" }\nvolumes = ["data:/srv/data:ro"]\n')
    (tmp_path / "build").mkdir()
    shutil.copy(image, tmp_path / "build" / "greeter.img")
    shutil.copy(f"{image}.plan.json", tmp_path / "build" / "greeter.img.plan.json")
    proc = subprocess.run([sys.executable, "-m", "unicore", "pkg", str(proj), "-o", f"oci:{tmp_path / 'out'}:p",
                           "--volume", "/cache"], capture_output=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    _, manifest = manifest_of(tmp_path / "out", "p")
    assert manifest["annotations"]["com.urunc.unikernel.cmdline"] == "vol.vol0=/srv/data vol.vol1=/cache env=A=b -- toml"
    bad = unicore("pkg", str(image), "-o", f"oci:{tmp_path / 'bad'}:p", "--volume", "data")
    assert bad.returncode == 2 and b"a guest directory is absolute" in bad.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("containerd"),
                    reason="containerd runs here only as root (it needs its own root directory and mounts)")
def test_containerd_imports_the_archive_with_its_annotations(image, tmp_path):
    archive = tmp_path / "hello.tar"
    assert unicore("pkg", str(image), "-o", f"oci-archive:{archive}:v1", "--", "ctr").returncode == 0
    sock = tmp_path / "c.sock"
    daemon = subprocess.Popen(["containerd", "--root", str(tmp_path / "root"), "--state", str(tmp_path / "state"),
                               "--address", str(sock), "--config", "/dev/null"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        ctr = ["ctr", "--address", str(sock), "--namespace", "unicore-test"]
        subprocess.run([*ctr, "images", "import", "--index-name", "unicore/hello:v1", str(archive)],
                       check=True, capture_output=True, timeout=60)
        listed = subprocess.run([*ctr, "images", "ls"], check=True, capture_output=True, text=True).stdout
        row = [line.split() for line in listed.splitlines() if line.startswith("unicore/hello:v1")]
        assert row, listed
        digest = [w for w in row[0] if w.startswith("sha256:")][0]
        index = json.loads(subprocess.run([*ctr, "content", "get", digest], check=True, capture_output=True).stdout)
        manifests = [m["digest"] for m in index.get("manifests", [])] or [digest]
        manifest = json.loads(subprocess.run([*ctr, "content", "get", manifests[0]], check=True,
                                             capture_output=True).stdout)
        notes = manifest["annotations"]
        assert notes["com.urunc.unikernel.unikernelType"] == "unicore"
        assert notes["com.urunc.unikernel.cmdline"] == "-- ctr"
        assert notes["org.unikraft.kernel.plat"] == "qemu"
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(30)
