"""The canonical formatter (``irkb fmt``): data files laid out one way, nothing in them lost.

It works on the YAML text with ruamel.yaml's round-trip mode, so comments, flow-style lists, block
scalars and quoting survive; it only puts top-level keys in canonical order and indents the way
the shipped files do (2 spaces, sequences indented under their key, values kept on one line). It
never changes a value: every result is loaded again and compared with the original, and one that
differs in a value or loses a comment is refused. A file saved by someone else while fmt worked is
left as they saved it (a compare-and-swap, ``irkb.atomic``).
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..atomic import Stamp
from ..errors import Problem, UsageError
from ..kinds import BY_FOLDER, NAMES

YAML_WIDTH = 100_000  # never wrap: the shipped files keep each value on one line
INDENT = {"mapping": 2, "sequence": 4, "offset": 2}  # '  - item' under its key, as most shipped files do
_SCHEMA_LINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=\S*?([a-z-]+)\.schema\.json\s*$")


class FormatError(Exception):
    """A file the formatter cannot or will not rewrite; ``line`` and ``col`` are 1-based (0: unknown)."""

    def __init__(self, code: str, message: str, line: int = 0, col: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.col = col
        self.hint = hint


@dataclass(frozen=True)
class FmtResult:
    """What formatting one file gave: the new text (when it parsed) or a problem, and whether it differs."""

    path: Path
    display: str
    original: str | None
    formatted: str | None
    problem: Problem | None = None
    stamp: Stamp | None = None  # the version read: the write only replaces that version

    @property
    def changed(self) -> bool:
        """Whether the canonical text differs from the file."""
        return self.formatted is not None and self.formatted != self.original


def _round_trip_yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.indent(**INDENT)
    yaml.width = YAML_WIDTH
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    return yaml


def kind_of(path: Path, text: str | None = None) -> str | None:
    """The record kind of a data file: from its folder, else from its ``$schema`` line."""
    found = BY_FOLDER.get(path.parent.name)
    kind = found.name if found is not None else None
    if kind is None and text:
        match = _SCHEMA_LINE.match(text.split("\n", 1)[0].strip())
        if match and match.group(1) in NAMES:
            kind = match.group(1)
    return kind


def canonical_order(kind: str | None, keys: Iterable[Any]) -> list[Any]:
    """Keys in the kind's canonical field order. An unknown key (a typo, a stray field) stays where
    it stands: it moves with the known key just before it, so validate's problem and the mistake
    stay next to each other."""
    keys = list(keys)
    if kind is None:
        return keys
    from ..model import field_order

    order = {name: i for i, name in enumerate(field_order(kind))}
    groups: list[list[Any]] = []
    for key in keys:
        if (isinstance(key, str) and key in order) or not groups:
            groups.append([key])
        else:
            groups[-1].append(key)
    groups.sort(key=lambda g: order.get(g[0], -1) if isinstance(g[0], str) else -1)
    return [k for g in groups for k in g]


def strip_template(text: str, kind: str | None) -> str:
    """``text`` without the comment lines ``irkb new`` wrote (each one exactly as the template has it)."""
    if kind is None:
        return text
    from .new import template_comments

    ours = template_comments(kind)
    return "".join(line for line in text.splitlines(keepends=True) if not (line.startswith("#") and line.strip() in ours))


def format_text(text: str, kind: str | None, *, strip: bool = False) -> str:
    """The canonical form of one data file's YAML text (``strip``: without the template's comments).
    Raises ``FormatError`` when it cannot be formatted safely."""
    if strip:
        text = strip_template(text, kind)
    from ..ingest.limits import Limits
    from ..ingest.yaml import REFUSED, guard

    limits = Limits.from_env()
    refused = guard(text, limits.max_depth)  # what validate refuses, fmt refuses: the same guard
    if refused:
        code, line, col = refused
        what, hint = REFUSED[code]
        raise FormatError(code, what.format(depth=limits.max_depth), line, col, hint)
    original = _parse(_safe, text)  # what the values are; also refuses tags the loader refuses
    if not isinstance(original, (dict, list)):
        return text  # no record here (empty, only comments, or a lone value): nothing to lay out
    source = text
    if not text.endswith("\n"):
        text += "\n"
    yaml = _round_trip_yaml()
    try:
        data: Any = _parse(yaml.load, text)
    except FormatError:
        # libyaml (what validate reads with) allows a tab before a comment; the round-trip parser
        # does not. Spaces there change no value (checked below, as every result is).
        spaced = re.sub(r"\t+(?=#)", " ", text)
        if spaced == text:
            raise
        text = source = spaced
        data = _parse(yaml.load, text)
    if isinstance(data, dict):
        wanted = canonical_order(kind, data)
        if wanted != list(data):
            if _one_key_per_line(data):
                text = _reorder_top_level(text, data, wanted)
                data = _parse(yaml.load, text)
            else:  # a flow-style mapping at the top: reorder the keys in place
                for key in wanted:
                    cast(Any, data).move_to_end(key)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    out = buffer.getvalue()
    trimmed = out.rstrip("\n") + "\n"  # no blank lines at the end of the file
    if trimmed != out and _same_text_value(trimmed, original):
        out = trimmed
    _verify(source, original, out)
    return out


def _same_text_value(text: str, value: Any) -> bool:
    try:
        return same_value(_safe(text), value)
    except Exception:
        return False


def _safe(text: str) -> Any:
    from ..ingest.yaml import parse_yaml

    return parse_yaml(text)


def _parse(load: Any, text: str) -> Any:
    try:
        return load(text)
    except RecursionError as exc:
        raise FormatError("too-deep", "nesting is too deep to parse", 1, 1) from exc
    except Exception as exc:  # ruamel raises many error classes; all mean the file does not parse
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FormatError("yaml-syntax", f"does not parse as YAML: {' '.join(str(problem).split())}", line, col, "fix it, then run fmt again") from exc


def _one_key_per_line(data: Any) -> bool:
    """Whether each top-level key starts its own line at column 0 (a block mapping)."""
    positions = [data.lc.key(k) for k in data]
    return all(col == 0 for _, col in positions) and all(a[0] < b[0] for a, b in itertools.pairwise(positions))


def _is_loose(line: str) -> bool:
    """A blank line or a comment at column 0: it introduces the key below it."""
    return not line.strip() or line.startswith("#")


def _reorder_top_level(text: str, data: Any, wanted: list[Any]) -> str:
    """Move whole top-level blocks (a key, its value, and the comments just above it) into ``wanted`` order.

    Working on lines keeps every comment next to the key it introduces; the round-trip dump
    that follows fixes the indentation.
    """
    lines = text.splitlines(keepends=True)
    keys = list(data)
    starts = [data.lc.key(k)[0] for k in keys]
    # a key's block begins at the run of blank lines and column-0 comments right above it
    begins = []
    for i, start in enumerate(starts):
        j = start
        if i:
            while j > starts[i - 1] + 1 and _is_loose(lines[j - 1]):
                j -= 1
        else:
            # the first key takes the comments right above it, unless they run on from the $schema
            # line: then they are the file's header and stay first
            while j > 0 and lines[j - 1].startswith("#"):
                j -= 1
            if _SCHEMA_LINE.match(lines[0].strip()):
                j = start if j <= 1 else j
        begins.append(j)
    end = len(lines)
    while end > starts[-1] + 1 and _is_loose(lines[end - 1]):
        end -= 1  # trailing comments stay at the end of the file
    header, footer = lines[: begins[0]], lines[end:]
    blocks = {}
    for i, key in enumerate(keys):
        stop = begins[i + 1] if i + 1 < len(keys) else end
        blocks[key] = lines[begins[i] : stop]
    body = [line for key in wanted for line in blocks[key]]
    return "".join(header + body + footer)


def _verify(before: str, value: Any, after: str) -> None:
    """Refuse a result that changes a value or loses a comment."""
    if not _same_text_value(after, value):
        raise FormatError("fmt-would-change-value", "formatting would change a value; file left untouched", hint="please report this as an irkb bug")
    lost = _missing(comments(before), comments(after))
    if lost:
        raise FormatError(
            "fmt-would-lose-comment", f"formatting would lose the comment {lost[0]!r}; file left untouched", hint="please report this as an irkb bug"
        )


def _missing(before: list[str], after: list[str]) -> list[str]:
    remaining = list(after)
    lost = []
    for comment in before:
        if comment in remaining:
            remaining.remove(comment)
        else:
            lost.append(comment)
    return lost


def same_value(a: Any, b: Any) -> bool:
    """Deep equality that also compares types (1 is not 1.0, '1' is not 1, a date is not its text)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def comments(text: str) -> list[str]:
    """Every comment in YAML text (stripped, in order). A '#' inside a value is not a comment."""
    if "#" not in text:
        return []
    first, _, rest = text.partition("\n")
    if "#" not in rest and first.startswith("#"):  # the common case: only the '$schema' line
        return [first.strip()]
    from ruamel.yaml import YAML
    from ruamel.yaml.tokens import ScalarToken

    spans = [(t.start_mark.index, t.end_mark.index) for t in YAML(typ="safe", pure=True).scan(text) if isinstance(t, ScalarToken)]
    found = []
    span = 0
    for match in re.finditer(r"(?:(?<=\s)|^)#[^\n]*", text, flags=re.MULTILINE):
        while span < len(spans) and spans[span][1] <= match.start():
            span += 1
        if span < len(spans) and spans[span][0] <= match.start() < spans[span][1]:
            continue
        found.append(match.group().strip())
    return found


