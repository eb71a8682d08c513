"""Fuzzing both scenario formats through the command line: whatever is wrong with an input, `corridor`
either works or answers with one line that names the file.

Each example takes a real scenario (tijuana-2018 and example in corridor's format; Flee's mali2012 and
burundi), copied once to a temporary folder, mutates one of its files (a cell, a row, a column, bytes,
or a YAML value), runs `corridor check` in-process (`corridor run --days 2 --quiet --out DIR` for one
example in RUN_SHARE) and puts the file back. It asserts:

- the exit code is 0 or 2, and no exception other than SystemExit escaped the command;
- on 2, the output is exactly one line starting with `error:` that names the mutated file, or a file
  whose reading depends on it (AFFECTS: a place renamed in places.csv is an unknown place in links.csv);
- after a failed run the --out folder does not exist (nor any half-written temporary folder beside it).

CI runs a fixed number of examples with hypothesis' derandomised seed, so a failure there reproduces
locally with the same command. Environment variables, for local fuzzing:

- CORRIDOR_FUZZ_SCALE: multiply every scenario's number of examples (default 1; 10 for a long session);
- CORRIDOR_FUZZ_RANDOM=1: a fresh random seed each session instead of the fixed one (hypothesis prints
  the failing example and a @reproduce_failure line to replay it).

Each test prints how many examples it ran and how long they took (`pytest -s` shows it).
"""

from __future__ import annotations

import functools
import os
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from corridor.cli import app
from corridor.scenario.text import YamlLoader

from conftest import flee_path

REPO = Path(__file__).resolve().parents[1]
SCALE = float(os.environ.get("CORRIDOR_FUZZ_SCALE", "1"))
DERANDOMIZE = os.environ.get("CORRIDOR_FUZZ_RANDOM", "") != "1"
RUN_SHARE = 15  # one example in RUN_SHARE runs two days instead of checking

# examples per scenario: 10,000 in all at scale 1
EXAMPLES = {"tijuana-2018": 2500, "example": 3000, "mali2012": 3000, "burundi": 1500, "dflee_weather_example": 1500}

# Which files' errors a mutation of a file may show: a file that names places depends on places.csv, every
# date on start_date, every count on hasten. Deleting an optional file is a mutation of it too.
ALL = "*"
AFFECTS_NATIVE = {
    "scenario.yaml": ALL,
    "places.csv": ALL,
    # priors.csv names levers that the other tables define (a caravan's size scales its departures...),
    # so a mutation there can make a prior's range invalid: the error then names priors.csv
    "links.csv": {"caravans.csv", "priors.csv"},
    "departures.csv": {"hazards.csv", "caravans.csv", "priors.csv"},
    "caravans.csv": {"departures.csv", "priors.csv"},
    "ports.csv": {"port_events.csv", "priors.csv"},
    "port_events.csv": {"priors.csv"},
    "hazards.csv": {"priors.csv"},
    "marches.csv": {"priors.csv"},
    "reentry.csv": {"priors.csv"},  # its levers (reentry.<outcome>.share) are named in priors.csv
    # without its rules (the file gone), scenario.yaml's remain_in_mexico_from has nowhere to send people
    "remain_in_mexico.csv": {"scenario.yaml", "priors.csv"},
}
AFFECTS_FLEE = {
    "simsetting.yml": ALL,
    "input_csv/locations.csv": ALL,
    "input_csv/sim_period.csv": ALL,
    "source_data/data_layout.csv": {"source_data/", "input_csv/registration_corrections.csv"},
    # a level the flood lists of simsetting.yml are too short for names those lists
    "input_csv/flood_level.csv": {"simsetting.yml"},
}

NUMBERS = [
    "0", "-1", "1", "0.5", "-0.5", "1e-300", "127", "128", "32767", "32768", "2147483647", "2147483648",
    "9223372036854775808", "1e20", "1e300", "1e309", "-1e309", "nan", "NaN", "inf", "-inf", "1_000", "0x10",
    "1,5", "+3", ".5", "5.", "1e", "--1", "٣",
]  # fmt: skip
# a run draws no count between these: one the model accepts may need more memory than a test machine has
# (a billion people are 27 GB of agent columns); `check` explores them all
RUN_UNSAFE = {"2147483647", "1e20", "1e300", "9223372036854775808", "2147483648", "32767", "32768"}
TEXT = [
    "", " ", "x", "é", "名前", "\t", '"', '""', '"a,b"', "a\nb", "#", "# x", "yes", "no", "true", "null", "-",
    "9999-12-31", "0001-01-01", "2012-02-30", "2019-13-01", "2018-11-25", "1900-01-01", "2200-01-01", "a" * 300,
    "\x00", "\\", "'", "{}", ":", "[/x]", "[bold]x", ":x:", "total", "camp", "conflict_zone", "country", "moved",
    "capacity",
]  # fmt: skip
YAML_VALUES: list[Any] = [
    None, 0, -1, 1, 0.5, 1e-300, 10**40, 2**15, 2**31, float("nan"), float("inf"), "", "x", "2020-02-30",
    "9999-12-31", True, False, [], [1, 2], ["x"], {}, {"a": 1}, {"days": 3}, -0.0, "10", 32767, "[/x]",
]  # fmt: skip
BYTES = [b"\x00", b"\xff", b"\xe9", b"\xc3", b"\xef\xbb\xbf", b'"', b",", b"\n", b"\r", b"#", b"\t", b"\xe2\x80\xa8"]


