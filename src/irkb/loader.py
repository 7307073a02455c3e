"""The only code that reads ``data/``: YAML files in, records and located problems out.

Nothing here raises for bad data. Every file goes through the same steps, each of which can
stop it with a ``Problem``: read (size, encoding, symlinks), guard (nesting depth, anchors and
aliases), parse (ruamel.yaml safe loader, YAML 1.2, duplicate keys rejected, no tags), validate
(pydantic), check (per-record rules in ``checks``). Positions come from a second, round-trip
parse, done only for files that have a problem to locate: the fast path never pays for it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import Problem
from .limits import Limits as Limits  # re-exported: callers have always found it here
from .models import RECORD_TYPES, Record

ALLOWED_SUFFIX = ".yaml"
IGNORED_NAMES = {"README.md", ".gitkeep", ".DS_Store"}


@dataclass(frozen=True)
class Reference:
    """A reference from one record to another, with where it stands in the record."""

    target_kind: str
    target: str
    loc: tuple[str | int, ...]


@dataclass
class LoadedFile:
    """What loading one file gave: a record (when valid), its problems and its references."""

    path: Path
    display: str
    kind: str
    record: Record | None
    problems: list[Problem] = field(default_factory=list)
    refs: list[Reference] = field(default_factory=list)


# --------------------------------------------------------------------------- parsing

# Integers must fit in 64 bits (SQLite's INTEGER, every JSON reader's int64); nothing irkb records
# (counts, years, sizes) comes near the bound, so a longer number is a mistake or an attack.
INT_BOUND = 2**63 - 1


class ScalarError(ValueError):
    """A scalar the YAML resolver typed (a date, a number) whose value is impossible."""

    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problem_mark = mark


def _constructor() -> Any:
    """The safe constructor, made strict where plain YAML would crash or accept nonsense.

    An impossible date (``2026-02-30``) or an integer too long to convert raises a bare
    ``ValueError`` deep inside ruamel.yaml, with no position; ``.inf`` and ``.nan`` are floats
    JSON cannot carry. Each becomes a ``ScalarError`` located at its node.
    """
    from ruamel.yaml.constructor import SafeConstructor

    class StrictConstructor(SafeConstructor):  # type: ignore[misc]
        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError as exc:
                raise ScalarError("invalid-date", f"'{node.value}' is not a valid date: {exc}", node.start_mark) from None

        def construct_yaml_int(self, node: Any) -> Any:
            try:
                value = super().construct_yaml_int(node)
            except ValueError:
                raise ScalarError("out-of-range", f"number '{_clip(node.value)}' is too long", node.start_mark) from None
            if not -INT_BOUND <= value <= INT_BOUND:
                raise ScalarError("out-of-range", f"number '{_clip(node.value)}' does not fit in 64 bits", node.start_mark)
            return value

        def construct_yaml_float(self, node: Any) -> Any:
            value = super().construct_yaml_float(node)
            if value != value or value in (float("inf"), float("-inf")):
                raise ScalarError("out-of-range", f"'{_clip(node.value)}' is not a finite number", node.start_mark)
            return value

    StrictConstructor.add_constructor("tag:yaml.org,2002:timestamp", StrictConstructor.construct_yaml_timestamp)
    StrictConstructor.add_constructor("tag:yaml.org,2002:int", StrictConstructor.construct_yaml_int)
    StrictConstructor.add_constructor("tag:yaml.org,2002:float", StrictConstructor.construct_yaml_float)
    return StrictConstructor


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _fast_yaml() -> Any:
    from ruamel.yaml import YAML

    try:
        yaml = YAML(typ="safe", pure=False)
    except Exception:  # pragma: no cover - no C extension: the pure loader is just slower
        yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _constructor()
    return yaml


_FAST: Any = None


def parse_yaml(text: str) -> Any:
    """Parse one YAML document with the safe loader (YAML 1.2, no tags, duplicate keys rejected).

    Call ``guard`` first: the composer recurses, and very deep input crashes the process.
    """
    global _FAST
    if _FAST is None:
        _FAST = _fast_yaml()
    return _FAST.load(text)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _events(text: str) -> Iterator[Any]:
    """The parser's events for ``text``: libyaml's parser when present (fast), else the pure one.

    Both keep their own stack instead of recursing, so no nesting depth can crash them.
    """
    try:
        from ruamel.yaml.cyaml import CParser
    except ImportError:  # pragma: no cover - no C extension
        from ruamel.yaml import YAML

        yield from YAML(typ="safe", pure=True).parse(text)
        return
    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


def guard(text: str, max_depth: int) -> tuple[str, int, int] | None:
    """The first construct irkb refuses before loading: ``(code, line, col)``, or None.

    Codes: ``too-deep`` (collections nested deeper than ``max_depth``), ``yaml-alias`` (an alias:
    expanding them is the "billion laughs" attack), ``yaml-tag`` (an explicit ``!tag``). This walks
    parser events only, never building anything, and stops at the first breach, so it is linear
    in the input and bounded in memory whatever the nesting. A syntax error ends the walk with
    None: the real parse then reports it, and cannot have nested deeper than the walk got.
    """
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

    depth = 0
    try:
        for event in _events(text):
            if isinstance(event, AliasEvent):
                return "yaml-alias", event.start_mark.line + 1, event.start_mark.column + 1
            if isinstance(event, NodeEvent) and getattr(event, "tag", None) is not None and not _implicit(event):
                return "yaml-tag", event.start_mark.line + 1, event.start_mark.column + 1
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    return "too-deep", event.start_mark.line + 1, event.start_mark.column + 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except RecursionError:  # pragma: no cover - only the pure fallback could, and it keeps a stack
        return "too-deep", 1, 1
    except Exception:
        return None  # a syntax error: the real parse reports it with its position
    return None


def _implicit(event: Any) -> bool:
    """Whether a node's tag was resolved by the parser rather than written in the file."""
    implicit = getattr(event, "implicit", False)
    return bool(implicit[0] if isinstance(implicit, tuple) else implicit)


