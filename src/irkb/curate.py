"""Curator tooling: the canonical formatter (``fmt``), record templates (``new``) and ``diff``.

The formatter works on the YAML text with ruamel.yaml's round-trip mode, so comments, flow-style
lists, block scalars and quoting survive; it only puts top-level keys in canonical order and
indents the way most shipped files do (2 spaces, sequences indented under their key, long
values kept on one line). It never changes a value: every result is loaded again and compared
with the original, and one that differs in a value or loses a comment is refused.

The module imports neither Typer nor rich.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import math
import os
import re
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .errors import DataDirError, Problem, UsageError

YAML_WIDTH = 100_000  # never wrap: the shipped files keep each value on one line
INDENT = {"mapping": 2, "sequence": 4, "offset": 2}  # '  - item' under its key, as most shipped files do
_SCHEMA_LINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=\S*?([a-z-]+)\.schema\.json\s*$")


# --------------------------------------------------------------------------- fmt


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
    from .models import KIND_BY_DIRECTORY, RECORD_TYPES

    kind = KIND_BY_DIRECTORY.get(path.parent.name)
    if kind is None and text:
        match = _SCHEMA_LINE.match(text.split("\n", 1)[0].strip())
        if match and match.group(1) in RECORD_TYPES:
            kind = match.group(1)
    return kind


def canonical_order(kind: str | None, keys: Iterable[Any]) -> list[Any]:
    """Keys in the kind's canonical field order; unknown keys after them, in their original order."""
    keys = list(keys)
    if kind is None:
        return keys
    from .models import RECORD_TYPES
    from .serialise import field_order

    order = {name: i for i, name in enumerate(field_order(RECORD_TYPES[kind]))}
    return sorted(keys, key=lambda k: order.get(k, len(order)) if isinstance(k, str) else len(order))


def format_text(text: str, kind: str | None) -> str:
    """The canonical form of one data file's YAML text. Raises ``FormatError`` when it cannot be formatted safely."""
    from .loader import Limits, find_alias, find_excess_depth

    limits = Limits.from_env()
    where = find_excess_depth(text, limits.max_depth)
    if where:
        raise FormatError("too-deep", f"nesting is deeper than {limits.max_depth} levels", *where)
    where = find_alias(text)
    if where:
        raise FormatError("yaml-alias", "YAML anchors and aliases are not allowed in irkb data", *where, hint="write the value out in full")
    original = _parse(_safe, text)  # what the values are; also refuses tags the loader refuses
    if not isinstance(original, (dict, list)):
        return text  # no record here (empty, only comments, or a lone value): nothing to lay out
    source = text
    if not text.endswith("\n"):
        text += "\n"
    yaml = _round_trip_yaml()
    data: Any = _parse(yaml.load, text)
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
    from .loader import parse_yaml

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
        floor = starts[i - 1] + 1 if i else start
        j = start
        while j > floor and _is_loose(lines[j - 1]):
            j -= 1
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


def format_file(path: Path, data_root: Path | None = None) -> FmtResult:
    """Read and format one file; a file that cannot be read or formatted gives a problem instead."""
    from .loader import Limits, display_path, read_text

    root = data_root or path.parent
    display = display_path(path, root)
    text, problem = read_text(path, display, root, Limits.from_env())
    if text is None:
        return FmtResult(path, display, None, None, problem)
    try:
        formatted = format_text(text, kind_of(path, text))
    except FormatError as exc:
        return FmtResult(path, display, text, None, Problem(display, exc.line, exc.col, exc.code, exc.message, "error", exc.hint))
    return FmtResult(path, display, text, formatted)


def write_formatted(result: FmtResult) -> bool:
    """Replace the file with its canonical text, atomically; False when it changed on disk meanwhile (left alone)."""
    from .atomic import write_text

    if result.formatted is None or not result.changed:
        return False
    try:
        current = result.path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    if current != result.original:
        return False  # someone saved the file while we worked: do not overwrite their edit
    write_text(result.path, result.formatted)
    return True


def data_files(data_dir: Path) -> list[Path]:
    """Every ``.yaml`` data file of a knowledge base, in kind order then by name."""
    from .catalog import scan
    from .loader import ALLOWED_SUFFIX

    return [f.path for f in scan(data_dir) if f.path.suffix == ALLOWED_SUFFIX and f.path.is_file()]


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


