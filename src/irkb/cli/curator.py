"""Declarations of the curator commands: validate, schema, fmt, new, vocab. The work is in
``irkb.commands.curator``."""

from pathlib import Path
from typing import Annotated

import typer

from ..commands import curator
from ..vocab import Format, ValidateFormat
from .app import app, runs


@app.command()
@runs(curator.validate)
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[PATHS]...", help="Report only these files' problems (directories: every file under them).", show_default=False),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    errors_only: Annotated[bool, typer.Option("--errors-only", help="Leave warnings out.")] = False,
    fmt: Annotated[
        ValidateFormat, typer.Option("--format", "-f", help="text (path:line:col), json (an envelope), github (workflow annotations).")
    ] = ValidateFormat.TEXT,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Problem code to leave out (repeatable).")] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Report only these problem codes (repeatable).")] = None,
) -> None:
    """Check every record: fields, types, ranges, references, aliases, citations, review dates.

    Every problem in every file is reported in one run, sorted by file and line, as
    path:line:col: [level] code message (hint). With PATHS, only those files' problems are shown,
    but every cross-record check still runs against the whole knowledge base. Exit 1 on errors
    (or warnings with --strict).

    Example: irkb validate data/procedures/tips.yaml --errors-only
    """


@app.command()
@runs(curator.schema)
def schema(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Compare the committed schemas with the models instead of writing; exit 1 on drift.")] = False,
    directory: Annotated[Path | None, typer.Option("--dir", help="Where the schemas live (default: the checkout's schemas/).", file_okay=False)] = None,
) -> None:
    """Write the JSON Schema of every record kind to schemas/ (generated from the models).

    Editors use them through the '# yaml-language-server: $schema=...' line at the top of each
    data file. What JSON Schema cannot say (references resolve, counts agree with the percent, ids
    equal file names, a source is listed) only 'irkb validate' checks.

    Example: irkb schema --check
    """


@app.command("fmt")
@runs(curator.fmt)
def fmt_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[PATHS]...", help="Files or directories (default: every data file of the knowledge base).", show_default=False),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing: list the files that would change and exit 1 if any.")] = False,
    strip_template: Annotated[bool, typer.Option("--strip-template", help="Also remove the comments 'irkb new' wrote.")] = False,
) -> None:
    """Format data files canonically: top-level keys in field order, 2-space indentation.

    Every comment, flow-style list, block scalar, quoting, line ending (CRLF stays CRLF) and
    unknown key (left where it stands) is kept; no value ever changes (each result is loaded again
    and compared before it is written). Files are rewritten atomically, and only if nobody saved
    them meanwhile. A file that does not parse is reported as path:line:col and left untouched
    (exit 1). Refuses the read-only packaged knowledge base: pass --data-dir.

    Example: irkb fmt --check data/procedures/tips.yaml
    """


@app.command("new")
@runs(curator.new)
def new_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="KIND", help="procedure, modality, access-route, complication or source.", show_default=False)],
    rid: Annotated[str, typer.Argument(metavar="ID", help="Kebab-case id; also the file name.", show_default=False)],
    bare: Annotated[bool, typer.Option("--bare", help="Without the comments on every field.")] = False,
) -> None:
    """Write a new record from a template listing every field, with a comment each.

    The file (data/<kind folder>/<ID>.yaml) starts with the schema line, has last_reviewed set
    to today and required fields left blank: it does not validate until they are filled in.
    Allowed values and ids are listed by 'irkb vocab'. An existing file, an id that is not
    kebab-case or the read-only packaged knowledge base is a usage error (exit 2).

    Example: irkb new procedure ct-guided-lung-biopsy
    """


@app.command("vocab")
@runs(curator.vocab)
def vocab_command(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(metavar="[NAME]", help="One vocabulary (categories, measures, modalities, ...); none: the list of them.", show_default=False)
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json, jsonl, csv, yaml or markdown.")] = Format.TABLE,
) -> None:
    """Every closed vocabulary and id list a curator needs, with what each value means.

    Example: irkb vocab measures
    """