def _lines(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def cell_edit(draw: st.DrawFn, text: str, values: list[str]) -> str:
    lines = _lines(text)
    i = draw(st.integers(0, max(0, len(lines) - 1)))
    cells = lines[i].split(",")
    j = draw(st.integers(0, len(cells) - 1))
    pool = values + [c for line in lines[:50] for c in line.split(",")[:12]]
    cells[j] = draw(st.sampled_from(pool))
    lines[i] = ",".join(cells)
    return "\n".join(lines)


@st.composite
def row_edit(draw: st.DrawFn, text: str) -> str:
    lines = _lines(text)
    i = draw(st.integers(0, max(0, len(lines) - 1)))
    how = draw(st.sampled_from(["delete", "duplicate", "move", "cut", "extend", "blank", "comment", "spaces"]))
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "move":
        lines.insert(draw(st.integers(0, len(lines))), lines.pop(i))
    elif how == "cut":
        cells = lines[i].split(",")
        lines[i] = ",".join(cells[: draw(st.integers(0, max(0, len(cells) - 1)))])
    elif how == "extend":
        lines[i] += "," + draw(st.sampled_from(NUMBERS + TEXT))
    elif how == "blank":
        lines.insert(i, draw(st.sampled_from(["", " ", ",,,", "\t"])))
    elif how == "comment":
        lines.insert(i, "# " + draw(st.sampled_from(TEXT)))
    else:
        lines[i] = ",".join(f" {c}  " for c in lines[i].split(","))
    return "\n".join(lines)


@st.composite
def column_edit(draw: st.DrawFn, text: str) -> str:
    lines = [line.split(",") for line in _lines(text)]
    width = max(len(cells) for cells in lines)
    j = draw(st.integers(0, width - 1))
    how = draw(st.sampled_from(["delete", "duplicate", "rename", "swap"]))
    k = draw(st.integers(0, width - 1))
    head = next((n for n, cells in enumerate(lines) if cells[0].strip() and not cells[0].startswith("#")), 0)
    for n, cells in enumerate(lines):
        if j >= len(cells):
            continue
        if how == "delete":
            del cells[j]
        elif how == "duplicate":
            cells.insert(j, cells[j])
        elif how == "swap" and k < len(cells):
            cells[j], cells[k] = cells[k], cells[j]
        elif how == "rename" and n == head:
            cells[j] = draw(st.sampled_from(TEXT + ["name", "date", "place", "count", "Name", " a "]))
    return "\n".join(",".join(cells) for cells in lines)


@st.composite
def byte_edit(draw: st.DrawFn, data: bytes) -> bytes | None:
    """New bytes for the file; None deletes it."""
    how = draw(st.sampled_from(["cut", "insert", "replace", "drop", "empty", "delete", "bom", "crlf", "utf16"]))
    pos = draw(st.integers(0, len(data)))
    if how == "cut":
        return data[:pos]
    if how == "insert":
        return data[:pos] + draw(st.sampled_from(BYTES)) + data[pos:]
    if how == "replace":
        return data[:pos] + draw(st.sampled_from(BYTES)) + data[pos + 1 :]
    if how == "drop":
        return data[:pos] + data[pos + draw(st.integers(1, 40)) :]
    if how == "empty":
        return b""
    if how == "delete":
        return None
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "crlf":
        return data.replace(b"\n", b"\r\n")
    return data.decode("utf-8", "replace").encode("utf-16")


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def yaml_edit(draw: st.DrawFn, text: str, values: list[Any]) -> str:
    doc = yaml.load(text, Loader=YamlLoader)
    path = draw(st.sampled_from(_paths(doc)))
    how = draw(st.sampled_from(["set", "set", "set", "delete", "add"]))
    value = draw(st.sampled_from(values))
    if not path:
        doc = value
    else:
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if how == "delete":
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "days", "hasten", "1", "move"]))] = value
        else:
            parent[path[-1]] = value
    return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, allow_unicode=True)


def mutate(draw: st.DrawFn, path: Path, running: bool, others: list[bytes]) -> bytes | None:
    """A mutated copy of the file's bytes (None: delete it); `others`: the scenario's other files, one of
    which may take this one's place (the wrong file under the right name)."""
    data = path.read_bytes()
    text = data.decode("utf-8")
    numbers = [n for n in NUMBERS if not (running and n in RUN_UNSAFE)]
    values = [v for v in YAML_VALUES if not (running and isinstance(v, int) and str(v) in RUN_UNSAFE | {str(10**40)})]
    kinds = ["cell", "cell", "cell", "row", "column", "bytes", "other"]
    if path.suffix in (".yml", ".yaml"):
        kinds = ["yaml", "yaml", "yaml", "yaml", "bytes", "row", "other"]
    kind = draw(st.sampled_from(kinds))
    if kind == "other":
        return draw(st.sampled_from(others))
    if kind == "bytes":
        return draw(byte_edit(data))
    if kind == "yaml":
        return draw(yaml_edit(text, values)).encode()
    edit = {"cell": cell_edit(text, numbers + TEXT), "row": row_edit(text), "column": column_edit(text)}[kind]
    return draw(edit).encode("utf-8")


