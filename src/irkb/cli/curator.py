"""Curator commands: validate and schema."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_DATA, EXIT_OK
from ..runtime import State
from . import app


class ValidateFormat(StrEnum):
    """Output formats of ``validate``."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


@app.command()
def validate(
    ctx: typer.Context,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    fmt: Annotated[
        ValidateFormat, typer.Option("--format", "-f", help="text (path:line:col), json (an envelope), github (workflow annotations).")
    ] = ValidateFormat.TEXT,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Problem code to leave out (repeatable).")] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Report only these problem codes (repeatable).")] = None,
) -> None:
    """Check every record: fields, types, ranges, references, aliases, citations, review dates.

    Every problem in every file is reported in one run, sorted by file and line, as
    path:line:col: [level] code message (hint). Exit 1 on errors (or warnings with --strict).

    Example: irkb validate --format github
    """
    state: State = ctx.obj
    state.format = fmt.value
    from ..models import SCHEMA_VERSION
    from ..store import load

    where = state.where()
    kb = load(where.path)
    problems = [p for p in kb.problems if (not select or p.code in select) and p.code not in (ignore or [])]
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    failed = errors > 0 or (strict and warnings > 0)
    files = len({p.path for p in problems})
    if fmt == ValidateFormat.JSON:
        envelope = {
            "schema_version": SCHEMA_VERSION,
            "ok": not failed,
            "summary": {"records": kb.count(), "errors": errors, "warnings": warnings, "files_with_problems": files, "strict": strict},
            "problems": [p.to_dict() for p in problems],
        }
        import json

        print(json.dumps(envelope, indent=2, ensure_ascii=False))
    elif fmt == ValidateFormat.GITHUB:
        for p in problems:
            level = "error" if p.level == "error" or strict else "warning"
            where_ = f"file={_escape_property(p.path)}" + (f",line={p.line},col={p.col}" if p.line else "")
            message = p.message + (f" (hint: {p.hint})" if p.hint else "")
            print(f"::{level} {where_},title={_escape_property(p.code)}::{_escape(message)}")
    else:
        for p in problems:
            print(p.format())
        summary = f"{kb.count()} records checked: {errors} error(s), {warnings} warning(s)"
        print(summary if problems else f"{summary}; all clean", file=sys.stderr)
    raise typer.Exit(EXIT_DATA if failed else EXIT_OK)


def _escape(text: str) -> str:
    """Escape a workflow-command message (GitHub's rules: %, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """Escape a workflow-command property value (also ',' and ':', which delimit properties)."""
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


@app.command()
def schema(
    check: Annotated[bool, typer.Option("--check", help="Compare the committed schemas with the models instead of writing; exit 1 on drift.")] = False,
    directory: Annotated[Path | None, typer.Option("--dir", help="Where the schemas live (default: the checkout's schemas/).", file_okay=False)] = None,
) -> None:
    """Write the JSON Schema of every record kind to schemas/ (generated from the models).

    Editors use them through the '# yaml-language-server: $schema=...' line at the top of
    each data file.

    Example: irkb schema --check
    """
    from ..schema import drift, write
    from ..store import schema_dir

    target = directory or schema_dir()
    if check:
        stale = drift(target)
        for path in stale:
            print(f"{path}: out of date with the models", file=sys.stderr)
        if stale:
            print("hint: run 'irkb schema' and commit the result", file=sys.stderr)
            raise typer.Exit(EXIT_DATA)
        print(f"schemas in {target} match the models", file=sys.stderr)
        return
    for written in write(target):
        print(written)
