"""Input that means the same gives the same result, in both formats.

A byte-order mark, CRLF line ends, blank lines at the end and spaces around cells (also around quoted
cells) are ordinary input: each variant of a real scenario must load to the same Scenario.content_hash()
and give the same tables in a short run as the file as written.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from corridor.api import load

from conftest import flee_path

REPO = Path(__file__).resolve().parents[1]


def bom(data: bytes, _: Path) -> bytes:
    return b"\xef\xbb\xbf" + data


def crlf(data: bytes, _: Path) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def blank_lines(data: bytes, path: Path) -> bytes:
    return data + (b"\n\n   \n\n" if path.suffix == ".csv" else b"\n\n\n")


def spaces(data: bytes, path: Path) -> bytes:
    """Every cell padded with spaces, outside its quotes where it has them."""
    if path.suffix != ".csv":
        return data
    out = []
    for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")):
        cells = [f' "{c.replace(chr(34), chr(34) * 2)}"  ' if any(ch in c for ch in ',"\n') else f"  {c} " for c in row]
        out.append(",".join(cells))
    return ("\n".join(out) + "\n").encode("utf-8")


def everything(data: bytes, path: Path) -> bytes:
    return bom(crlf(blank_lines(spaces(data, path), path), path), path)


VARIANTS: dict[str, Callable[[bytes, Path], bytes]] = {
    "bom": bom,
    "crlf": crlf,
    "blank_lines": blank_lines,
    "spaces": spaces,
    "all": everything,
}


def variant_of(source: Path, root: Path, change: Callable[[bytes, Path], bytes]) -> Path:
    """A copy of the scenario folder (same folder name: the name is part of the content) with every file changed."""
    folder = root / source.name
    shutil.copytree(source, folder)
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".yml", ".yaml"):
            path.chmod(0o644)
            path.write_bytes(change(path.read_bytes(), path))
    return folder


def tables(folder: Path) -> dict[str, np.ndarray]:
    rec = load(folder).run(seed=3, days=6).record
    return {k: getattr(rec, k) for k in ("population", "arrivals", "departures", "in_transit", "census", "waitlist")}


def same_as_written(source: Path, tmp_path: Path, variant: str) -> None:
    plain, changed = (
        variant_of(source, tmp_path / "plain", lambda d, _: d),
        variant_of(source, tmp_path / "variant", VARIANTS[variant]),
    )
    assert load(changed).scenario.content_hash() == load(plain).scenario.content_hash()
    expected, got = tables(plain), tables(changed)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", ["tijuana-2018", "example"])
def test_corridor_format_variants(name: str, variant: str, tmp_path: Path) -> None:
    same_as_written(REPO / "scenarios" / name, tmp_path, variant)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_flee_format_variants(variant: str, tmp_path: Path) -> None:
    same_as_written(flee_path("mali2012"), tmp_path, variant)


def test_observations_variant(tmp_path: Path) -> None:
    from corridor.evaluate.observations import read_observations

    source = REPO / "scenarios" / "tijuana-2018"
    written = read_observations(source / "observations.csv")
    changed = variant_of(source, tmp_path, everything)
    assert read_observations(changed / "observations.csv") == written
    assert len(written) == 31


def test_variants_really_change_the_files(tmp_path: Path) -> None:
    """The variants above are not the files as written (a variant that changed nothing would pass anyway)."""
    source = REPO / "scenarios" / "example" / "links.csv"
    data = source.read_bytes()
    for name, change in VARIANTS.items():
        assert change(data, source) != data, name
    assert b"  Arvik ," in spaces(data, source)
    quoted = REPO / "scenarios" / "tijuana-2018" / "observations.csv"
    assert b' "IFRC Bulletin 1; AP (Ocotepeque, 15 Oct)"  ,' in spaces(quoted.read_bytes(), quoted)