def find_excess_depth(text: str, max_depth: int) -> tuple[int, int] | None:
    """Where nesting first exceeds ``max_depth``, or None (see ``guard``)."""
    found = guard(text, max_depth)
    return found[1:] if found and found[0] == "too-deep" else None


def find_alias(text: str) -> tuple[int, int] | None:
    """Position of the first YAML alias (``*name``), or None (see ``guard``)."""
    found = guard(text, 10**9)
    return found[1:] if found and found[0] == "yaml-alias" else None


@lru_cache(maxsize=64)
def _round_trip(text: str) -> Any:
    from ruamel.yaml import YAML

    try:
        return YAML(typ="rt", pure=True).load(text)
    except Exception:
        return None


def locate(text: str, loc: tuple[str | int, ...], at_key: bool = False) -> tuple[int, int]:
    """1-based line and column of the YAML node at ``loc`` (a pydantic-style path).

    With ``at_key`` the position of the mapping key rather than its value. When the path runs
    out (a missing field), the position of the deepest node that exists.
    """
    node: Any = _round_trip(text)
    line, col = 1, 1
    if node is None:
        return line, col
    if hasattr(node, "lc"):
        line, col = node.lc.line + 1, node.lc.col + 1
    current: Any = node
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        node = current
        try:
            if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
                ln, cl = getattr(node, "lc").item(step)  # noqa: B009
                current = node[step]
            elif isinstance(step, str) and isinstance(node, dict) and step in node:
                lc = getattr(node, "lc")  # noqa: B009
                ln, cl = lc.key(step) if (last and at_key) else lc.value(step)
                current = node[step]
            else:
                break
        except (AttributeError, KeyError, TypeError, IndexError):
            break
        line, col = ln + 1, cl + 1
    return line, col


# --------------------------------------------------------------------------- pydantic errors

_TYPE_CODES = {
    "extra_forbidden": "unknown-field",
    "missing": "missing-field",
    "enum": "invalid-value",
    "literal_error": "invalid-value",
    "string_pattern_mismatch": "invalid-format",
    "greater_than": "out-of-range",
    "greater_than_equal": "out-of-range",
    "less_than": "out-of-range",
    "less_than_equal": "out-of-range",
    "too_short": "too-short",
    "too_long": "too-long",
    "string_too_short": "empty-value",
    "string_too_long": "too-long",
    "union_tag_invalid": "wrong-type",
}
_UNION_TAGS = {"text", "cited"}


