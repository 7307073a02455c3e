"""Read commands: list, show, compare, search, complications, stats."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..output import Format
from ..vocab import BodySystem, Category, Purpose, RateKind, Role
from . import app
from .state import State

if TYPE_CHECKING:
    from rich.console import RenderableType


class Kind(StrEnum):
    """Record kinds, as command arguments (plural accepted by list)."""

    PROCEDURE = "procedure"
    MODALITY = "modality"
    ACCESS_ROUTE = "access-route"
    COMPLICATION = "complication"
    SOURCE = "source"


class ListKind(StrEnum):
    """What ``list`` lists."""

    PROCEDURES = "procedures"
    MODALITIES = "modalities"
    ACCESS_ROUTES = "access-routes"
    COMPLICATIONS = "complications"
    SOURCES = "sources"


class SortBy(StrEnum):
    """Sort orders of ``complications``."""

    PROCEDURE = "procedure"
    COMPLICATION = "complication"
    RATE = "rate"


def _complete(kind: str | None) -> Any:
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            from ..store import load

            data_dir = ctx.find_root().params.get("data_dir")
            kb = load(data_dir)
        except Exception:
            return []
        words: list[str] = []
        for k, records in kb.records.items():
            if kind and k != kind:
                continue
            for record in records.values():
                words.append(record.id)
                words += [a.text for a in record.aliases if " " not in a.text]
        low = incomplete.lower()
        return sorted({w for w in words if w.lower().startswith(low)})

    return complete


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table (rich on a terminal, tab-separated in a pipe), json, jsonl, csv, yaml or markdown.")]
KindOpt = Annotated[Kind | None, typer.Option("--kind", "-k", help="Look only at records of this kind.")]


def _state(ctx: typer.Context, fmt: Format) -> State:
    state: State = ctx.obj
    state.format = fmt.value
    return state


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _rich(state: State, fmt: Format) -> bool:
    """Rich rendering: table format, and a terminal (or --color always)."""
    from .state import Color

    return fmt == Format.TABLE and (sys.stdout.isatty() or state.color == Color.ALWAYS)


def _print_rich(state: State, renderable: RenderableType) -> None:
    from rich.console import Console

    color = state.use_color(sys.stdout.isatty())
    console = Console(force_terminal=color or None, no_color=not color, highlight=False, soft_wrap=False)
    console.print(renderable)


@app.command("list")
def list_(
    ctx: typer.Context,
    what: Annotated[ListKind, typer.Argument(help="What to list.")] = ListKind.PROCEDURES,
    modality: Annotated[
        list[str] | None,
        typer.Option(
            "--modality",
            "-m",
            help="Guided by this modality, any role (repeatable: all must match). Id or abbreviation: CT, US, MRI...",
            autocompletion=_complete("modality"),
        ),
    ] = None,
    role: Annotated[Role | None, typer.Option("--role", help="With --modality: only guidance entries of this role.")] = None,
    live: Annotated[
        bool | None, typer.Option("--live/--no-live", help="Standard guidance (primary + adjunct roles) includes / excludes a live modality (speed == live).")
    ] = None,
    radiation: Annotated[bool | None, typer.Option("--radiation/--no-radiation", help="Standard guidance includes / excludes ionising radiation.")] = None,
    access: Annotated[
        list[str] | None, typer.Option("--access", "-a", help="Uses this access route (repeatable: all must match).", autocompletion=_complete("access-route"))
    ] = None,
    complication: Annotated[
        list[str] | None,
        typer.Option("--complication", "-c", help="Has a figure for this complication (repeatable: all must match).", autocompletion=_complete("complication")),
    ] = None,
    category: Annotated[Category | None, typer.Option("--category", help="Procedure category.")] = None,
    system: Annotated[BodySystem | None, typer.Option("--system", help="Body system.")] = None,
    purpose: Annotated[Purpose | None, typer.Option("--purpose", help="diagnostic, therapeutic or palliative.")] = None,
    family: Annotated[
        str | None, typer.Option("--family", help="Members of this procedure family (and the family record).", autocompletion=_complete("procedure"))
    ] = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """List records; procedures can be filtered, and every filter must match.

    --modality matches the guidance in any role (--role narrows it), by exact id after alias
    resolution: CT does not match cbct or ct-fluoroscopy. --live/--no-live and
    --radiation/--no-radiation look at the standard guidance only (roles primary and adjunct;
    alternative entries are other ways to do it). An unknown modality, access route or
    complication exits 3 with suggestions; no match at all is an empty answer (exit 0).

    Example: irkb list --modality ct --no-live
    """
    state = _state(ctx, fmt)
    kind = {"procedures": "procedure", "modalities": "modality", "access-routes": "access-route", "complications": "complication", "sources": "source"}[
        what.value
    ]
    filters = any(v not in (None, []) for v in (modality, role, live, radiation, access, complication, category, system, purpose, family))
    if filters and kind != "procedure":
        from ..errors import UsageError

        raise UsageError("filters apply to procedures only; drop them or list procedures")
    kb = state.kb()
    if kind == "procedure":
        from ..query import select_procedures

        ids = select_procedures(
            kb,
            modality=modality or [],
            role=role.value if role else None,
            live=live,
            radiation=radiation,
            access=access or [],
            complication=complication or [],
            category=category.value if category else None,
            system=system.value if system else None,
            purpose=purpose.value if purpose else None,
            family=family,
        )
    else:
        ids = kb.catalog.ids(kind)
    if fmt == Format.JSON and not _rich(state, fmt):
        from ..output import docs_json

        _emit(docs_json(kb.catalog.doc_texts(kind, ids)))
    else:
        _records_out(state, [kb.doc(kind, i) for i in ids], fmt, kind)
    if fmt == Format.TABLE and sys.stderr.isatty():
        print(f"{len(ids)} {kind if len(ids) == 1 else what.value}", file=sys.stderr)


def _records_out(state: State, docs: list[dict[str, Any]], fmt: Format, kind: str, mixed: bool = False) -> None:
    from ..output import records_text, summary_columns

    if _rich(state, fmt):
        from ..render import list_table

        _print_rich(state, list_table(docs, summary_columns(kind)))
        return
    _emit(records_text(docs, fmt, kind=kind, mixed=mixed))


@app.command()
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Id, name, alias or abbreviation (TIPS, UFE, PCN, US...).", autocompletion=_complete(None))],
    kind: KindOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Show one record in full: guidance, access, complications with rates and sources, pearls.

    Looks in every kind: exact id, then name or alias (case, spaces and hyphens ignored). A shared
    abbreviation lists its candidates (exit 4); an unknown key suggests close ones (exit 3).

    Example: irkb show tips
    """
    state = _state(ctx, fmt)
    kb = state.kb()
    the_kind, rid = kb.resolve(key, kind.value if kind else None)
    if _rich(state, fmt):
        from ..render import show as render_show

        _print_rich(state, render_show(kb, kb.model(the_kind, rid)))
        return
    if fmt == Format.JSON:
        _emit(kb.catalog.doc_text(the_kind, rid) + "\n")
    elif fmt == Format.YAML:
        from ..output import yaml_text

        _emit(yaml_text(kb.doc(the_kind, rid)))
    elif fmt == Format.TABLE:
        from ..output import plain_record

        _emit(plain_record(kb.doc(the_kind, rid)))
    else:
        _records_out(state, [kb.doc(the_kind, rid)], fmt, the_kind)