def format_file(path: Path, data_root: Path | None = None, *, strip_template: bool = False) -> FmtResult:
    """Read and format one file; a file that cannot be read or formatted gives a problem instead.

    A file with Windows line ends (CRLF) keeps them.
    """
    import os

    from ..ingest.files import decode, display_path, read_bytes
    from ..ingest.limits import Limits

    root = data_root or path.parent
    display = display_path(path, root)
    raw, problem = read_bytes(path, display, root, Limits.from_env())
    if raw is None:
        return FmtResult(path, display, None, None, problem)
    text, problem = decode(raw, display)
    if text is None:
        return FmtResult(path, display, None, None, problem)
    try:
        stamp: Stamp | None = Stamp.of(os.stat(path, follow_symlinks=False), raw)
    except OSError:
        stamp = None
    crlf = "\r\n" in text
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""  # a byte-order mark stays where the editor put it
    try:
        formatted = format_text(text.replace("\r\n", "\n") if crlf else text, kind_of(path, text), strip=strip_template)
    except FormatError as exc:
        return FmtResult(path, display, bom + text, None, Problem(display, exc.line, exc.col, exc.code, exc.message, "error", exc.hint), stamp)
    if crlf:
        formatted = formatted.replace("\n", "\r\n")
    return FmtResult(path, display, bom + text, bom + formatted, None, stamp)


def write_formatted(result: FmtResult) -> bool:
    """Replace the file with its canonical text, atomically, only if it is still the version that was
    read; False when someone saved it meanwhile (their version is kept)."""
    from ..atomic import ChangedOnDisk, TargetRefused, write_text

    if result.formatted is None or not result.changed or result.stamp is None:
        return False
    try:
        write_text(result.path, result.formatted, expect=result.stamp)
    except (ChangedOnDisk, TargetRefused):
        return False
    return True


def data_files(data_dir: Path) -> list[Path]:
    """Every ``.yaml`` data file of a knowledge base, in kind order then by name."""
    import stat

    from ..index.scan import scan

    out = []
    for _kind, rel, _size, _mtime in scan(data_dir):
        path = data_dir / rel
        try:
            regular = stat.S_ISREG(path.lstat().st_mode)
        except OSError:
            regular = False
        if path.suffix == ".yaml" and regular:
            out.append(path)
    return out


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the ``.yaml`` files under directories named (sorted); missing paths raise ``UsageError``."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.yaml") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.exists():
            out.append(path)
        else:
            raise UsageError(f"'{path}' does not exist")
    return out
