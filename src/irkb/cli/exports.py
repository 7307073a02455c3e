"""Declarations of export and diff. The work is in ``irkb.commands.exports``."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..commands import exports
from ..kinds import KindName
from ..vocab import ExportFormat
from .app import app, runs


class DiffFormat(StrEnum):
    """Output formats of ``diff``."""

    TEXT = "text"
    JSON = "json"


@app.command("export")
@runs(exports.export)
def export_command(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="json (one envelope), jsonl, csv (one kind), yaml, markdown or sqlite.", show_default=False)
    ],
    kind: Annotated[KindName | None, typer.Option("--kind", "-k", help="Only this kind (csv: default procedure; not with sqlite).")] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="PATH", help="File to write, atomically (default or '-': stdout; sqlite needs a file).")
    ] = None,
) -> None:
    """Export the whole knowledge base for other tools, deterministically.

    json: {schema_version, data_version, generated_at, count, counts, procedures, modalities,
    access_routes, complications, sources}, records sorted by id, every field present.
    data_version is a SHA-256 of the records' content; generated_at honours SOURCE_DATE_EPOCH,
    so two exports of the same data are byte-identical. jsonl: one record per line with
    record_type first. csv: one kind, one row per record, lists and objects as JSON. sqlite: the
    catalog's normalised tables with foreign keys and full-text search, ready for the sqlite3 shell
    or Datasette. A file is written atomically; a target that is a link, FIFO or device is refused.

    Example: irkb export --format sqlite -o irkb.db
    """


@app.command("diff")
@runs(exports.diff)
def diff_command(
    ctx: typer.Context,
    old: Annotated[Path, typer.Argument(help="Knowledge-base directory or export file (JSON or JSONL).", show_default=False)],
    new: Annotated[Path, typer.Argument(help="Knowledge-base directory or export file (JSON or JSONL).", show_default=False)],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="text, or json: {added, removed, changed, invalid}.")] = DiffFormat.TEXT,
) -> None:
    """Added, removed, changed and invalid records between two knowledge bases or exports.

    List items are matched by identity (a figure by complication or measure, source and
    population; an alias by its text), so one inserted figure is one change and a reorder is none.
    A record that fails validation on one side is listed as invalid with its problems, never as
    removed. Exit 0 whatever the differences; 2 when an input cannot be read.

    Example: irkb diff old-export.json data/
    """
