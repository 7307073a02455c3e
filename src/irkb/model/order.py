"""Records as plain data: one canonical key order for JSON, YAML, CSV, templates and the formatter."""

from __future__ import annotations

from typing import Any

from ..shape import canonical_order
from .records import RECORD_TYPES, Record


def field_order(model: type[Record] | str) -> list[str]:
    """Field names of a model (or kind) in canonical order: id, name/title, aliases, the rest, sources, last_reviewed."""
    return canonical_order(list((RECORD_TYPES[model] if isinstance(model, str) else model).model_fields))


def record_dict(record: Record, record_type: bool = False, dump: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every field of the record (null or [] when empty), JSON-ready, in canonical order.

    With ``record_type`` the record's kind is added first (for output that mixes kinds);
    ``dump`` is the record's ``model_dump(mode="json")`` when the caller already has it.
    """
    data = dump if dump is not None else record.model_dump(mode="json")
    out: dict[str, Any] = {"record_type": record.record_type} if record_type else {}
    for name in field_order(type(record)):
        out[name] = data[name]
    return out
