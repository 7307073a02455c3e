"""Export and curator-tooling commands: export, fmt, new, diff (wiring only; the work is in ``export`` and ``curate``)."""

import datetime as dt
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import EXIT_DATA, EXIT_OK, DataDirError, UsageError
from ..runtime import State
from ..vocab import ExportFormat
from . import app

PROGRESS_MIN_RECORDS = 1000
PROGRESS_MIN_FILES = 200


class ExportKind(StrEnum):
    """Record kinds ``--kind`` accepts."""

    PROCEDURE = "procedure"
    MODALITY = "modality"
    ACCESS_ROUTE = "access-route"
    COMPLICATION = "complication"
    SOURCE = "source"


class DiffFormat(StrEnum):
    """Output formats of ``diff``."""

    TEXT = "text"
    JSON = "json"


def _progress(total: int, label: str, minimum: int) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """A rich progress bar on stderr for long work, only when stderr is a terminal: (update, stop)."""
    if total < minimum or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task(label, total=total)
    bar.start()

    def update(done: int, _total: int) -> None:
        bar.update(task, completed=done)

    return update, bar.stop


@app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="json (one envelope), jsonl, csv (one kind), yaml, markdown or sqlite.", show_default=False)
    ],
    kind: Annotated[ExportKind | None, typer.Option("--kind", "-k", help="Only this kind (csv: default procedure; not with sqlite).")] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="PATH", help="File to write, atomically (default or '-': stdout; sqlite needs a file).")
    ] = None,
) -> None:
    """Export the whole knowledge base for other tools, deterministically.

    json: {schema_version, data_version, generated_at, count, counts, procedures, modalities,
    access_routes, complications, sources}, records sorted by id, every field present.
    data_version is a SHA-256 of the records' content; generated_at honours SOURCE_DATE_EPOCH,
    so two exports of the same data are byte-identical. jsonl: one record per line with
    record_type first. csv: one kind, one flat row per record. sqlite: normalised tables with
    foreign keys and full-text search, ready for the sqlite3 shell or Datasette. A file is
    written atomically: a failed export never leaves a partial file.

    Example: irkb export --format sqlite -o irkb.db
    """
    from ..export import export, snapshot

    state: State = ctx.obj
    state.format = fmt.value
    target = None if output in (None, "-") else Path(str(output))
    if fmt == ExportFormat.SQLITE and target is None:
        raise UsageError("sqlite export needs a file: pass -o PATH (a database cannot go to stdout)")
    if fmt == ExportFormat.SQLITE and kind is not None:
        raise UsageError("--kind does not apply to sqlite: the database holds every kind, linked by foreign keys")
    kinds = [kind.value] if kind is not None and fmt != ExportFormat.CSV else None
    csv_kind = kind.value if kind is not None else "procedure"
    kb = state.kb()
    snap = snapshot(kb.catalog, kinds if fmt != ExportFormat.CSV else [csv_kind])
    update, stop = _progress(snap.count, f"exporting {fmt.value}", PROGRESS_MIN_RECORDS)
    try:
        export(snap, fmt, target, csv_kind=csv_kind, progress=update)
    finally:
        stop()
    if target is not None:
        print(f"wrote {snap.count} records to {target} ({fmt.value})", file=sys.stderr)


