"""Problems found in data (values, never raised) and the exceptions of the irkb core."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["error", "warning"]

# Exit codes, in one place (documented in the README and in `irkb --help`).
EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_AMBIGUOUS = 4
EXIT_INTERNAL = 70


def dotted(loc: tuple[str | int, ...]) -> str:
    """``('complications', 0, 'rate')`` -> ``complications[0].rate``."""
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(record)"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one data file, located by line and column (1-based; 0 when unknown)."""

    path: str
    line: int
    col: int
    code: str
    message: str = field(compare=False)
    level: Level = field(default="error", compare=False)
    hint: str | None = field(default=None, compare=False)

    def format(self) -> str:
        """``path:line:col: [level] code message (hint)``, the curator's one-line form."""
        where = self.path if self.line == 0 else f"{self.path}:{self.line}:{self.col}"
        text = f"{where}: [{self.level}] {self.code} {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON object, keys in the documented order."""
        data = asdict(self)
        return {k: data[k] for k in ("path", "line", "col", "level", "code", "message", "hint")}


class IrkbError(Exception):
    """Base of the errors irkb reports to a user; ``exit_code`` is the process exit status."""

    exit_code = EXIT_INTERNAL


class UsageError(IrkbError):
    """The command was called wrongly (a value outside a closed vocabulary, bad option mix)."""

    exit_code = EXIT_USAGE


class DataDirError(IrkbError):
    """The knowledge base directory is missing or cannot be written."""

    exit_code = EXIT_USAGE


class NotFound(IrkbError):
    """No record matches the key; ``candidates`` are did-you-mean suggestions."""

    exit_code = EXIT_NOT_FOUND

    def __init__(self, query: str, candidates: list[str], kind: str | None = None) -> None:
        self.query = query
        self.candidates = candidates
        self.kind = kind
        what = kind or "record"
        text = f"no {what} matches '{query}'"
        if candidates:
            text += "; did you mean: " + ", ".join(candidates) + "?"
        super().__init__(text)


class Ambiguous(IrkbError):
    """Several records match the key (a shared abbreviation); ``candidates`` lists them."""

    exit_code = EXIT_AMBIGUOUS

    def __init__(self, query: str, candidates: list[str], labels: dict[str, str] | None = None) -> None:
        self.query = query
        self.candidates = candidates
        self.labels = labels or {}
        shown = [f"{c} ({self.labels[c.split(':')[-1]]})" if self.labels.get(c.split(":")[-1]) else c for c in candidates]
        super().__init__(f"'{query}' is ambiguous; it may mean: " + ", ".join(shown))
