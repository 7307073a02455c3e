"""The only code that reads ``data/``: YAML files in, records and located problems out.

Nothing here raises for bad data. Every file goes through the same steps, each of which can
stop it with a ``Problem``: read (inside the data directory, a regular file, size, UTF-8),
guard (nesting depth, aliases, tags: checked on parser events, before anything is built),
parse (ruamel.yaml's safe loader, YAML 1.2, duplicate keys rejected, impossible dates and
numbers refused), validate (pydantic), check (per-record rules in ``checks``). Positions come
from a second pass over the parser's events, made only for files that have a problem to
locate: the fast path never pays for it. The limits are in ``limits`` (README, "Limits on input").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import Problem, dotted
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
    sha256: str | None = None  # of the bytes read; None when the file was not read
    dump: dict[str, Any] | None = None  # record.model_dump(mode="json"), computed once and shared


# --------------------------------------------------------------------------- parsing

# Integers must fit in 64 bits (SQLite's INTEGER, every JSON reader's int64); nothing irkb records
# (counts, years, sizes) comes near the bound, so a longer number is a mistake or an attack.
INT_BOUND = 2**63 - 1


class ScalarError(ValueError):
    """A scalar the YAML resolver typed (a date, a number) whose value is impossible."""

    def __init__(self, code: str, message: str, mark: Any, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problem_mark = mark
        self.hint = hint


def _constructor() -> Any:
    """The safe constructor, made strict where plain YAML would crash or accept nonsense.

    An impossible date (``2026-02-30``) or an integer too long to convert raises a bare
    ``ValueError`` deep inside ruamel.yaml, with no position; ``.inf`` and ``.nan`` are floats
    JSON cannot carry. Each becomes a ``ScalarError`` located at its node.
    """
    from ruamel.yaml.constructor import SafeConstructor

    class StrictConstructor(SafeConstructor):
        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError as exc:
                raise ScalarError("invalid-date", f"'{node.value}' is not a valid date: {exc}", node.start_mark, "write dates as YYYY-MM-DD") from None

        def construct_yaml_int(self, node: Any) -> Any:
            try:
                value = super().construct_yaml_int(node)
            except ValueError:
                raise ScalarError("out-of-range", f"number '{_clip(node.value)}' is too long", node.start_mark, _NUMBER_HINT) from None
            if not -INT_BOUND <= value <= INT_BOUND:
                raise ScalarError("out-of-range", f"number '{_clip(node.value)}' does not fit in 64 bits", node.start_mark, _NUMBER_HINT)
            return value

        def construct_yaml_float(self, node: Any) -> Any:
            value = super().construct_yaml_float(node)
            if value != value or value in (float("inf"), float("-inf")):
                raise ScalarError("out-of-range", f"'{_clip(node.value)}' is not a finite number", node.start_mark, _NUMBER_HINT)
            return value

    StrictConstructor.add_constructor("tag:yaml.org,2002:timestamp", StrictConstructor.construct_yaml_timestamp)
    StrictConstructor.add_constructor("tag:yaml.org,2002:int", StrictConstructor.construct_yaml_int)
    StrictConstructor.add_constructor("tag:yaml.org,2002:float", StrictConstructor.construct_yaml_float)
    return StrictConstructor


_NUMBER_HINT = "quote the value if it is meant as text"


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _fast_yaml() -> Any:
    from ruamel.yaml import YAML

    try:
        yaml = YAML(typ="safe", pure=False)
    except Exception:  # pragma: no cover - no C extension: the pure loader is just slower
        yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _constructor()
    yaml.Resolver = _resolver()
    return yaml


def _resolver() -> Any:
    """YAML 1.2 resolution, decided once per document instead of once per scalar.

    ruamel's versioned resolver looks the document's YAML version up again for every scalar,
    which is a third of the parse time; irkb data is YAML 1.2 whatever a ``%YAML`` directive says.
    """
    from ruamel.yaml.resolver import VersionedResolver

    class Yaml12Resolver(VersionedResolver):
        @property
        def processing_version(self) -> Any:
            return (1, 2)

        @property
        def versioned_resolver(self) -> Any:
            table = self.__dict__.get("_irkb_table")
            if table is None:
                table = super().versioned_resolver
                self.__dict__["_irkb_table"] = table
            return table

    return Yaml12Resolver


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
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
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


def guard(text: str, max_depth: int, *, aliases: bool = True, tags: bool = True) -> tuple[str, int, int] | None:
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
            if aliases and isinstance(event, AliasEvent):
                return "yaml-alias", event.start_mark.line + 1, event.start_mark.column + 1
            if tags and isinstance(event, NodeEvent) and getattr(event, "tag", None) is not None:  # only a written tag sets it
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


class _Fallback(Exception):
    """Something the one-pass loader leaves to ruamel's own (slower) composer."""


