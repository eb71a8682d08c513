"""Errors meant for people: one line that says what is wrong and where."""

from __future__ import annotations


class CorridorError(Exception):
    """Base class for errors corridor reports without a traceback."""


class ScenarioError(CorridorError):
    """A scenario input is wrong; the message names file, row, field, value and what is valid."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.file, self.row, self.field, self.value, self.expected = file, row, field, value, expected
        where = file or ""
        if row is not None:
            where += f":{row}" if where else f"row {row}"
        parts = [f"{where}: " if where else ""]
        if field is not None:
            parts.append(f"field '{_short(str(field))}': ")
        parts.append(problem)
        if value is not None:
            parts.append(f" (got {_short(repr(value))})")
        if expected:
            parts.append(f"; expected {expected}")
        super().__init__(one_line("".join(parts)))


def _short(text: str, most: int = 200) -> str:
    """A value cut to `most` characters: a cell that swallowed half a file is shown by its start."""
    return text if len(text) <= most else text[: most - 3] + "..."


def one_line(text: str) -> str:
    """The text with line breaks and other control characters written as escapes (a place name read from a
    quoted cell may hold a line break): the message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def at(file: str, row: int) -> str:
    """Provenance label stored on scenario items: 'file:row'."""
    return f"{file}:{row}"


def split_at(label: str | None) -> tuple[str | None, int | None]:
    if not label:
        return None, None
    file, _, row = label.rpartition(":")
    if not file:
        return label, None
    try:
        return file, int(row)
    except ValueError:
        return label, None


def error_at(label: str | None, problem: str, **details: object) -> ScenarioError:
    """A ScenarioError located by an item's 'file:row' provenance label."""
    file, row = split_at(label)
    return ScenarioError(problem, file=file, row=row, **details)  # type: ignore[arg-type]
