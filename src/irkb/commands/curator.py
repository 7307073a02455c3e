"""The curator commands' bodies, without Typer: validate, schema, fmt, new, vocab."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import EXIT_DATA, EXIT_OK, DataDirError
from ..vocab import Format
from .output import out
from .runtime import State, warn


def _escape(text: str) -> str:
    """Escape a workflow-command message (GitHub's rules: %, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """Escape a workflow-command property value (also ',' and ':', which delimit properties)."""
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def validate(
    state: State,
    paths: Sequence[Path] | None = None,
    strict: bool = False,
    errors_only: bool = False,
    fmt: str = "text",
    ignore: Sequence[str] | None = None,
    select: Sequence[str] | None = None,
) -> int:
    """``irkb validate``: every problem in every file (or in the files named), located; exit 1 on errors."""
    from ..ingest.files import display_path
    from ..kb import load_for_checking
    from ..kinds import SCHEMA_VERSION
    from ..view.progress import progress
    from ..view.terminal import safe

    fmt = str(fmt)
    state.format = fmt
    where = state.where()
    with progress("checking records") as update:
        kb = load_for_checking(where.path, progress=update)  # checking needs no query tables
    problems = [p for p in kb.problems if (not select or p.code in select) and p.code not in (ignore or [])]
    if paths:
        wanted = {display_path(Path(p), where.path) for p in paths} | {
            display_path(f, where.path) for p in paths if Path(p).is_dir() for f in Path(p).rglob("*")
        }
        problems = [p for p in problems if p.path in wanted]
    if errors_only:
        problems = [p for p in problems if p.level == "error"]
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    failed = errors > 0 or (strict and warnings > 0)
    if fmt == "json":
        import json

        envelope = {
            "schema_version": SCHEMA_VERSION,
            "ok": not failed,
            "summary": {
                "records": kb.count(),
                "errors": errors,
                "warnings": warnings,
                "files_with_problems": len({p.path for p in problems}),
                "strict": strict,
            },
            "problems": [p.to_dict() for p in problems],
        }
        out(state, json.dumps(envelope, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "github":
        lines = []
        for p in problems:
            level = "error" if p.level == "error" or strict else "warning"
            place = f"file={_escape_property(p.path)}" + (f",line={p.line},col={p.col}" if p.line else "")
            message = p.message + (f" (hint: {p.hint})" if p.hint else "")
            lines.append(f"::{level} {place},title={_escape_property(p.code)}::{_escape(safe(message))}\n")
        out(state, "".join(lines))
    else:
        out(state, "".join(safe(p.format()) + "\n" for p in problems))
        summary = f"{kb.count()} records checked: {errors} error(s), {warnings} warning(s)"
        warn(summary if problems else f"{summary}; all clean")
    return EXIT_DATA if failed else EXIT_OK


def schema(state: State, check: bool = False, directory: Path | None = None) -> int:
    """``irkb schema``: write (or with ``check`` compare) the JSON Schemas generated from the models."""
    from ..datadir import schema_dir
    from ..model.schema import drift, write

    target = Path(directory) if directory else schema_dir()
    if check:
        stale = drift(target)
        for path in stale:
            warn(f"{path}: out of date with the models")
        if stale:
            warn("hint: run 'irkb schema' and commit the result")
            return EXIT_DATA
        warn(f"schemas in {target} match the models")
        return EXIT_OK
    out(state, "".join(f"{written}\n" for written in write(target)))
    return EXIT_OK


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def read_only_message(path: Path) -> str:
    """Why irkb will not write to the packaged knowledge base, and what to do instead."""
    return f"the knowledge base at '{path}' is the read-only packaged copy; pass --data-dir (or set IRKB_DATA_DIR) to a writable checkout"


def fmt(state: State, paths: Sequence[Path] | None = None, check: bool = False, strip_template: bool = False) -> int:
    """``irkb fmt``: lay data files out canonically (nothing lost; a file saved meanwhile is left alone)."""
    from ..curate.fmt import data_files, expand_paths, format_file, write_formatted
    from ..view.progress import progress

    if paths:
        files = expand_paths([Path(p) for p in paths])
        root = None
        if not check:
            where = state.where()
            if where.read_only and any(_inside(f, where.path) for f in files):
                raise DataDirError(read_only_message(where.path))
    else:
        where = state.where()
        if where.read_only and not check:
            raise DataDirError(read_only_message(where.path))
        files, root = data_files(where.path), where.path
    changed = problems = skipped = 0
    with progress("formatting") as update:
        for done, path in enumerate(files, start=1):
            result = format_file(path, root, strip_template=strip_template)
            if result.problem is not None:
                problems += 1
                warn(result.problem.format())
            elif result.changed:
                changed += 1
                if check or write_formatted(result):
                    out(state, result.display + "\n")
                else:
                    skipped += 1
                    warn(f"{result.display}: changed on disk while formatting; left as it was saved (run fmt again)")
            if update is not None:
                update(done, len(files))
    verb = "would be reformatted" if check else "reformatted"
    summary = f"{changed - skipped} file(s) {verb}, {len(files) - changed - problems} already canonical"
    if problems:
        summary += f", {problems} could not be formatted"
    if skipped:
        summary += f", {skipped} changed on disk meanwhile and left alone"
    warn(summary)
    if check and changed:
        warn("hint: run 'irkb fmt' to format them")
    return EXIT_DATA if problems > 0 or skipped > 0 or (check and changed > 0) else EXIT_OK


def new(state: State, kind: str, rid: str, bare: bool = False) -> int:
    """``irkb new``: a new record from the template."""
    from ..curate.new import create_record, kind_from_name

    record_kind = kind_from_name(kind)
    where = state.where()
    path = create_record(where.path, record_kind, rid, dt.date.today(), read_only=where.read_only, bare=bare)
    out(state, f"{path}\n")
    warn(f"hint: fill in the REQUIRED fields, then run 'irkb fmt {path}' and 'irkb validate {path}'")
    return EXIT_OK


def vocab(state: State, name: str | None = None, fmt: Format = Format.TABLE) -> int:
    """``irkb vocab``: every closed vocabulary and id list, or one of them, with descriptions."""
    from ..query.vocabularies import entries, names, needs_kb

    state.format = str(fmt)
    kb = state.kb() if needs_kb(name) else None
    if name is None:
        rows: list[dict[str, Any]] = [{"vocabulary": n, "values": c, "description": d} for n, d, c in names(kb)]
        columns: tuple[str, ...] = ("vocabulary", "values", "description")
    else:
        rows = [{"value": v, "description": d} for v, d in entries(kb, name)]
        columns = ("value", "description")
    _table(state, rows, columns, fmt)
    return EXIT_OK


def _getter(column: str) -> Any:
    return lambda row: str(row.get(column, ""))


def _table(state: State, rows: list[dict[str, Any]], columns: Sequence[str], fmt: Format) -> None:
    from ..view.text import Column, csv_text, markdown_table, to_json, tsv, yaml_text

    if fmt == Format.JSON:
        out(state, to_json(rows) + "\n")
    elif fmt == Format.JSONL:
        out(state, "".join(to_json(r, indent=None) + "\n" for r in rows))
    elif fmt == Format.YAML:
        out(state, yaml_text(rows) if rows else "[]\n")
    elif fmt == Format.CSV:
        out(state, csv_text(rows, list(columns)))
    else:
        cols = [Column(c, _getter(c), c == "description") for c in columns]
        from .output import rich_out, show_rich, width

        if rich_out(state, fmt):
            from ..view.rich import listing

            show_rich(state, listing(rows, cols, width()), page=True)
        else:
            out(state, markdown_table(rows, cols) if fmt == Format.MARKDOWN else tsv(rows, cols))