_NO_KEY = object()
_TAGS: dict[str, Any] = {}  # plain scalar text -> resolved tag (it depends on the text alone)
_STR = "tag:yaml.org,2002:str"
_CONSTRUCTOR: Any = None
_RESOLVER: Any = None


def compose(text: str, max_depth: int) -> tuple[str, Any]:
    """Guard and load in one pass over libyaml's events: ``("ok", data)``, ``("refused", (code,
    line, col))`` or ``("fallback", None)``.

    The guard (depth, aliases, explicit tags) and the build share the same event stream, so a
    file is parsed once instead of twice. Plain scalars are typed by ruamel's own YAML 1.2
    resolver and built by ruamel's own constructor methods (with irkb's strict dates and
    numbers), so values are exactly what ``parse_yaml`` gives; duplicate keys are refused like
    ruamel refuses them. Whatever is unusual — a syntax error, several documents, a merge key, a
    complex key — returns ``fallback`` and takes the old two-step route, whose messages are known.
    """
    global _CONSTRUCTOR, _RESOLVER
    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - no C extension
        return "fallback", None
    from ruamel.yaml.events import (
        AliasEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )
    from ruamel.yaml.nodes import ScalarNode

    if _CONSTRUCTOR is None:
        import types

        yaml = _fast_yaml()
        holder = types.SimpleNamespace()  # what ruamel's constructor asks its loader for
        _RESOLVER = holder._resolver = yaml.Resolver(loadumper=holder)
        _CONSTRUCTOR = yaml.Constructor(loader=holder)
    stack: list[list[Any]] = []  # [container, pending key]
    root: Any = None
    documents = 0
    parser = CParser(text)
    try:
        while parser.check_event():
            event = parser.get_event()
            if getattr(event, "anchor", None) is not None:
                return "fallback", None  # anchors are rare in records: ruamel's composer judges them
            if isinstance(event, ScalarEvent):
                if event.tag is not None:
                    return "refused", ("yaml-tag", event.start_mark.line + 1, event.start_mark.column + 1)
                if event.implicit[0]:
                    tag = _TAGS.get(event.value)
                    if tag is None:
                        tag = _RESOLVER.resolve(ScalarNode, event.value, (True, False))
                        if len(_TAGS) < 65536:
                            _TAGS[event.value] = tag
                    value = event.value if tag == _STR else _scalar(tag, event, ScalarNode)
                else:
                    value = event.value
                root = _place(stack, value, event, root)
            elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                if event.tag is not None:
                    return "refused", ("yaml-tag", event.start_mark.line + 1, event.start_mark.column + 1)
                if len(stack) + 1 > max_depth:
                    return "refused", ("too-deep", event.start_mark.line + 1, event.start_mark.column + 1)
                container: Any = {} if isinstance(event, MappingStartEvent) else []
                root = _place(stack, container, event, root)
                stack.append([container, _NO_KEY])
            elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                stack.pop()
            elif isinstance(event, AliasEvent):
                return "refused", ("yaml-alias", event.start_mark.line + 1, event.start_mark.column + 1)
            elif isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    return "fallback", None
    except _Fallback:
        return "fallback", None
    except Exception:
        return "fallback", None  # a syntax error: the known route reports it with its position
    finally:
        parser.dispose()
    return "ok", root


