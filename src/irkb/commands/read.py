"""The read commands' bodies, without Typer: list, show, compare, search, stats.

Each takes the invocation's ``State`` and the values of its options by the names the Typer
declaration gives them (``irkb.cli``), prints the answer on stdout and raises ``IrkbError`` for
not-found, ambiguous and usage problems. The Typer route and the fast route call the same body.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from ..kinds import ALIASES
from ..vocab import Format
from .output import out, out_chunks, rich_out, show_rich, width
from .runtime import State, warn


def list_(state: State, what: str = "procedures", fmt: Format = Format.TABLE, **filters: Any) -> None:
    """``irkb list``: records of one kind; procedures filtered (every filter must match)."""
    from ..errors import UsageError
    from ..query.filters import ProcedureFilter, select_procedures

    state.format = str(fmt)
    kind = ALIASES[str(what)]
    spec = ProcedureFilter.of(**filters)
    if spec.given() and kind != "procedure":
        raise UsageError("filters apply to procedures only; drop them or list procedures")
    kb = state.kb()
    ids = select_procedures(kb, spec) if kind == "procedure" else kb.catalog.ids(kind)
    if fmt == Format.JSON:
        from ..view.text import docs_json_chunks

        out_chunks(docs_json_chunks(kb.catalog.doc_text_pages(kind, ids)))
    elif rich_out(state, fmt):
        from ..view.rich import listing
        from ..view.text import summary_columns

        show_rich(state, listing(kb.catalog.docs(kind, ids), summary_columns(kind), width()), page=True)
    else:  # a page of records at a time: a whole knowledge base is never held at once
        from .. import jsonio
        from ..view.text import records_chunks

        docs = (jsonio.loads(text) for page in kb.catalog.doc_text_pages(kind, ids) for text in page)
        out_chunks(records_chunks(docs, fmt, kind=kind))
    if fmt == Format.TABLE and sys.stderr is not None and sys.stderr.isatty():
        warn(f"{len(ids)} {kind if len(ids) == 1 else str(what)}")


def show(state: State, key: Sequence[str] = (), kind: str | None = None, fmt: Format = Format.TABLE) -> None:
    """``irkb show``: one record in full (several words are one name: ``irkb show uterine fibroid embolisation``)."""
    from ..errors import UsageError

    state.format = str(fmt)
    query = " ".join(key).strip()
    if not query:
        raise UsageError("show needs an id, name or alias")
    kb = state.kb()
    the_kind, rid = kb.resolve(query, str(kind) if kind else None)
    if fmt == Format.JSON:
        out(state, kb.catalog.doc_text(the_kind, rid) + "\n")
        return
    if fmt in (Format.YAML, Format.JSONL, Format.CSV):
        from ..view.text import records_text

        out(state, records_text([kb.doc(the_kind, rid)], fmt, kind=the_kind))
        return
    from ..view.records import record_view

    view = record_view(kb, the_kind, kb.doc(the_kind, rid))
    if rich_out(state, fmt):
        from ..view.rich import record

        show_rich(state, record(view), page=True)
    elif fmt == Format.MARKDOWN:
        from ..view.plain import markdown_record

        out(state, markdown_record(view))
    else:
        from ..view.plain import plain_record

        out(state, plain_record(view))


def compare(state: State, keys: Sequence[str] = (), kind: str | None = None, fmt: Format = Format.TABLE) -> None:
    """``irkb compare``: records of one kind side by side, figures lined up by complication and measure."""
    from ..query.comparison import compare as compare_records

    state.format = str(fmt)
    kb = state.kb()
    comparison = compare_records(kb, list(keys), str(kind) if kind else None)
    from ..view.text import to_json, yaml_text

    if fmt in (Format.JSON, Format.JSONL):
        out(state, to_json(comparison.to_dict(), indent=2 if fmt == Format.JSON else None) + "\n")
        return
    if fmt == Format.YAML:
        out(state, yaml_text(comparison.to_dict()))
        return
    from .compare_view import render_comparison

    render_comparison(state, kb, comparison, fmt)


def search(state: State, text: Sequence[str] = (), kind: str | None = None, limit: int = 20, fmt: Format = Format.TABLE) -> None:
    """``irkb search``: ranked, typo-tolerant search; nothing close is an empty answer."""
    from ..query.fulltext import search as run_search
    from ..view.text import Column, csv_text, markdown_table, to_json, tsv, yaml_text

    state.format = str(fmt)
    query = " ".join(text)
    kb = state.kb()
    hits = run_search(kb, query, str(kind) if kind else None, limit)
    if not hits:
        warn(f"irkb: no close match for '{query}'")
    columns = [
        Column("kind", lambda h: h.kind),
        Column("id", lambda h: h.id),
        Column("name", lambda h: h.name, True),
        Column("score", lambda h: f"{h.score:g}"),
        Column("matched", lambda h: h.field),
        Column("snippet", lambda h: h.snippet, True),
    ]
    if rich_out(state, fmt):
        from ..view.rich import listing

        show_rich(state, listing(hits, [columns[1], columns[2], columns[0], *columns[3:]], width()), page=True)
        return
    if fmt == Format.TABLE:
        out(state, tsv(hits, columns))
        return
    if fmt == Format.MARKDOWN:
        out(state, markdown_table(hits, columns))
        return
    if fmt == Format.CSV:
        out(state, csv_text([{c.header: c.get(h) for c in columns} for h in hits], [c.header for c in columns]))
        return
    dicts = [{"record_type": h.kind, **kb.doc(h.kind, h.id), "score": h.score, "matched_field": h.field, "snippet": h.snippet} for h in hits]
    if fmt == Format.JSON:
        out(state, to_json(dicts) + "\n")
    elif fmt == Format.JSONL:
        out(state, "".join(to_json(d, indent=None) + "\n" for d in dicts))
    else:
        out(state, yaml_text(dicts) if dicts else "[]\n")


def stats(state: State, fmt: Format = Format.TABLE) -> None:
    """``irkb stats``: counts and coverage."""
    from ..query.counts import stats as compute
    from ..text import md
    from ..view.text import csv_text, to_json, yaml_text

    state.format = str(fmt)
    data = compute(state.kb())
    if rich_out(state, fmt):
        from ..view.rich import stats as stats_view

        show_rich(state, stats_view(data), page=True)
        return
    if fmt in (Format.JSON, Format.JSONL):
        out(state, to_json(data, indent=2 if fmt == Format.JSON else None) + "\n")
        return
    if fmt == Format.YAML:
        out(state, yaml_text(data))
        return
    lines = []
    for section, values in data.items():
        for key, value in values.items():
            shown = value
            if isinstance(value, list):
                shown = f"{len(value)}: {', '.join(value)}" if value else "0"
            elif isinstance(value, dict):
                shown = "; ".join(f"{k}={v}" for k, v in value.items())
            lines.append([section, str(key), str(shown)])
    if fmt == Format.CSV:
        out(state, csv_text([{"section": a, "key": b, "value": c} for a, b, c in lines], ["section", "key", "value"]))
    elif fmt == Format.MARKDOWN:
        out(state, "| section | key | value |\n|---|---|---|\n" + "".join(f"| {md(a)} | {md(b)} | {md(c)} |\n" for a, b, c in lines))
    else:
        out(state, "".join("\t".join(line) + "\n" for line in lines))


def completion_words(data_dir: str | None, kind: str | None, incomplete: str) -> list[str]:
    """Ids and one-word aliases starting with ``incomplete`` (for shell completion)."""
    try:
        from ..kb import load

        catalog = load(data_dir).catalog
        rows = catalog.execute("SELECT kind, id FROM keys WHERE loc = '[\"id\"]'") + catalog.execute("SELECT record_type, text FROM aliases")
    except Exception:
        return []
    low = incomplete.lower()
    return sorted({w for k, w in rows if kind in (None, k) and " " not in w and w.lower().startswith(low)})
