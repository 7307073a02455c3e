"""Exports of the whole knowledge base for other tools: JSON, JSONL, CSV, YAML, Markdown, SQLite
(with Datasette metadata), a Frictionless data package, a BibTeX or CSL-JSON bibliography, an Anki deck.

Nothing here imports Typer or rich: progress is reported through a callback. Files are written
atomically (``irkb.atomic``): a failed or interrupted export never leaves a partial file, and a
target that is not a regular file (a link, a FIFO, a device) is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..vocab import ExportFormat
from .read import UnreadableExport, read_export
from .snapshot import DISCLAIMER, ExportError, ExportWriteError, Progress, Snapshot, data_version, envelope, generated_at, snapshot, ticker

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


FILE_ONLY = {ExportFormat.SQLITE: "a database", ExportFormat.ANKI: "an Anki package", ExportFormat.DATAPACKAGE: "a directory of CSV files"}
"""Formats that cannot go to stdout, and what they write."""


def export(
    catalog: Catalog,
    snap: Snapshot,
    fmt: ExportFormat,
    target: Path | None,
    *,
    csv_kind: str = "procedure",
    progress: Progress | None = None,
    stdout: Any = None,
) -> list[Path]:
    """Write the export to ``target`` atomically (or to ``stdout`` when None); return the files written.

    ``sqlite`` also writes ``<name>.metadata.json`` beside the database, for Datasette;
    ``datapackage`` writes one CSV per kind and a ``datapackage.json`` into the directory ``target``.
    """
    import sqlite3

    from ..atomic import check_target, write_chunks

    if target is not None and fmt != ExportFormat.DATAPACKAGE:
        check_target(target)
    try:
        if fmt in FILE_ONLY:
            if target is None:
                raise ExportError(f"{fmt.value} export needs -o PATH: {FILE_ONLY[fmt]} cannot go to stdout")
            return _file_only(catalog, snap, fmt, target, progress)
        chunks = _chunks(snap, fmt, csv_kind, progress)
        if target is None:
            import sys

            out = stdout or sys.stdout
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            return []
        write_chunks(target, chunks)
        return [target]
    except BrokenPipeError:
        if target is None:
            raise  # the reader of standard output left early: not a failure (the command exits 0)
        raise ExportWriteError(f"cannot write '{target}': broken pipe") from None
    except OSError as exc:
        where = "to standard output" if target is None else f"'{target}'"
        raise ExportWriteError(f"cannot write {where}: {exc.strerror or exc}") from exc
    except sqlite3.Error as exc:  # a full disk or a failing file system, as SQLite reports it
        raise ExportWriteError(f"cannot write '{target}': {exc}") from exc


def _file_only(catalog: Catalog, snap: Snapshot, fmt: ExportFormat, target: Path, progress: Progress | None) -> list[Path]:
    if fmt == ExportFormat.SQLITE:
        return _sqlite(catalog, snap, target, progress)
    if fmt == ExportFormat.DATAPACKAGE:
        return _datapackage(snap, target, progress)
    from .anki import write_anki

    write_anki(snap, target, progress=progress)
    return [target]


def _chunks(snap: Snapshot, fmt: ExportFormat, csv_kind: str, progress: Progress | None) -> Iterator[str]:
    if fmt in (ExportFormat.BIBTEX, ExportFormat.CSL_JSON):
        from .bibliography import bibtex, csl_json

        sources = list(snap.records("source"))
        tick = ticker(len(sources), progress)
        yield bibtex(sources, tick) if fmt == ExportFormat.BIBTEX else csl_json(sources, tick)
        return
    from .text import render_chunks

    yield from render_chunks(snap, fmt, csv_kind=csv_kind, progress=progress)


def _sqlite(catalog: Catalog, snap: Snapshot, target: Path, progress: Progress | None) -> list[Path]:
    import json

    from ..atomic import check_target, write_text
    from .describe import datasette
    from .sqlite import write_sqlite

    name = target.name.removesuffix(".db").removesuffix(".sqlite").removesuffix(".sqlite3")
    metadata = target.with_name(f"{name}.metadata.json")
    check_target(metadata)
    write_sqlite(catalog, snap, target, progress=progress)
    write_text(metadata, json.dumps(datasette(snap, name), indent=2, ensure_ascii=False) + "\n")
    return [target, metadata]


def _datapackage(snap: Snapshot, directory: Path, progress: Progress | None) -> list[Path]:
    import json

    from ..atomic import check_target, write_chunks, write_text
    from ..kinds import KINDS
    from ..model import field_order
    from ..view.text import csv_lines
    from .describe import datapackage, frictionless_types

    if directory.exists() and not directory.is_dir():
        raise ExportError(f"'{directory}' is not a directory; datapackage writes one CSV per kind and datapackage.json into a directory")
    directory.mkdir(parents=True, exist_ok=True)
    written, resources = [], []
    tick = ticker(len(KINDS), progress)
    for kind in KINDS:
        path = directory / f"{kind.key}.csv"
        check_target(path)
        columns = field_order(kind.name)
        write_chunks(path, csv_lines(snap.records(kind.name), columns))  # a record at a time
        written.append(path)
        resources.append((kind.key, path.name, columns, frictionless_types(kind.name)))
        tick()
    descriptor = directory / "datapackage.json"
    check_target(descriptor)
    write_text(descriptor, json.dumps(datapackage(snap, resources), indent=2, ensure_ascii=False) + "\n")
    return [*written, descriptor]