def _scalar(tag: Any, event: Any, node_type: Any) -> Any:
    name = str(tag)
    if name == "tag:yaml.org,2002:str":
        return event.value
    if name == "tag:yaml.org,2002:merge":
        raise _Fallback
    node = node_type(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    finally:
        # ruamel remembers every node it built until its document ends; ours never does, and
        # the nodes hold the parser's marks: forget each one (memory stays flat over 10,000 files).
        _CONSTRUCTOR.constructed_objects.pop(node, None)


def _place(stack: list[list[Any]], value: Any, event: Any, root: Any) -> Any:
    """Put a built value in the open collection (or make it the document); return the root."""
    if not stack:
        return value
    frame = stack[-1]
    container = frame[0]
    if isinstance(container, list):
        container.append(value)
    elif frame[1] is _NO_KEY:
        if isinstance(value, (dict, list)):
            raise _Fallback  # a complex key: ruamel decides what to say about it
        frame[1] = (value, event.start_mark)
    else:
        key, mark = frame[1]
        if key in container:
            raise _DuplicateKey(key, mark)
        container[key] = value
        frame[1] = _NO_KEY
    return root


class _DuplicateKey(_Fallback):
    """A key written twice: the known route reports it (ruamel's message and position)."""

    def __init__(self, key: Any, mark: Any) -> None:
        super().__init__(key)
        self.key = key
        self.mark = mark


def top_level_position(text: str, loc: tuple[str | int, ...]) -> tuple[int, int] | None:
    """Line and column of a top-level key's one-line value, found without parsing; None if unsure.

    Most per-record problems point at a top-level field (``id``, ``last_reviewed``); in a block
    mapping such a key starts a line at column 1, and a value on the same line starts after
    ``key:`` and its spaces. Anything else (nested paths, block values) goes to ``locate``.
    """
    if len(loc) != 1 or not isinstance(loc[0], str):
        return None
    match = re.search(rf"^{re.escape(loc[0])}:[ ]+(?=[^\s#])", text, re.MULTILINE)
    if match is None or "\t" in text[: match.end()]:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return line, match.end() - match.start() + 1


def find_excess_depth(text: str, max_depth: int) -> tuple[int, int] | None:
    """Where nesting first exceeds ``max_depth``, or None (``guard`` for depth alone)."""
    found = guard(text, max_depth, aliases=False, tags=False)
    return (found[1], found[2]) if found else None


def find_alias(text: str) -> tuple[int, int] | None:
    """Position of the first YAML alias (``*name``), or None (``guard`` for aliases alone)."""
    found = guard(text, 2**62, tags=False)
    return (found[1], found[2]) if found else None


@dataclass
class _Frame:
    """An open collection while indexing positions."""

    path: tuple[Any, ...] | None  # None: inside a complex key, nothing to record
    is_map: bool
    next_index: int = 0
    key: Any = None
    key_mark: tuple[int, int] = (1, 1)
    awaiting_key: bool = True


_COMPLEX_KEY = object()


@dataclass
class _Positions:
    """Where every node of a document starts, by path, and where each mapping key stands."""

    values: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    keys: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    top_keys: list[tuple[int, int]] = field(default_factory=list)


@lru_cache(maxsize=4)  # problems come file by file; a few large indexes at most stay in memory
def _positions(text: str) -> _Positions:
    """Positions of the document's nodes, from the parser's events (C speed, no recursion, no tree).

    Built once per text and only when a problem needs locating. A syntax error part-way leaves
    the positions found before it.
    """
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent, MappingStartEvent, NodeEvent, ScalarEvent

    out = _Positions()
    stack: list[_Frame] = []
    try:
        for event in _events(text):
            if isinstance(event, CollectionEndEvent):
                frame = stack.pop()
                if stack and stack[-1].is_map and stack[-1].key is _COMPLEX_KEY and frame.path is None and stack[-1].awaiting_key:
                    stack[-1].awaiting_key = False
                continue
            if not isinstance(event, NodeEvent):
                continue
            mark = (event.start_mark.line + 1, event.start_mark.column + 1)
            path: tuple[Any, ...] | None
            if not stack:
                path = ()
            else:
                parent = stack[-1]
                if parent.path is None:
                    path = None
                elif not parent.is_map:
                    path = (*parent.path, parent.next_index)
                    parent.next_index += 1
                elif parent.awaiting_key:
                    parent.key_mark = mark
                    if parent.path == ():
                        out.top_keys.append(mark)
                    if isinstance(event, ScalarEvent):
                        parent.key, parent.awaiting_key = event.value, False
                    else:  # a collection as a key: skip it, then expect its value
                        parent.key = _COMPLEX_KEY
                        stack.append(_Frame(None, isinstance(event, MappingStartEvent)))
                    continue
                else:
                    path = (*parent.path, parent.key) if parent.key is not _COMPLEX_KEY else None
                    if path is not None:
                        out.keys.setdefault(path, parent.key_mark)
                    parent.key, parent.awaiting_key = None, True
            if path is not None:
                out.values.setdefault(path, mark)
            if isinstance(event, CollectionStartEvent):
                stack.append(_Frame(path, isinstance(event, MappingStartEvent)))
    except Exception:
        pass  # a syntax error: keep what was found
    return out


def locate(text: str, loc: tuple[str | int, ...], at_key: bool = False) -> tuple[int, int]:
    """1-based line and column of the YAML node at ``loc`` (a pydantic-style path).

    With ``at_key`` the position of the mapping key rather than its value. When the path runs
    out (a missing field), the position of the deepest node that exists.
    """
    found = _positions(text)
    where = found.values.get((), (1, 1))
    for end in range(1, len(loc) + 1):
        path = tuple(loc[:end])
        if path not in found.values:
            break
        where = found.keys.get(path, found.values[path]) if at_key and end == len(loc) else found.values[path]
    return where


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
# A 1 MiB file can hold a list of 200,000 wrong values: past this many, one line says how many more.
MAX_PROBLEMS_PER_FILE = 100


def _code_for(error_type: str) -> str:
    if error_type in _TYPE_CODES:
        return _TYPE_CODES[error_type]
    if "-" in error_type:  # our own PydanticCustomError types are already stable codes
        return error_type
    if error_type.endswith(("_type", "_parsing")) or error_type.startswith(("date_", "bool_", "int_", "float_")):
        return "wrong-type"
    return "invalid-value"


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


def _strip_union_tags(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """``loc`` without pydantic's union tags ('text', 'cited'), told apart from real fields by the data.

    ``('pearls', 0, 'text')`` names the tag of a plain-text pearl, but ``('aliases', 0, 'text')``
    names a field: a step is a tag exactly when the data there is not a mapping holding that key.
    """
    out: list[str | int] = []
    node = data
    for step in loc:
        if step in _UNION_TAGS and not (isinstance(node, dict) and step in node):
            continue
        out.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def validation_problems(exc: ValidationError, model: type[Record], text: str, display: str, data: Any = None) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems, one per error (``data``: what was validated)."""
    problems = []
    errors = exc.errors(include_url=False)
    for error in errors[:MAX_PROBLEMS_PER_FILE]:
        loc = _strip_union_tags(tuple(error["loc"]), data)
        code = _code_for(error["type"])
        # an empty value has no position of its own (ruamel gives the next line): point at its key
        line, col = locate(text, loc, at_key=code == "unknown-field" or (error.get("input", 0) is None and bool(loc)))
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
    if len(errors) > MAX_PROBLEMS_PER_FILE:
        rest = len(errors) - MAX_PROBLEMS_PER_FILE
        last = problems[-1]
        problems.append(
            Problem(
                display,
                last.line,
                last.col,
                "too-many-problems",
                f"{rest} more problems in this file are not listed",
                "error",
                "fix the ones above and run again",
            )
        )
    return problems


def _short(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 60


# --------------------------------------------------------------------------- files


def read_text(path: Path, display: str, data_root: Path, limits: Limits) -> tuple[str | None, Problem | None]:
    """The file's text, or a problem saying why it cannot be read (see ``read_bytes``, ``decode``)."""
    raw, problem = read_bytes(path, display, data_root, limits)
    return (None, problem) if raw is None else decode(raw, display)


def read_bytes(path: Path, display: str, data_root: Path, limits: Limits) -> tuple[bytes | None, Problem | None]:
    """The file's bytes, or a problem saying why it cannot be read.

    The file must resolve inside the data directory (a symbolic link may not lead out of it),
    be a regular file (a FIFO or device is never opened for a blocking read) and hold at most
    ``limits.max_file_bytes``.
    """
    try:
        target = path.resolve()
        inside = target.is_relative_to(data_root.resolve())
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic-link loop (Python < 3.13)
        return None, Problem(display, 0, 0, "unreadable-file", f"cannot resolve the path: {exc}", "error", "remove the looping symbolic link")
    if not inside:
        return None, Problem(
            display,
            0,
            0,
            "symlink-outside",
            f"a symbolic link leads outside the data directory (to {target})",
            "error",
            "copy the file into the knowledge base instead of linking to it",
        )
    try:
        raw = _read_regular(path, limits.max_file_bytes)
    except OSError as exc:
        return None, Problem(display, 0, 0, "unreadable-file", f"cannot read file: {exc.strerror or exc}", "error", "check the file's permissions")
    if raw is None:
        return None, Problem(display, 0, 0, "not-a-file", "not a regular file", "error", "records are plain .yaml files")
    if isinstance(raw, int):
        return None, Problem(
            display,
            0,
            0,
            "file-too-large",
            f"file is larger than the limit of {limits.max_file_bytes} bytes ({raw} bytes)",
            "error",
            "split the record, or raise IRKB_MAX_FILE_BYTES",
        )
    return raw, None


def decode(raw: bytes, display: str) -> tuple[str | None, Problem | None]:
    """UTF-8 text (a byte-order mark is allowed and dropped) without NUL, or a located problem."""
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


def _read_regular(path: Path, limit: int) -> bytes | int | None:
    """The bytes of a regular file; its size (an int) when over ``limit``; None when not a regular file.

    Opened without blocking and checked on the open descriptor, so a FIFO cannot hang the read
    and a file swapped between a check and the read is still bounded.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > limit:
            return info.st_size
        # in chunks: read(limit + 1) would allocate the whole limit up front, however large it is set
        chunks: list[bytes] = []
        total = 0
        while chunk := handle.read(min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                return total
    return b"".join(chunks)


def load_text(text: str, kind: str, display: str, stem: str, limits: Limits, today: dt.date | None = None) -> LoadedFile:
    """Load one record of ``kind`` from YAML text. Never raises for bad data."""
    return _printable_problems(_load_text(text, kind, display, stem, limits, today))


def _load_text(text: str, kind: str, display: str, stem: str, limits: Limits, today: dt.date | None) -> LoadedFile:
    from . import checks

    model = RECORD_TYPES[kind]
    result = LoadedFile(Path(display), display, kind, None)
    outcome, data = compose(text, limits.max_depth)
    refused = data if outcome == "refused" else guard(text, limits.max_depth) if outcome == "fallback" else None
    if refused:
        code, line, col = refused
        what, fix = _REFUSED[code]
        result.problems.append(Problem(display, line, col, code, what.format(depth=limits.max_depth), "error", fix))
        return result
    if outcome == "fallback":
        try:
            data = parse_yaml(text)
        except RecursionError:  # pragma: no cover - guard bounds the depth first
            result.problems.append(Problem(display, 1, 1, "too-deep", "nesting is too deep to parse", "error"))
            return result
        except Exception as exc:  # ruamel raises many error classes; all are problems in the file
            result.problems.append(_yaml_problem(exc, display))
            return result
    if data is None:
        result.problems.append(Problem(display, 1, 1, "empty-file", "file holds no record", "error", f"run 'irkb new {kind} {stem}' for a template"))
        return result
    if not isinstance(data, dict):
        line, col = _root_position(text)
        result.problems.append(
            Problem(
                display,
                line,
                col,
                "not-a-mapping",
                f"a record must be a mapping of field: value, not a {_yaml_type(data)}",
                "error",
                "write one 'field: value' per line",
            )
        )
        return result
    for index, key in enumerate(data):
        if not isinstance(key, str):
            line, col = _key_position(text, index)
            result.problems.append(Problem(display, line, col, "invalid-key", f"field names must be text, not {_clip(repr(key))}", "error"))
            return result
    try:
        record = model.model_validate(data)
        dump = record.model_dump(mode="json")
        refs = checks.references(record, dump)
        found = list(checks.record_checks(record, stem, today or dt.date.today(), dump))
    except ValidationError as exc:
        result.problems.extend(validation_problems(exc, model, text, display, data))
        return result
    except (ValueError, TypeError, ArithmeticError, LookupError, AttributeError) as exc:
        # A rule that trips over a value nobody foresaw (a count too large to divide, say)
        # costs this file, never the run: the curator still gets every other problem.
        result.problems.append(
            Problem(
                display,
                1,
                1,
                "invalid-record",
                f"record could not be checked: {type(exc).__name__}: {_clip(str(exc), 120)}",
                "error",
                "look for an extreme value",
            )
        )
        return result
    result.record = record
    result.refs = refs
    result.dump = dump
    for loc, code, message, level, hint in found:
        line, col = top_level_position(text, loc or ("id",)) or locate(text, loc or ("id",))
        result.problems.append(Problem(display, line, col, code, message, "error" if level == "error" else "warning", hint))
    return result


# code -> (message, hint) of the constructs ``guard`` refuses.
_REFUSED = {
    "too-deep": ("nesting is deeper than {depth} levels", "flatten the record, or raise IRKB_MAX_DEPTH if it really needs the depth"),
    "yaml-alias": ("YAML anchors and aliases are not allowed in irkb data", "write the value out in full"),
    "yaml-tag": ("YAML tags (!tag, !!type) are not allowed in irkb data", "remove the tag; a quoted value is always text"),
}


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "text value"
    if isinstance(value, bool):
        return "true/false value"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (dt.date, dt.datetime)):
        return "date"
    return type(value).__name__


def _root_position(text: str) -> tuple[int, int]:
    """Line and column where the document's top node starts (after comments and directives)."""
    from ruamel.yaml.events import NodeEvent

    try:
        for event in _events(text):
            if isinstance(event, NodeEvent):
                return event.start_mark.line + 1, event.start_mark.column + 1
    except Exception:
        pass
    return 1, 1


def _key_position(text: str, index: int) -> tuple[int, int]:
    """Line and column of the ``index``-th key of the top-level mapping."""
    keys = _positions(text).top_keys
    return keys[index] if index < len(keys) else _root_position(text)


def _yaml_problem(exc: Exception, display: str) -> Problem:
    if isinstance(exc, ScalarError):
        mark = exc.problem_mark
        return Problem(display, mark.line + 1, mark.column + 1, exc.code, exc.message, "error", exc.hint)
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
    """The path shown in problems: relative to the working directory when inside it.

    Symbolic links are not followed: a problem names the file the curator has, not its target.
    Characters that are not printable are escaped (see ``printable``).
    """
    try:
        shown = str(Path(os.path.abspath(path)).relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        try:
            shown = str(Path(root.name) / path.relative_to(root))
        except ValueError:
            shown = str(path)
    return printable(shown)


def printable(text: str) -> str:
    """``text`` with every character that is not printable escaped (``\\n``, ``\\u202e``).

    File names and keys come from the data: a newline in one must not forge a line of
    ``validate`` output (or a CI annotation), nor a bidi control disguise what a line says.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _printable_problems(result: LoadedFile) -> LoadedFile:
    from dataclasses import replace

    result.problems = [
        p if p.message.isprintable() and (p.hint or "").isprintable() else replace(p, message=printable(p.message), hint=p.hint and printable(p.hint))
        for p in result.problems
    ]
    return result


def load_file(kind: str, path: Path, data_dir: Path, limits: Limits, today: dt.date | None = None) -> LoadedFile:
    """Load one data file of ``kind``; every failure becomes a problem."""
    return _printable_problems(_load_file(kind, path, data_dir, limits, today))


def _load_file(kind: str, path: Path, data_dir: Path, limits: Limits, today: dt.date | None) -> LoadedFile:
    display = display_path(path, data_dir)
    try:
        is_directory = stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        is_directory = False  # gone or unreadable: reading it below says which
    if is_directory:
        return LoadedFile(
            path,
            display,
            kind,
            None,
            [Problem(display, 0, 0, "unexpected-directory", "directories are not read here", "warning", "records live directly in the kind's folder")],
        )
    if path.suffix != ALLOWED_SUFFIX:
        hint = f"rename it to {path.stem}.yaml" if path.suffix.lower() in (".yml", ".yaml") else "only .yaml files are records"
        return LoadedFile(path, display, kind, None, [Problem(display, 0, 0, "wrong-extension", f"'{path.name}' is not a .yaml file", "error", hint)])
    raw, problem = read_bytes(path, display, data_dir, limits)
    if raw is None:
        assert problem is not None
        return LoadedFile(path, display, kind, None, [problem])
    digest = hashlib.sha256(raw).hexdigest()
    text, problem = decode(raw, display)
    if text is None:
        assert problem is not None
        return LoadedFile(path, display, kind, None, [problem], sha256=digest)
    result = load_text(text, kind, display, path.stem, limits, today)
    result.path = path
    result.sha256 = digest
    return result
