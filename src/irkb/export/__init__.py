"""Exports of the whole knowledge base for other tools: JSON, JSONL, CSV, YAML, Markdown, SQLite.

Nothing here imports Typer or rich: progress is reported through a callback. Files are written
atomically (``irkb.atomic``): a failed or interrupted export never leaves a partial file, and a
target that is not a regular file (a link, a FIFO, a device) is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..vocab import ExportFormat
from .read import UnreadableExport, read_export
from .snapshot import DISCLAIMER, ExportError, ExportWriteError, Progress, Snapshot, data_version, envelope, generated_at, snapshot

if TYPE_CHECKING:
    from ..index.catalog import Catalog

__all__ = [
    "DISCLAIMER",
    "ExportError",
    "ExportFormat",
    "ExportWriteError",
    "Snapshot",
    "UnreadableExport",
    "data_version",
    "envelope",
    "export",
    "generated_at",
    "read_export",
    "snapshot",
]


def export(
    catalog: Catalog,
    snap: Snapshot,
    fmt: ExportFormat,
    target: Path | None,
    *,
    csv_kind: str = "procedure",
    progress: Progress | None = None,
    stdout: Any = None,
) -> None:
    """Write the export to ``target`` atomically, or to ``stdout`` when ``target`` is None (not for sqlite)."""
    from ..atomic import check_target, write_text

    if target is not None:
        check_target(target)
    if fmt == ExportFormat.SQLITE:
        if target is None:
            raise ExportError("sqlite export needs a file: pass -o PATH (a database cannot go to stdout)")
        import sqlite3

        from .sqlite import write_sqlite

        try:
            write_sqlite(catalog, snap, target, progress=progress)
        except OSError as exc:
            raise ExportWriteError(f"cannot write '{target}': {exc.strerror or exc}") from exc
        except sqlite3.Error as exc:  # a full disk or a failing file system, as SQLite reports it
            raise ExportWriteError(f"cannot write '{target}': {exc}") from exc
        return
    from .text import render_text

    text = render_text(snap, fmt, csv_kind=csv_kind, progress=progress)
    if target is None:
        import sys

        out = stdout or sys.stdout
        out.write(text)
        out.flush()
        return
    try:
        write_text(target, text)
    except OSError as exc:
        raise ExportWriteError(f"cannot write '{target}': {exc.strerror or exc}") from exc
