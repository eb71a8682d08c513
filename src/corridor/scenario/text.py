"""Reading a scenario's text files: one set of rules for every file of both formats.

Both readers, and the observations reader, take their text from here so that they accept the same
things and refuse the rest with the same one-line errors:

- UTF-8, with or without a byte-order mark; a byte that is not UTF-8 is refused with the file, its
  line and its byte offset (a file saved as UTF-16 or Latin-1 is the usual cause).
- CRLF and CR line ends read as LF, so line numbers are those an editor shows.
- CSV rows come with the line they start on; cells are stripped of surrounding spaces (a space
  before an opening quote too), blank rows are dropped. A quote left open at the end of the file (a
  file cut short) is refused instead of swallowing the rest of the file into one cell.
- YAML is read without implicit timestamps (dates stay text and each reader checks them), with the
  line of every mapping key for errors.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from ..errors import ScenarioError

# Python's csv refuses a cell longer than its field limit (128 KiB) with a bare csv.Error.
_CELL_LIMIT = csv.field_size_limit()


def read_text(path: Path, expected: str) -> str:
    """The file's text with LF line ends and without a byte-order mark; `expected` says what the
    file should be when it is missing."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("file not found", file=str(path), expected=expected) from None
    except IsADirectoryError:
        raise ScenarioError("a folder where a file is expected", file=str(path), expected=expected) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=str(path), expected=expected) from None
    except ValueError:  # a name holding a NUL byte, which no file system allows
        raise ScenarioError("not a possible file name", file=str(path), expected=expected) from None
    return decode(data, path)


def decode(data: bytes, path: Path) -> str:
    """UTF-8 bytes as text, as read_text returns it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        hint = ""
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = " (the file starts with a UTF-16 byte-order mark: it was saved as UTF-16)"
        raise ScenarioError(
            f"not UTF-8 text: byte 0x{bad:02x} at byte offset {exc.start} is not valid UTF-8{hint}",
            file=str(path),
            row=data.count(b"\n", 0, exc.start) + 1,
            expected="a file saved as UTF-8 (plain ASCII is UTF-8 too)",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def csv_rows(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """(line, cells) of every row of `text` that has a non-blank cell; `line` is the 1-based line the
    row starts on (a quoted cell may span lines). The whole text is read, and a quote left open refused,
    before any row is returned."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    rows = []
    start = last = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _csv_error(exc, path, start) from None
        last, start = start, reader.line_num + 1
        cells = [c.strip() for c in row]
        if any(cells):
            rows.append((last, cells))
    _check_closed(text, path, last)
    return rows


def _csv_error(exc: csv.Error, path: Path, line: int) -> ScenarioError:
    if "field larger than field limit" in str(exc):
        return ScenarioError(
            f"a cell longer than {_CELL_LIMIT:,} characters (a quote opened here and never closed?)",
            file=str(path),
            row=line,
            expected='cells shorter than that, each quote closed ("...")',
        )
    return ScenarioError(f"not readable as CSV: {exc}", file=str(path), row=line, expected="comma-separated values")


def _check_closed(text: str, path: Path, line: int) -> None:
    """Refuse a quote still open at the end of the file.

    The lenient reader above (Python's default, as Flee reads these files) ends such a cell at the end
    of the file without a word; only the last row can hold one, so only its lines are read again strictly.
    """
    if '"' not in text:
        return
    tail = text.split("\n", line - 1)[-1] if line > 1 else text
    try:
        for _ in csv.reader(io.StringIO(tail), skipinitialspace=True, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise ScenarioError(
                "a quoted cell is never closed (the file ends inside it: cut short?)",
                file=str(path),
                row=line,
                expected='a closing quote (") for the quote opened on this line',
            ) from None


# --- YAML -------------------------------------------------------------------------------------


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML without implicit timestamps: dates stay text and are checked by the readers.

    libyaml's parser where PyYAML has it: the pure-Python one takes ~15 ms on tijuana-2018's comments."""


YamlLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path, text: str) -> tuple[object, dict[tuple[str, ...], int]]:
    """The document and the 1-based line of every mapping key, by path: ('move', 'camp_weight') -> 12."""
    lines: dict[tuple[str, ...], int] = {}
    seen: set[int] = set()

    def walk(node: yaml.Node, prefix: tuple[str, ...]) -> None:
        # an alias shares its node: walking each node once keeps aliases of aliases from multiplying
        if isinstance(node, yaml.MappingNode) and id(node) not in seen:
            seen.add(id(node))
            for k, v in node.value:
                key = prefix + (str(k.value),)
                lines.setdefault(key, k.start_mark.line + 1)
                walk(v, key)

    loader = None
    try:
        loader = YamlLoader(text)  # refuses control characters on sight
        root = loader.get_single_node()
        doc = None if root is None else loader.construct_document(root)
        if root is not None:
            walk(root, ())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            file=str(path),
            row=mark.line + 1 if mark else None,
        ) from None
    except RecursionError:
        raise ScenarioError("YAML nested too deeply", file=str(path), expected="a few levels of keys") from None
    finally:
        if loader is not None:
            loader.dispose()
    return doc, lines
