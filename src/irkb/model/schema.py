"""JSON Schemas of the record kinds, generated from the models (``schemas/<kind>.schema.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .fields import SCHEMA_VERSION
from .records import RECORD_TYPES

SCHEMA_BASE = f"https://irkb.github.io/schemas/{SCHEMA_VERSION}/"


def file_name(kind: str) -> str:
    """``procedure`` -> ``procedure.schema.json``."""
    return f"{kind}.schema.json"


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one record kind, with a versioned ``$id``."""
    model = RECORD_TYPES[kind]
    body = model.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + file_name(kind),
        "x-irkb-schema-version": SCHEMA_VERSION,
        **body,
    }


def property_types(kind: str) -> dict[str, frozenset[str]]:
    """Field -> the JSON types its schema allows (``$ref`` followed, null left out; ``date`` for a
    string in date format, ``any`` for an option with no type): what the SQLite and Frictionless
    column types are derived from."""
    schema = schema_for(kind)
    defs = schema.get("$defs", {})
    out = {}
    for name, prop in schema["properties"].items():
        found = set()
        for option in prop.get("anyOf") or prop.get("oneOf") or [prop]:
            if "$ref" in option:
                option = defs.get(str(option["$ref"]).rsplit("/", 1)[-1], {})
            kind_ = option.get("type")
            if kind_ == "null":
                continue
            found.add("date" if kind_ == "string" and option.get("format") == "date" else str(kind_ or "any"))
        out[name] = frozenset(found)
    return out


def render(kind: str) -> str:
    """The schema as the exact text committed to ``schemas/``."""
    return json.dumps(schema_for(kind), indent=2, ensure_ascii=False) + "\n"


def write(directory: Path) -> list[Path]:
    """Write every kind's schema into ``directory`` (atomically); return the files written."""
    from ..atomic import write_text

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in RECORD_TYPES:
        path = directory / file_name(kind)
        write_text(path, render(kind))
        written.append(path)
    return written


def drift(directory: Path) -> list[str]:
    """Files in ``directory`` that are missing or differ from the models."""
    stale = []
    for kind in RECORD_TYPES:
        path = directory / file_name(kind)
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != render(kind):
            stale.append(str(path))
    return stale