@app.command()
def compare(
    ctx: typer.Context,
    keys: Annotated[list[str], typer.Argument(help="Two or more ids or aliases of one kind.", autocompletion=_complete(None))],
    kind: KindOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Compare records of one kind side by side; fields that differ are highlighted.

    JSON output: {kind, records: [... in the order given], differing_fields: [...]}.

    Example: irkb compare vertebroplasty kyphoplasty
    """
    state = _state(ctx, fmt)
    if len(keys) < 2:
        from ..errors import UsageError

        raise UsageError("compare needs at least two records")
    kb = state.kb()
    from ..query import compare as do_compare

    comparison = do_compare(kb, keys, kind.value if kind else None)
    if _rich(state, fmt):
        from ..render import compare_table

        _print_rich(state, compare_table(kb, comparison))
        return
    from ..output import Column, cell_text, csv_text, markdown_table, tsv, yaml_text
    from ..serialise import to_json

    if fmt == Format.JSON:
        _emit(to_json(comparison.to_dict()) + "\n")
        return
    if fmt == Format.JSONL:
        _emit(to_json(comparison.to_dict(), indent=None) + "\n")
        return
    if fmt == Format.YAML:
        _emit(yaml_text(comparison.to_dict()))
        return
    docs = comparison.docs
    names = [n for n in docs[0] if any(cell_text(d, n) for d in docs)]
    rows = [{"field": n, "differs": n in comparison.differing_fields, **{d["id"]: cell_text(d, n) for d in docs}} for n in names]
    if fmt == Format.CSV:
        _emit(csv_text(rows, ["field", "differs", *[d["id"] for d in docs]]))
        return
    columns = [Column("field", _field_cell)]
    columns += [Column(d["id"], _cell_of(d["id"])) for d in docs]
    if fmt == Format.MARKDOWN:
        _emit(markdown_table(rows, columns))
    else:
        _emit(tsv(rows, columns))


def _cell_of(rid: str) -> Any:
    return lambda row: row[rid]


def _field_cell(row: dict[str, Any]) -> str:
    return ("*" if row["differs"] else "") + str(row["field"])


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words to look for; typos are tolerated.")],
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="At most this many results (0: all).")] = 20,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Ranked search over names, aliases, summaries and indications (typo tolerant).

    Each result carries record_type in JSON, since results mix kinds.

    Example: irkb search "gallblader drain"
    """
    state = _state(ctx, fmt)
    kb = state.kb()
    from ..query import search as do_search

    hits = do_search(kb, text, kind.value if kind else None, limit)
    if _rich(state, fmt) or fmt in (Format.TABLE, Format.MARKDOWN, Format.CSV):
        from ..output import Column, csv_text, markdown_table, tsv

        columns = [
            Column("kind", lambda h: h.kind),
            Column("id", lambda h: h.id),
            Column("name", lambda h: h.name),
            Column("score", lambda h: f"{h.score:g}"),
            Column("matched", lambda h: h.field),
        ]
        if _rich(state, fmt):
            from ..render import list_table

            _print_rich(state, list_table(hits, columns))
        elif fmt == Format.MARKDOWN:
            _emit(markdown_table(hits, columns))
        elif fmt == Format.CSV:
            _emit(csv_text([{c.header: c.get(h) for c in columns} for h in hits], [c.header for c in columns]))
        else:
            _emit(tsv(hits, columns))
        return
    from ..serialise import to_json

    dicts = [{"record_type": h.kind, **kb.doc(h.kind, h.id), "score": h.score} for h in hits]
    if fmt == Format.JSON:
        _emit(to_json(dicts) + "\n")
    elif fmt == Format.JSONL:
        _emit("".join(to_json(d, indent=None) + "\n" for d in dicts))
    else:
        from ..output import yaml_text

        _emit(yaml_text(dicts) if dicts else "[]\n")


@app.command()
def complications(
    ctx: typer.Context,
    procedure: Annotated[
        list[str] | None, typer.Option("--procedure", "-p", help="Only this procedure (repeatable).", autocompletion=_complete("procedure"))
    ] = None,
    complication: Annotated[
        list[str] | None, typer.Option("--complication", "-c", help="Only this complication (repeatable).", autocompletion=_complete("complication"))
    ] = None,
    min_rate: Annotated[
        float | None, typer.Option("--min-rate", min=0, max=100, help="Only figures whose upper value (percent, else high) is at least P.")
    ] = None,
    rate_kind: Annotated[RateKind | None, typer.Option("--rate-kind", help="observed, threshold or upper-bound.")] = None,
    sort: Annotated[SortBy, typer.Option("--sort", help="procedure, complication, or rate (highest first).")] = SortBy.PROCEDURE,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Complication figures across procedures, one row per figure, with its kind and source.

    A threshold or an upper bound is labelled as such, never shown as an observed rate. On a
    terminal each figure gets a bar, scaled to the largest shown.

    Example: irkb complications --complication haemorrhage --sort rate
    """
    state = _state(ctx, fmt)
    kb = state.kb()
    from ..query import complication_rows

    rows = complication_rows(
        kb,
        procedure=procedure or [],
        complication=complication or [],
        min_rate=min_rate,
        rate_kind=rate_kind.value if rate_kind else None,
        sort=sort.value,
    )
    if _rich(state, fmt):
        from ..render import complications_table

        _print_rich(state, complications_table(rows))
        return
    from ..output import Column, csv_text, markdown_table, tsv, yaml_text
    from ..serialise import to_json

    public = [{k: v for k, v in r.items() if k not in ("rate_display", "rate_upper")} for r in rows]
    if fmt == Format.JSON:
        _emit(to_json(public) + "\n")
    elif fmt == Format.JSONL:
        _emit("".join(to_json(r, indent=None) + "\n" for r in public))
    elif fmt == Format.YAML:
        _emit(yaml_text(public) if public else "[]\n")
    elif fmt == Format.CSV:
        flat = [{**{k: v for k, v in r.items() if k != "rate"}, **{f"rate_{k}": v for k, v in r["rate"].items()}} for r in rows]
        header = [
            "procedure",
            "complication",
            "severity",
            "severity_scale",
            "rate_percent",
            "rate_low",
            "rate_high",
            "rate_numerator",
            "rate_denominator",
            "rate_interval",
            "rate_kind",
            "population",
            "source",
            "source_kind",
            "locator",
        ]
        _emit(csv_text(flat, header))
    else:
        columns = [
            Column("procedure", lambda r: r["procedure"]),
            Column("complication", lambda r: r["complication"]),
            Column("rate", lambda r: r["rate_display"]),
            Column("kind", lambda r: r["rate_kind"]),
            Column("severity", lambda r: f"{r['severity']} ({r['severity_scale']})" if r["severity"] else ""),
            Column("source", lambda r: r["source"]),
        ]
        _emit(markdown_table(rows, columns) if fmt == Format.MARKDOWN else tsv(rows, columns))


@app.command()
def stats(ctx: typer.Context, fmt: FormatOpt = Format.TABLE) -> None:
    """Counts by kind, category, system and modality, and coverage gaps of the content.

    Example: irkb stats --format json
    """
    state = _state(ctx, fmt)
    kb = state.kb()
    from ..query import stats as do_stats

    data = do_stats(kb)
    if _rich(state, fmt):
        from ..render import stats_view

        _print_rich(state, stats_view(data))
        return
    from ..serialise import to_json

    if fmt in (Format.JSON, Format.JSONL):
        _emit(to_json(data, indent=2 if fmt == Format.JSON else None) + "\n")
    elif fmt == Format.YAML:
        from ..output import yaml_text

        _emit(yaml_text(data))
    else:
        lines = []
        for section, values in data.items():
            for key, value in values.items() if isinstance(values, dict) else [("", values)]:
                shown = len(value) if isinstance(value, list) else value
                if isinstance(shown, dict):
                    shown = "; ".join(f"{k}={v}" for k, v in shown.items())
                lines.append([section, str(key), str(shown)])
        if fmt == Format.CSV:
            from ..output import csv_text

            _emit(csv_text([{"section": a, "key": b, "value": c} for a, b, c in lines], ["section", "key", "value"]))
        elif fmt == Format.MARKDOWN:
            _emit("| section | key | value |\n|---|---|---|\n" + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in lines))
        else:
            _emit("".join("\t".join(line) + "\n" for line in lines))