@app.command("fmt")
def fmt_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATHS", help="Files or directories (default: every data file of the knowledge base).", show_default=False),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing: list the files that would change and exit 1 if any.")] = False,
) -> None:
    """Format data files canonically: top-level keys in field order, 2-space indentation.

    Sequences are indented under their key, long values stay on one line, and every comment,
    flow-style list, block scalar and quoting is kept; no value ever changes (each result is
    loaded again and compared before it is written). Files are rewritten atomically. A file
    that does not parse is reported as path:line:col and left untouched (exit 1). Refuses the
    read-only packaged knowledge base: pass --data-dir.

    Example: irkb fmt --check data/procedures/tips.yaml
    """
    from ..curate import data_files, expand_paths, format_file, write_formatted

    state: State = ctx.obj
    if paths:
        files = expand_paths(paths)
        root = None
        if not check:
            where = state.where()
            if where.read_only and any(_inside(f, where.path) for f in files):
                raise DataDirError(_read_only_message(where.path))
    else:
        where = state.where()
        if where.read_only and not check:
            raise DataDirError(_read_only_message(where.path))
        files, root = data_files(where.path), where.path
    update, stop = _progress(len(files), "formatting", PROGRESS_MIN_FILES)
    changed = problems = skipped = 0
    try:
        for done, path in enumerate(files, start=1):
            result = format_file(path, root)
            if result.problem is not None:
                problems += 1
                print(result.problem.format(), file=sys.stderr)
            elif result.changed:
                changed += 1
                if check or write_formatted(result):
                    print(result.display)
                else:
                    skipped += 1
                    print(f"{result.display}: changed on disk while formatting; left alone (run fmt again)", file=sys.stderr)
            if update is not None:
                update(done, len(files))
    finally:
        stop()
    verb = "would be reformatted" if check else "reformatted"
    summary = f"{changed - skipped} file(s) {verb}, {len(files) - changed - problems} already canonical"
    if problems:
        summary += f", {problems} could not be formatted"
    print(summary, file=sys.stderr)
    failed = problems > 0 or skipped > 0 or (check and changed > 0)
    if check and changed:
        print("hint: run 'irkb fmt' to format them", file=sys.stderr)
    raise typer.Exit(EXIT_DATA if failed else EXIT_OK)


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _read_only_message(path: Path) -> str:
    return f"the knowledge base at '{path}' is the read-only packaged copy; pass --data-dir (or set IRKB_DATA_DIR) to a writable checkout"


@app.command("new")
def new_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="KIND", help="procedure, modality, access-route, complication or source.", show_default=False)],
    rid: Annotated[str, typer.Argument(metavar="ID", help="Kebab-case id; also the file name.", show_default=False)],
) -> None:
    """Write a new record from a template listing every field, with a comment each.

    The file (data/<kind folder>/<ID>.yaml) starts with the schema line, has last_reviewed set
    to today and required fields left blank: it does not validate until they are filled in.
    An existing file, an id that is not kebab-case or the read-only packaged knowledge base is
    a usage error (exit 2).

    Example: irkb new procedure ct-guided-lung-biopsy
    """
    from ..curate import create_record, kind_from_name

    state: State = ctx.obj
    record_kind = kind_from_name(kind)
    where = state.where()
    path = create_record(where.path, record_kind, rid, dt.date.today(), read_only=where.read_only)
    print(path)
    print(f"hint: fill in the REQUIRED fields, then run 'irkb fmt {path}' and 'irkb validate'", file=sys.stderr)


@app.command("diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="Knowledge-base directory or export file (JSON or JSONL).", show_default=False)],
    new: Annotated[Path, typer.Argument(help="Knowledge-base directory or export file (JSON or JSONL).", show_default=False)],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="text, or json: {added, removed, changed: [{kind, id, fields: [{path, old, new}]}]}.")] = (
        DiffFormat.TEXT
    ),
) -> None:
    """Added, removed and changed records between two knowledge bases or exports.

    For a changed record every changed value is listed by its path, deep:
    complications[2].rate.percent: 4 -> 5. Lists of plain values (ids, texts) are compared as
    a whole. Exit 0 whatever the differences; 2 when an input cannot be read.

    Example: irkb diff old-export.json data/
    """
    import json

    from ..curate import MISSING, diff, load_side

    before, after = load_side(old), load_side(new)
    result = diff(before, after)
    left_out = sorted((set(before) | set(after)) - set(result.kinds))
    if left_out:
        print(f"irkb: note: not compared (absent from one side): {', '.join(left_out)}", file=sys.stderr)
    if fmt == DiffFormat.JSON:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:

        def show(value: Any) -> str:
            if value is MISSING:
                return "(absent)"
            text = json.dumps(value, ensure_ascii=False)
            return text if len(text) <= 160 else text[:157] + "..."

        for kind, rid in result.added:
            print(f"added    {kind} {rid}")
        for kind, rid in result.removed:
            print(f"removed  {kind} {rid}")
        for change in result.changed:
            print(f"changed  {change.kind} {change.id}")
            for f in change.fields:
                print(f"  {f.path}: {show(f.old)} -> {show(f.new)}")
    print(f"{len(result.added)} added, {len(result.removed)} removed, {len(result.changed)} changed", file=sys.stderr)
