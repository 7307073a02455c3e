"""Record templates (``irkb new``): the schema line, then every field of the model in canonical
order with a comment from its description, ready to fill in."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path
from typing import Any

from ..errors import DataDirError, UsageError
from ..kinds import ALIASES, BY_NAME, NAMES


class RecordExists(UsageError):
    """``irkb new`` was asked for a record whose file already exists."""


def kind_from_name(name: str) -> str:
    """A kind from its name or plural (``procedures``, ``routes``); ``UsageError`` listing the kinds otherwise."""
    kind = ALIASES.get(name.strip().lower())
    if kind is None:
        raise UsageError(f"unknown record kind '{name}'; use one of: {', '.join(NAMES)}")
    return kind


def check_id(rid: str) -> None:
    """``UsageError`` unless ``rid`` is a kebab-case id."""
    from ..model import KEBAB

    if not re.fullmatch(KEBAB, rid) or len(rid) > 120:
        raise UsageError(f"'{rid}' is not a valid id: ids are kebab-case (lower-case letters, digits and single hyphens), e.g. ct-guided-lung-biopsy")


def template(kind: str, rid: str, today: dt.date, *, bare: bool = False) -> str:
    """A new record of ``kind``: the schema line, then every field with a comment from its description.

    Required fields are left blank (or ``[]``), so the file parses as YAML but does not validate
    until they are filled in; optional fields carry their default. ``bare`` leaves the comments out
    (``irkb fmt --strip-template`` removes them later).
    """
    from ..model import RECORD_TYPES, field_order
    from ..model.schema import file_name, schema_for

    model = RECORD_TYPES[kind]
    schema = schema_for(kind)
    defs = schema.get("$defs", {})
    lines = [
        f"# yaml-language-server: $schema=../../schemas/{file_name(kind)}",
        f"# New {kind} record. Fill in the fields marked REQUIRED; optional ones may stay empty or be deleted.",
        "# Every figure cites a source record. Allowed values and ids: 'irkb vocab'. Then run 'irkb fmt' and 'irkb validate'.",
        "",
    ]
    if bare:
        lines = lines[:1]
    for name in field_order(model):
        info = model.model_fields[name]
        required = info.is_required()
        note = " ".join((info.description or "").split())
        extra = _shape_note(schema["properties"].get(name, {}), defs, note)
        text = ("REQUIRED. " if required and name not in ("id", "last_reviewed") else "") + note + (f" {extra}" if extra else "")
        if not bare and text:
            lines += textwrap.wrap(text, width=98, initial_indent="# ", subsequent_indent="#   ", break_on_hyphens=False)
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
    return data_dir / BY_NAME[kind].folder / f"{rid}.yaml"


def create_record(data_dir: Path, kind: str, rid: str, today: dt.date, *, read_only: bool = False, bare: bool = False) -> Path:
    """Write a new record's template; refuses a bad id, an existing file and a read-only knowledge base."""
    check_id(rid)
    if read_only:
        raise DataDirError(f"the knowledge base at '{data_dir}' is the read-only packaged copy; pass --data-dir (or set IRKB_DATA_DIR) to a writable one")
    path = record_path(data_dir, kind, rid)
    if path.exists():
        raise RecordExists(f"'{path}' already exists; edit it, or choose another id")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_new(path, template(kind, rid, today, bare=bare))
    return path


def write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` atomically, never replacing a file that exists (``RecordExists``)."""
    from ..atomic import write_text

    try:
        write_text(path, text, create=True)
    except FileExistsError as exc:
        raise RecordExists(f"'{path}' already exists; edit it, or choose another id") from exc


def template_comments(kind: str) -> set[str]:
    """Every comment line a template of ``kind`` holds but the schema line (what ``fmt --strip-template`` removes)."""
    text = template(kind, "x", dt.date(2000, 1, 1))
    return {line.strip() for line in text.splitlines()[1:] if line.startswith("#")}