# --------------------------------------------------------------------------- new


class RecordExists(UsageError):
    """``irkb new`` was asked for a record whose file already exists."""


def kind_from_name(name: str) -> str:
    """A kind from its name or plural (``procedures``, ``routes``); ``UsageError`` listing the kinds otherwise."""
    from .models import KIND_ALIASES, RECORD_TYPES

    kind = KIND_ALIASES.get(name.strip().lower())
    if kind is None:
        raise UsageError(f"unknown record kind '{name}'; use one of: {', '.join(RECORD_TYPES)}")
    return kind


def check_id(rid: str) -> None:
    """``UsageError`` unless ``rid`` is a kebab-case id."""
    from .models import KEBAB

    if not re.fullmatch(KEBAB, rid) or len(rid) > 120:
        raise UsageError(f"'{rid}' is not a valid id: ids are kebab-case (lower-case letters, digits and single hyphens), e.g. ct-guided-lung-biopsy")


def template(kind: str, rid: str, today: dt.date) -> str:
    """A new record of ``kind``: the schema line, then every field with a comment from its description.

    Required fields are left blank (or ``[]``), so the file parses as YAML but does not validate
    until they are filled in; optional fields carry their default.
    """
    from .models import RECORD_TYPES
    from .schema import file_name, schema_for
    from .serialise import field_order

    model = RECORD_TYPES[kind]
    schema = schema_for(kind)
    defs = schema.get("$defs", {})
    lines = [
        f"# yaml-language-server: $schema=../../schemas/{file_name(kind)}",
        f"# New {kind} record. Fill in the fields marked REQUIRED; optional ones may stay empty or be deleted.",
        "# Every figure cites a source record. Then run 'irkb fmt' and 'irkb validate'.",
        "",
    ]
    for name in field_order(model):
        info = model.model_fields[name]
        required = info.is_required()
        note = " ".join((info.description or "").split())
        extra = _shape_note(schema["properties"].get(name, {}), defs, note)
        text = ("REQUIRED. " if required and name not in ("id", "last_reviewed") else "") + note + (f" {extra}" if extra else "")
        lines += textwrap.wrap(text, width=98, initial_indent="# ", subsequent_indent="#   ", break_on_hyphens=False) if text else []
        if name == "id":
            value = rid
        elif name == "last_reviewed":
            value = today.isoformat()
        elif required:
            # a placeholder that parses but does not validate, located on its own line by 'irkb validate'
            value = "[]" if schema["properties"].get(name, {}).get("type") == "array" else "''"
        else:
            value = _flow(info.get_default(call_default_factory=True))
        lines.append(f"{name}: {value}".rstrip())
    return "\n".join(lines) + "\n"


def _shape_note(prop: dict[str, Any], defs: dict[str, Any], description: str) -> str:
    """'One of: ...' for a closed vocabulary (unless the description lists it), 'Each item: {...}' for a list of objects."""

    def listed(values: list[Any]) -> bool:
        return all(str(v) in description for v in values)

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return dict(defs.get(str(node["$ref"]).rsplit("/", 1)[-1], {}))
        for option in node.get("anyOf") or []:
            if option.get("type") != "null":
                return resolve(option)
        return node

    node = resolve(prop)
    if "enum" in node and not listed(node["enum"]):
        return "One of: " + ", ".join(str(v) for v in node["enum"]) + "."
    if node.get("type") == "array":
        item = resolve(node.get("items") or {})
        if "enum" in item and not listed(item["enum"]):
            return "Any of: " + ", ".join(str(v) for v in item["enum"]) + "."
        if item.get("type") == "object" and item.get("properties"):
            required = set(item.get("required") or [])
            names = [f"{n} (required)" if n in required else n for n in item["properties"]]
            return "Each item: {" + ", ".join(names) + "}."
    return ""


def _flow(value: Any) -> str:
    """A default value as flow-style YAML."""
    from enum import Enum

    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value if re.fullmatch(r"[A-Za-z][\w .-]*", value) and value.lower() not in ("null", "true", "false", "yes", "no") else _quoted(value)
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    return _quoted(str(value))