class Tally:
    def __init__(self, name: str) -> None:
        self.name, self.t0 = name, time.perf_counter()
        self.checks = self.runs = self.errors = self.ran = 0

    def report(self) -> str:
        return (
            f"fuzz {self.name}: {self.checks + self.runs} examples ({self.checks} check, {self.runs} run of which "
            f"{self.ran} ran), {self.errors} answered with an error line, {time.perf_counter() - self.t0:.1f} s"
        )


@pytest.fixture(scope="module")
def runner() -> typer.testing.CliRunner:
    # typer rebuilds the click command on every invoke (a few ms, most of a small check); build it once
    mp = pytest.MonkeyPatch()
    mp.setattr(typer.testing, "_get_command", functools.lru_cache(typer.main.get_command))
    yield typer.testing.CliRunner()
    mp.undo()


def fuzz(
    source: Path,
    root: Path,
    runner: typer.testing.CliRunner,
    files: list[str],
    affects: dict[str, Any],
    examples: int,
    record: Callable[[str, object], None],
) -> None:
    folder = root / source.name
    shutil.copytree(source, folder)
    for p in folder.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)  # the shared copies are read-only
    originals = {name: (folder / name).read_bytes() for name in files}
    tally = Tally(source.name)
    n_out = 0

    @settings(
        max_examples=max(1, int(examples * SCALE)),
        derandomize=DERANDOMIZE,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        nonlocal n_out
        name = data.draw(st.sampled_from(files), label="file")
        running = data.draw(st.sampled_from([False] * (RUN_SHARE - 1) + [True]), label="run?")
        path = folder / name
        new = mutate(data.draw, path, running, [d for f, d in originals.items() if f != name])
        n_out += 1
        out = root / f"out{n_out}"
        try:
            if new is None:
                path.unlink()
            else:
                path.write_bytes(new)
            run = ["run", str(folder), "--days", "2", "--quiet", "--out", str(out)]
            result = runner.invoke(app, run if running else ["check", str(folder)])
        finally:
            path.write_bytes(originals[name])
        tally.runs += running
        tally.checks += not running
        exc = result.exception
        if exc is not None and not isinstance(exc, SystemExit):
            raise AssertionError("".join(traceback.format_exception(*result.exc_info)))
        assert result.exit_code in (0, 2), result.output
        if result.exit_code == 0:
            if running:
                assert out.is_dir(), result.output
                shutil.rmtree(out)
                tally.ran += 1
            return
        tally.errors += 1
        lines = result.output.strip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
        allowed = affects.get(name, set())
        if allowed == ALL:
            assert f"{folder}{os.sep}" in lines[0], f"mutated {name}, the error names no file: {lines[0]}"
        else:
            paths = [f"{folder / f}{os.sep if f.endswith('/') else ''}" for f in {name, *allowed}]
            assert any(p in lines[0] for p in paths), f"mutated {name}, the error names another file: {lines[0]}"
        if running:
            assert not out.exists(), f"a failed run left {out}"
            assert not list(root.glob(f".out{n_out}.*")), f"a failed run left a temporary folder beside {out}"

    example()
    print(tally.report())
    record("fuzz", tally.report())
    assert tally.checks + tally.runs >= examples * SCALE * 0.99


def native_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".csv", ".yaml"))


def flee_files(folder: Path) -> list[str]:
    names = ["simsetting.yml"] + [f"input_csv/{p.name}" for p in sorted((folder / "input_csv").glob("*.csv"))]
    names = [n for n in names if "demographics" not in n]
    series = [f"source_data/{p.name}" for p in sorted((folder / "source_data").glob("*.csv"))]
    # the series files share a quarter of the examples: there are many of them and they are all alike
    return names * 3 * len(series) + series * len(names)


@pytest.mark.parametrize("name", ["tijuana-2018", "example"])
def test_fuzz_corridor_format(name: str, runner, tmp_path: Path, record_property) -> None:
    source = REPO / "scenarios" / name
    fuzz(source, tmp_path, runner, native_files(source), AFFECTS_NATIVE, EXAMPLES[name], record_property)


@pytest.mark.parametrize("name", ["mali2012", "burundi", "dflee_weather_example"])
def test_fuzz_flee_format(name: str, runner, tmp_path: Path, record_property) -> None:
    source = flee_path(name)
    fuzz(source, tmp_path, runner, flee_files(source), AFFECTS_FLEE, EXAMPLES[name], record_property)
