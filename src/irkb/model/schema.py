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
