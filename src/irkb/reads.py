"""The read commands' work, without Typer: list, show, compare, search, complications, stats.

Each ``run_*`` takes the invocation's ``State`` and plain, already-validated values, prints the
answer on stdout and raises ``IrkbError`` for not-found, ambiguous and usage problems. The Typer
commands in ``cli.read`` and the fast path in ``fastpath`` both call these, so the two entry
routes cannot disagree on what a command does.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .runtime import Color, State
from .vocab import Format

if TYPE_CHECKING:
    from rich.console import RenderableType

LIST_KINDS = {"procedures": "procedure", "modalities": "modality", "access-routes": "access-route", "complications": "complication", "sources": "source"}
KINDS = ("procedure", "modality", "access-route", "complication", "source")
SORTS = ("procedure", "complication", "rate")


def emit(text: str) -> None:
    """Write data to stdout."""
    sys.stdout.write(text)
    sys.stdout.flush()


def use_rich(state: State, fmt: Format) -> bool:
    """Rich rendering: table format, and a terminal (or --color always)."""
    return fmt == Format.TABLE and (sys.stdout.isatty() or state.color == Color.ALWAYS)


def print_rich(state: State, renderable: RenderableType) -> None:
    """Print a rich renderable on stdout, coloured as --color / NO_COLOR say."""
    from rich.console import Console

    color = state.use_color(sys.stdout.isatty())
    console = Console(force_terminal=color or None, no_color=not color, highlight=False, soft_wrap=False)
    console.print(renderable)


def _records_out(state: State, docs: list[dict[str, Any]], fmt: Format, kind: str) -> None:
    from .output import records_text, summary_columns

    if use_rich(state, fmt):
        from .render import list_table

        print_rich(state, list_table(docs, summary_columns(kind)))
        return
    emit(records_text(docs, fmt, kind=kind))


def run_list(
    state: State,
    what: str = "procedures",
    *,
    modality: Sequence[str] = (),
    role: str | None = None,
    live: bool | None = None,
    radiation: bool | None = None,
    access: Sequence[str] = (),
    complication: Sequence[str] = (),
    category: str | None = None,
    system: str | None = None,
    purpose: str | None = None,
    family: str | None = None,
    fmt: Format = Format.TABLE,
) -> None:
    """``irkb list``: records of one kind; procedures filtered (every filter must match)."""
    state.format = fmt.value
    kind = LIST_KINDS[what]
    filters = any(v not in (None, [], ()) for v in (modality, role, live, radiation, access, complication, category, system, purpose, family))
    if filters and kind != "procedure":
        from .errors import UsageError

        raise UsageError("filters apply to procedures only; drop them or list procedures")
    kb = state.kb()
    if kind == "procedure":
        from .query import select_procedures

        ids = select_procedures(
            kb,
            modality=modality,
            role=role,
            live=live,
            radiation=radiation,
            access=access,
            complication=complication,
            category=category,
            system=system,
            purpose=purpose,
            family=family,
        )
    else:
        ids = kb.catalog.ids(kind)
    if fmt == Format.JSON:
        from .output import docs_json

        emit(docs_json(kb.catalog.doc_texts(kind, ids)))
    else:
        _records_out(state, [kb.doc(kind, i) for i in ids], fmt, kind)
    if fmt == Format.TABLE and sys.stderr.isatty():
        print(f"{len(ids)} {kind if len(ids) == 1 else what}", file=sys.stderr)


def run_show(state: State, key: str, kind: str | None = None, fmt: Format = Format.TABLE) -> None:
    """``irkb show``: one record in full."""
    state.format = fmt.value
    kb = state.kb()
    the_kind, rid = kb.resolve(key, kind)
    if use_rich(state, fmt):
        from .render import show

        print_rich(state, show(kb, kb.model(the_kind, rid)))
    elif fmt == Format.JSON:
        emit(kb.catalog.doc_text(the_kind, rid) + "\n")
    elif fmt == Format.YAML:
        from .output import yaml_text

        emit(yaml_text(kb.doc(the_kind, rid)))
    elif fmt == Format.TABLE:
        from .output import plain_record

        emit(plain_record(kb.doc(the_kind, rid)))
    else:
        _records_out(state, [kb.doc(the_kind, rid)], fmt, the_kind)


def run_compare(state: State, keys: Sequence[str], kind: str | None = None, fmt: Format = Format.TABLE) -> None:
    """``irkb compare``: records of one kind side by side."""
    from .errors import UsageError

    state.format = fmt.value
    if len(keys) < 2:
        raise UsageError("compare needs at least two records")
    kb = state.kb()
    from .query import compare

    comparison = compare(kb, keys, kind)
    if use_rich(state, fmt):
        from .render import compare_table

        print_rich(state, compare_table(kb, comparison))
        return
    from .output import Column, cell_text, csv_text, markdown_table, tsv, yaml_text
    from .serialise import to_json

    if fmt in (Format.JSON, Format.JSONL):
        emit(to_json(comparison.to_dict(), indent=2 if fmt == Format.JSON else None) + "\n")
        return
    if fmt == Format.YAML:
        emit(yaml_text(comparison.to_dict()))
        return
    docs = comparison.docs
    names = [n for n in docs[0] if any(cell_text(d, n) for d in docs)]
    rows = [{"field": n, "differs": n in comparison.differing_fields, **{d["id"]: cell_text(d, n) for d in docs}} for n in names]
    if fmt == Format.CSV:
        emit(csv_text(rows, ["field", "differs", *[d["id"] for d in docs]]))
        return
    columns = [Column("field", _field_cell), *(Column(d["id"], _cell_of(d["id"])) for d in docs)]
    emit(markdown_table(rows, columns) if fmt == Format.MARKDOWN else tsv(rows, columns))


def _cell_of(rid: str) -> Any:
    return lambda row: row[rid]


def _field_cell(row: dict[str, Any]) -> str:
    return ("*" if row["differs"] else "") + str(row["field"])


def run_search(state: State, text: str, kind: str | None = None, limit: int = 20, fmt: Format = Format.TABLE) -> None:
    """``irkb search``: ranked fuzzy search."""
    state.format = fmt.value
    kb = state.kb()
    from .query import search

    hits = search(kb, text, kind, limit)
    if use_rich(state, fmt) or fmt in (Format.TABLE, Format.MARKDOWN, Format.CSV):
        from .output import Column, csv_text, markdown_table, tsv

        columns = [
            Column("kind", lambda h: h.kind),
            Column("id", lambda h: h.id),
            Column("name", lambda h: h.name),
            Column("score", lambda h: f"{h.score:g}"),
            Column("matched", lambda h: h.field),
        ]
        if use_rich(state, fmt):
            from .render import list_table

            print_rich(state, list_table(hits, columns))
        elif fmt == Format.MARKDOWN:
            emit(markdown_table(hits, columns))
        elif fmt == Format.CSV:
            emit(csv_text([{c.header: c.get(h) for c in columns} for h in hits], [c.header for c in columns]))
        else:
            emit(tsv(hits, columns))
        return
    from .serialise import to_json

    dicts = [{"record_type": h.kind, **kb.doc(h.kind, h.id), "score": h.score} for h in hits]
    if fmt == Format.JSON:
        emit(to_json(dicts) + "\n")
    elif fmt == Format.JSONL:
        emit("".join(to_json(d, indent=None) + "\n" for d in dicts))
    else:
        from .output import yaml_text

        emit(yaml_text(dicts) if dicts else "[]\n")


def run_complications(
    state: State,
    *,
    procedure: Sequence[str] = (),
    complication: Sequence[str] = (),
    min_rate: float | None = None,
    rate_kind: str | None = None,
    sort: str = "procedure",
    fmt: Format = Format.TABLE,
) -> None:
    """``irkb complications``: complication figures across procedures."""
    state.format = fmt.value
    kb = state.kb()
    from .query import complication_rows

    rows = complication_rows(kb, procedure=procedure, complication=complication, min_rate=min_rate, rate_kind=rate_kind, sort=sort)
    if use_rich(state, fmt):
        from .render import complications_table

        print_rich(state, complications_table(rows))
        return
    from .output import Column, csv_text, markdown_table, tsv, yaml_text
    from .serialise import to_json

    public = [{k: v for k, v in r.items() if k not in ("rate_display", "rate_upper")} for r in rows]
    if fmt == Format.JSON:
        emit(to_json(public) + "\n")
    elif fmt == Format.JSONL:
        emit("".join(to_json(r, indent=None) + "\n" for r in public))
    elif fmt == Format.YAML:
        emit(yaml_text(public) if public else "[]\n")
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
        emit(csv_text(flat, header))
    else:
        columns = [
            Column("procedure", lambda r: r["procedure"]),
            Column("complication", lambda r: r["complication"]),
            Column("rate", lambda r: r["rate_display"]),
            Column("kind", lambda r: r["rate_kind"]),
            Column("severity", lambda r: f"{r['severity']} ({r['severity_scale']})" if r["severity"] else ""),
            Column("source", lambda r: r["source"]),
        ]
        emit(markdown_table(rows, columns) if fmt == Format.MARKDOWN else tsv(rows, columns))


def run_stats(state: State, fmt: Format = Format.TABLE) -> None:
    """``irkb stats``: counts and coverage."""
    state.format = fmt.value
    kb = state.kb()
    from .query import stats

    data = stats(kb)
    if use_rich(state, fmt):
        from .render import stats_view

        print_rich(state, stats_view(data))
        return
    from .serialise import to_json

    if fmt in (Format.JSON, Format.JSONL):
        emit(to_json(data, indent=2 if fmt == Format.JSON else None) + "\n")
        return
    if fmt == Format.YAML:
        from .output import yaml_text

        emit(yaml_text(data))
        return
    lines = []
    for section, values in data.items():
        for key, value in values.items():
            shown = len(value) if isinstance(value, list) else value
            if isinstance(shown, dict):
                shown = "; ".join(f"{k}={v}" for k, v in shown.items())
            lines.append([section, str(key), str(shown)])
    if fmt == Format.CSV:
        from .output import csv_text

        emit(csv_text([{"section": a, "key": b, "value": c} for a, b, c in lines], ["section", "key", "value"]))
    elif fmt == Format.MARKDOWN:
        emit("| section | key | value |\n|---|---|---|\n" + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in lines))
    else:
        emit("".join("\t".join(line) + "\n" for line in lines))


def completion_words(data_dir: Any, kind: str | None, incomplete: str) -> list[str]:
    """Ids and one-word aliases starting with ``incomplete`` (for shell completion)."""
    try:
        from .store import load

        kb = load(data_dir)
        words = [text for k, _, field, text, is_name in kb.catalog.texts(kind) if is_name and field in ("id", "aliases") and " " not in text]
    except Exception:
        return []
    low = incomplete.lower()
    return sorted({w for w in words if w.lower().startswith(low)})
