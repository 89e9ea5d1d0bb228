"""`unicore bench seed`, the reduced real run: every system, 1 launch each, a small workload.

The Debian root and kernel come from the bench cache; on a cold cache this test builds them
(debootstrap minbase, about a minute with the network to Debian's mirror). Every system that ran
must print the expected query result; every other one must say why; the CSV and both figures
hold one row per system.
"""

import csv
import json
import os
import shutil

import pytest
from PIL import Image

from unicore.bench.seed import SYSTEMS, run_seed

pytestmark = pytest.mark.slow
KEYS = [make().key for make in SYSTEMS]


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed")
    return out, run_seed(out, runs=1, rows=100, timeout=60)  # a hung system costs a minute at most


def test_every_system_ran_with_the_same_result_or_says_why(seed):
    _, result = seed
    assert [r.key for r in result.rows] == KEYS
    for row in result.rows:
        if row.available:
            assert row.result == "100|503328|item-000001|item-000100|52", row
            assert row.result_ok and len(row.seconds) == 1 and row.size_bytes > 0
        else:
            assert row.reason.strip() and not row.seconds, row


def test_debian_vm_unikernels_and_native_ran(seed):
    rows = {r.key: r for r in seed[1].rows}
    assert rows["native"].available, rows["native"].reason
    for key in KEYS:  # both unikernels (source and Debian binary) run wherever QEMU is installed
        if key.startswith(("unikernel", "spt")):
            assert rows[key].available, rows[key].reason
    if os.geteuid() == 0 and shutil.which("debootstrap"):  # what building the Debian root needs
        assert rows["debian-vm"].available, rows["debian-vm"].reason
        # kernel + the same root as an archive: larger than the root tree alone
        assert rows["debian-vm"].size_bytes > 50e6


def test_csv_holds_a_row_per_system(seed):
    out, result = seed
    records = list(csv.DictReader(open(out / "results.csv")))
    assert [r["system"] for r in records] == KEYS
    for record, row in zip(records, result.rows):
        assert record["available"] == str(row.available).lower()
        assert record["reason"] == row.reason
        assert (record["lifecycle_median_ms"] != "") == row.available
    assert all(r["baseline"] == result.baseline for r in records) and result.baseline


@pytest.mark.parametrize("figure", ["size.png", "lifecycle.png"])
def test_figures_hold_a_row_per_system(seed, figure):
    out, result = seed
    image = Image.open(out / figure)
    assert image.format == "PNG" and image.size[0] > 400
    rows = json.loads(image.text["Description"])
    assert [r["system"] for r in rows] == KEYS
    for entry, row in zip(rows, result.rows):
        assert entry["reason"] == row.reason
        if figure == "lifecycle.png":
            assert (entry["value"] is not None) == row.available
