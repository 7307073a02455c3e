"""Reading an export back: the JSON envelope, or JSONL (one record per line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..kinds import BY_KEY, BY_NAME


class UnreadableExport(UsageError):
    """A file given as an export is missing, not JSON, or not an irkb export."""


def read_export(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Documents by kind from an export file: the JSON envelope, or JSONL (one record per line).

    Kinds absent from a narrowed (``--kind``) export are absent from the result.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableExport(f"cannot read '{path}': {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _read_jsonl(path, text)
    if not isinstance(data, dict) or not any(key in data for key in BY_KEY):
        raise UnreadableExport(f"'{path}' is not an irkb JSON export (expected keys such as 'procedures', 'sources')")
    out: dict[str, list[dict[str, Any]]] = {}
    for key, kind_info in BY_KEY.items():
        kind = kind_info.name
        if key not in data:
            continue
        records = data[key]
        if not isinstance(records, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in records):
            raise UnreadableExport(f"'{path}': '{key}' is not a list of records with ids")
        out[kind] = records
    return out


def _read_jsonl(path: Path, text: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableExport(f"'{path}' is neither a JSON export nor JSONL (line {number}: {exc.msg})") from exc
        if not isinstance(record, dict) or record.get("record_type") not in BY_NAME or not isinstance(record.get("id"), str):
            raise UnreadableExport(f"'{path}' line {number}: not an irkb record with record_type and id")
        kind = record.pop("record_type")
        out.setdefault(kind, []).append(record)
    if not out:
        raise UnreadableExport(f"'{path}' holds no records")
    return out