def _code_for(error_type: str) -> str:
    if error_type in _TYPE_CODES:
        return _TYPE_CODES[error_type]
    if "-" in error_type:  # our own PydanticCustomError types are already stable codes
        return error_type
    if error_type.endswith(("_type", "_parsing")) or error_type.startswith(("date_", "bool_", "int_", "float_")):
        return "wrong-type"
    return "invalid-value"


def dotted(loc: tuple[str | int, ...]) -> str:
    """``('complications', 0, 'rate')`` -> ``complications[0].rate``."""
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(record)"


def _hint_for(code: str, error: Any, model: type[Record], loc: tuple[str | int, ...]) -> str | None:
    if code == "unknown-field" and isinstance(loc[-1], str):
        import difflib

        fields = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(loc[-1], fields, n=1)
        if close:
            return f"did you mean '{close[0]}'?"
        return "allowed fields: " + ", ".join(fields) if fields else None
    if code == "invalid-value":
        expected = (error.get("ctx") or {}).get("expected")
        return f"allowed: {expected}" if expected else None
    if code == "invalid-format" and loc and loc[-1] in ("id", "modality", "complication", "source", "procedure"):
        return "ids are kebab-case: lower-case letters, digits and single hyphens"
    return None


def _fields_at(model: type[Record], loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the (sub)model found at ``loc``, for 'did you mean' hints."""
    from pydantic import BaseModel

    current: Any = model
    for step in loc:
        if isinstance(step, int) or step in _UNION_TAGS:
            continue
        info = current.model_fields.get(step) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def validation_problems(exc: ValidationError, model: type[Record], text: str, display: str) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems, one per error."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(step for step in error["loc"] if step not in _UNION_TAGS)
        code = _code_for(error["type"])
        line, col = locate(text, loc, at_key=code == "unknown-field")
        if code == "unknown-field":
            message = f"unknown field '{loc[-1]}'" + (f" in {dotted(loc[:-1])}" if len(loc) > 1 else "")
        elif code == "missing-field":
            message = f"missing required field '{dotted(loc)}'"
        else:
            message = f"{dotted(loc)}: {error['msg']}"
            value = error.get("input")
            if code in ("invalid-value", "invalid-format", "wrong-type", "out-of-range") and _short(value):
                message += f" (got {value!r})"
        problems.append(Problem(display, line, col, code, message, "error", _hint_for(code, error, model, loc)))
    return problems


def _short(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 60


# --------------------------------------------------------------------------- files


def read_text(path: Path, display: str, data_root: Path, limits: Limits) -> tuple[str | None, Problem | None]:
    """The file's text, or a problem saying why it cannot be read."""
    try:
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(data_root.resolve()):
                return None, Problem(
                    display,
                    0,
                    0,
                    "symlink-outside",
                    f"symbolic link points outside the data directory ({target})",
                    "error",
                    "copy the file into the knowledge base instead of linking to it",
                )
        if not path.is_file():
            return None, Problem(display, 0, 0, "not-a-file", "not a regular file", "error")
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            return None, Problem(
                display,
                0,
                0,
                "file-too-large",
                f"file is {size} bytes; the limit is {limits.max_file_bytes}",
                "error",
                "split the record, or raise IRKB_MAX_FILE_BYTES",
            )
        raw = path.read_bytes()
    except OSError as exc:
        return None, Problem(display, 0, 0, "unreadable-file", f"cannot read file: {exc.strerror or exc}", "error")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Problem(display, line, col, "invalid-utf8", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", "error", "save the file as UTF-8")
    if "\x00" in text:
        offset = text.index("\x00")
        line, col = _line_col(text, offset)
        return None, Problem(display, line, col, "invalid-character", "file contains a NUL character", "error")
    return text, None


def load_text(text: str, kind: str, display: str, stem: str, limits: Limits, today: dt.date | None = None) -> LoadedFile:
    """Load one record of ``kind`` from YAML text. Never raises for bad data."""
    from . import checks

    model = RECORD_TYPES[kind]
    result = LoadedFile(Path(display), display, kind, None)
    where = find_excess_depth(text, limits.max_depth)
    if where:
        result.problems.append(
            Problem(
                display, *where, "too-deep", f"nesting is deeper than {limits.max_depth} levels", "error", "raise IRKB_MAX_DEPTH if the record really needs it"
            )
        )
        return result
    where = find_alias(text)
    if where:
        result.problems.append(
            Problem(display, *where, "yaml-alias", "YAML anchors and aliases are not allowed in irkb data", "error", "write the value out in full")
        )
        return result
    try:
        data = parse_yaml(text)
    except RecursionError:
        result.problems.append(Problem(display, 1, 1, "too-deep", "nesting is too deep to parse", "error"))
        return result
    except Exception as exc:  # ruamel raises many error classes; all are problems in the file
        result.problems.append(_yaml_problem(exc, display))
        return result
    if data is None:
        result.problems.append(Problem(display, 1, 1, "empty-file", "file holds no record", "error", f"run 'irkb new {kind} {stem}' for a template"))
        return result
    if not isinstance(data, dict):
        result.problems.append(Problem(display, 1, 1, "not-a-mapping", f"a record must be a mapping of field: value, not a {_yaml_type(data)}", "error"))
        return result
    if not all(isinstance(k, str) for k in data):
        bad = next(k for k in data if not isinstance(k, str))
        line, col = locate(text, ())
        result.problems.append(Problem(display, line, col, "invalid-key", f"field names must be text, not {bad!r}", "error"))
        return result
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        result.problems.extend(validation_problems(exc, model, text, display))
        return result
    result.record = record
    result.refs = checks.references(record)
    for loc, code, message, level, hint in checks.record_checks(record, stem, today or dt.date.today()):
        line, col = locate(text, loc or ("id",))
        result.problems.append(Problem(display, line, col, code, message, "error" if level == "error" else "warning", hint))
    return result


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "text value"
    return type(value).__name__


def _yaml_problem(exc: Exception, display: str) -> Problem:
    name = type(exc).__name__
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if name == "DuplicateKeyError":
        match = re.search(r'found duplicate key "([^"]*)"', str(exc))
        key = match.group(1) if match else "?"
        return Problem(display, line, col, "duplicate-key", f"duplicate key '{key}'", "error", "each field may appear once; merge the two")
    if name == "ConstructorError" and "tag" in str(problem):
        return Problem(display, line, col, "yaml-tag", f"YAML tags are not allowed: {problem}", "error", "remove the '!tag'")
    text = " ".join(str(problem).split())
    context = getattr(exc, "context_mark", None)
    context_text = getattr(exc, "context", None)
    if context is not None and context_text and (context.line, context.column) != (line - 1, col - 1):
        text += f" ({' '.join(str(context_text).split())} started at line {context.line + 1}, column {context.column + 1})"
    hint = "indent with spaces, not tabs" if "\\t" in text or "tab" in text.lower() else None
    return Problem(display, line, col, "yaml-syntax", f"YAML syntax error: {text}", "error", hint)


def display_path(path: Path, root: Path) -> str:
    """The path shown in problems: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        try:
            return str(Path(root.name) / path.relative_to(root))
        except ValueError:
            return str(path)


def iter_data_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    """Every file under each kind's directory, sorted, as (kind, path); wrong ones included."""
    for kind, model in RECORD_TYPES.items():
        folder = data_dir / model.directory
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name in IGNORED_NAMES or path.name.startswith("."):
                continue
            yield kind, path


def load_file(kind: str, path: Path, data_dir: Path, limits: Limits, today: dt.date | None = None) -> LoadedFile:
    """Load one data file of ``kind``; every failure becomes a problem."""
    display = display_path(path, data_dir)
    if path.is_dir() and not path.is_symlink():
        return LoadedFile(
            path,
            display,
            kind,
            None,
            [Problem(display, 0, 0, "unexpected-directory", "directories are not read here", "warning", "records live directly in the kind's folder")],
        )
    if path.suffix != ALLOWED_SUFFIX:
        hint = f"rename it to {path.stem}.yaml" if path.suffix in (".yml", ".YAML", ".YML") else "only .yaml files are records"
        return LoadedFile(path, display, kind, None, [Problem(display, 0, 0, "wrong-extension", f"'{path.name}' is not a .yaml file", "error", hint)])
    text, problem = read_text(path, display, data_dir, limits)
    if text is None:
        assert problem is not None
        return LoadedFile(path, display, kind, None, [problem])
    result = load_text(text, kind, display, path.stem, limits, today)
    result.path = path
    return result
