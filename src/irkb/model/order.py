"""Records as plain data: one canonical key order for JSON, YAML, CSV, templates and the formatter."""

from __future__ import annotations

from ..shape import canonical_order
from .records import RECORD_TYPES, Record


def field_order(model: type[Record] | str) -> list[str]:
    """Field names of a model (or kind) in canonical order: id, name/title, aliases, the rest, sources, last_reviewed."""
    return canonical_order(list((RECORD_TYPES[model] if isinstance(model, str) else model).model_fields))
