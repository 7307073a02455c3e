"""Reading an export back: the JSON envelope, or JSONL (one record per line).

The file is read as untrusted input: it must be a regular file (a FIFO or device such as
/dev/zero is refused, never read), at most ``MAX_EXPORT_BYTES``, and nested no deeper than JSON
can be parsed without running out of stack; anything else is ``UnreadableExport`` (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..kinds import BY_KEY, BY_NAME

MAX_EXPORT_BYTES = 1 << 30  # 1 GiB: far above any real export, far below what would exhaust memory


class UnreadableExport(UsageError):
    """A file given as an export is missing, not JSON, or not an irkb export."""


def _read(path: Path) -> str:
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UnreadableExport(f"cannot read '{path}': {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableExport(f"'{path}' is not a regular file (an export is a .json or .jsonl file)")
        if info.st_size > MAX_EXPORT_BYTES:
            raise UnreadableExport(f"'{path}' is larger than {MAX_EXPORT_BYTES} bytes; not an irkb export")
        raw = handle.read(MAX_EXPORT_BYTES + 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableExport(f"cannot read '{path}': not UTF-8 ({exc.reason})") from exc


def _loads(path: Path, text: str, where: str = "") -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise UnreadableExport(f"'{path}'{where}: nested too deeply to be an irkb export") from None


def read_export(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Documents by kind from an export file: the JSON envelope, or JSONL (one record per line).

    Kinds absent from a narrowed (``--kind``) export are absent from the result.
    """
    text = _read(Path(path))
    try:
        data = _loads(path, text)
    except json.JSONDecodeError:
        return _read_jsonl(path, text)
    if isinstance(data, dict) and "record_type" in data:
        return _read_jsonl(path, text)  # a one-record JSONL export is also one JSON object
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
            record = _loads(path, line, f" line {number}")
        except json.JSONDecodeError as exc:
            raise UnreadableExport(f"'{path}' is neither a JSON export nor JSONL (line {number}: {exc.msg})") from exc
        if not isinstance(record, dict) or record.get("record_type") not in BY_NAME or not isinstance(record.get("id"), str):
            raise UnreadableExport(f"'{path}' line {number}: not an irkb record with record_type and id")
        kind = record.pop("record_type")
        out.setdefault(kind, []).append(record)
    if not out:
        raise UnreadableExport(f"'{path}' holds no records")
    return out