def _quoted(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def record_path(data_dir: Path, kind: str, rid: str) -> Path:
    """Where a record of ``kind`` with id ``rid`` lives."""
    from .models import RECORD_TYPES

    return data_dir / RECORD_TYPES[kind].directory / f"{rid}.yaml"


def create_record(data_dir: Path, kind: str, rid: str, today: dt.date, *, read_only: bool = False) -> Path:
    """Write a new record's template; refuses a bad id, an existing file and a read-only knowledge base."""
    check_id(rid)
    if read_only:
        raise DataDirError(f"the knowledge base at '{data_dir}' is the read-only packaged copy; pass --data-dir (or set IRKB_DATA_DIR) to a writable one")
    path = record_path(data_dir, kind, rid)
    if path.exists():
        raise RecordExists(f"'{path}' already exists; edit it, or choose another id")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_new(path, template(kind, rid, today))
    return path


def write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` atomically, never replacing a file that exists (``RecordExists``)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, path)  # fails if the file appeared meanwhile: no silent overwrite
        except FileExistsError as exc:
            raise RecordExists(f"'{path}' already exists; edit it, or choose another id") from exc
        except OSError:
            if path.exists():
                raise RecordExists(f"'{path}' already exists; edit it, or choose another id") from None
            os.replace(tmp, path)  # a file system without hard links
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


# --------------------------------------------------------------------------- diff


class _Missing:
    """Marks a field present on one side of a diff only."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldChange:
    """One changed value: its path (``complications[2].rate.percent``), old and new value."""

    path: str
    old: Any
    new: Any


@dataclass
class RecordChange:
    """A record present on both sides whose fields differ."""

    kind: str
    id: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class Diff:
    """Records added, removed and changed between two knowledge bases (kinds compared: ``kinds``)."""

    kinds: list[str]
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[RecordChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{added: [{kind, id}], removed: [...], changed: [{kind, id, fields: [{path, old, new}]}]}``."""

        def plain(value: Any) -> Any:
            return None if value is MISSING else value

        return {
            "added": [{"kind": k, "id": i} for k, i in self.added],
            "removed": [{"kind": k, "id": i} for k, i in self.removed],
            "changed": [
                {"kind": c.kind, "id": c.id, "fields": [{"path": f.path, "old": plain(f.old), "new": plain(f.new)} for f in c.fields]} for c in self.changed
            ],
        }


def load_side(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Documents by kind from a knowledge-base directory or an export file (JSON envelope or JSONL)."""
    from .export import KINDS, UnreadableExport, read_export

    if path.is_dir():
        from .store import load

        kb = load(path)
        return {kind: kb.catalog.docs(kind) for kind in KINDS}
    if path.exists():
        return read_export(path)
    raise UnreadableExport(f"'{path}' does not exist")


def diff(old: dict[str, list[dict[str, Any]]], new: dict[str, list[dict[str, Any]]]) -> Diff:
    """What changed from ``old`` to ``new``, for the kinds both sides hold."""
    from .export import KINDS

    result = Diff([k for k in KINDS if k in old and k in new])
    for kind in result.kinds:
        before = {d["id"]: d for d in old[kind]}
        after = {d["id"]: d for d in new[kind]}
        result.added += [(kind, i) for i in sorted(after.keys() - before.keys())]
        result.removed += [(kind, i) for i in sorted(before.keys() - after.keys())]
        for rid in sorted(before.keys() & after.keys()):
            changes = field_changes(before[rid], after[rid])
            if changes:
                result.changed.append(RecordChange(kind, rid, changes))
    return result


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Changed values, deep: mappings by key, lists of objects by index, lists of plain values as a whole."""
    if same_value(old, new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        keys = list(old) + [k for k in new if k not in old]
        for key in keys:
            sub = f"{path}.{key}" if path else str(key)
            out += field_changes(old.get(key, MISSING), new.get(key, MISSING), sub)
        return out
    if isinstance(old, list) and isinstance(new, list) and not (_plain_list(old) and _plain_list(new)):
        out = []
        for index in range(max(len(old), len(new))):
            a = old[index] if index < len(old) else MISSING
            b = new[index] if index < len(new) else MISSING
            out += field_changes(a, b, f"{path}[{index}]")
        return out
    return [FieldChange(path or "(record)", old, new)]


def _plain_list(value: list[Any]) -> bool:
    return all(not isinstance(v, (dict, list)) for v in value)
