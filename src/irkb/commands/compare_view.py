"""``irkb compare`` for people: the fields that differ (marked '≠', not by colour alone, order set
aside), then figures lined up by complication and by outcome measure across the records."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..vocab import Format
from .output import out, rich_out, show_rich, width
from .runtime import State

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..query.comparison import Comparison


def _nth(i: int) -> Any:
    return lambda row: row[1][i]


def _nth2(i: int) -> Any:
    return lambda row: row[1][1][i]


def _value(doc: dict[str, Any], name: str) -> str:
    value = doc.get(name)
    if value in (None, [], {}, ""):
        return "—"
    if name == "guidance":
        return ", ".join(f"{g['modality']} ({g['role']})" for g in value)
    if name == "aliases":
        return ", ".join(a["text"] for a in value)
    if name in ("complications", "outcomes"):
        return f"{len(value)} figure(s), lined up below"
    if isinstance(value, list):
        texts = [v if isinstance(v, str) else v.get("text") or v.get("procedure") or v.get("name") or v.get("label") or "" for v in value]
        return "; ".join(str(t) for t in texts if t)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v)
    return str(value)


def _rows(comparison: Comparison) -> list[tuple[str, list[str]]]:
    """(marked field, values) for every field some record fills; '≠' marks a difference."""
    rows = []
    for name in comparison.docs[0]:
        if name == "id":
            continue
        values = [_value(d, name) for d in comparison.docs]
        if all(v == "—" for v in values):
            continue
        rows.append((("≠ " if name in comparison.differing_fields else "= ") + name, values))
    return rows


def _cells(matrix: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, dict[str, str]]:
    from ..view.figures import span

    return {label: {rid: span(figures) for rid, figures in by_record.items()} for label, by_record in matrix.items()}


def render_comparison(state: State, kb: KnowledgeBase, comparison: Comparison, fmt: Format) -> None:
    """Fields, complications and outcomes of the compared records, as rich, Markdown, CSV or plain lines."""
    from ..view.text import Column, csv_text, markdown_table, tsv

    ids = [d["id"] for d in comparison.docs]
    names = kb.names("complication")
    sections = [("field", _rows(comparison))]
    labels: dict[str, Callable[[str], str]] = {"complication": lambda c: names.get(c) or c, "outcome": lambda m: m}
    for title, matrix in (("complication", comparison.complications), ("outcome", comparison.outcomes)):
        label = labels[title]
        cells = _cells(matrix)
        rows = []
        for key, by_record in cells.items():
            values = [by_record.get(rid) or "—" for rid in ids]
            rows.append((("≠ " if len(set(values)) > 1 else "= ") + label(key), values))
        sections.append((title, rows))
    if rich_out(state, fmt):
        from rich.console import Group
        from rich.rule import Rule

        from ..view.rich import listing

        parts: list[Any] = []
        for title, rows in sections:
            if not rows:
                continue
            parts.append(Rule(title + "s", align="left", style="dim"))
            columns = [Column(title, lambda r: r[0], True)] + [Column(rid, _nth(i), True) for i, rid in enumerate(ids)]
            parts.append(listing(rows, columns, width()))
        show_rich(state, Group(*parts), page=True)
        return
    if fmt == Format.CSV:
        flat = [
            {"section": title, "name": row[0][2:], "differs": row[0].startswith("≠"), **dict(zip(ids, row[1], strict=True))}
            for title, rows in sections
            for row in rows
        ]
        out(state, csv_text(flat, ["section", "name", "differs", *ids]))
        return
    columns = [Column("section", lambda r: r[0]), Column("name", lambda r: r[1][0])] + [Column(rid, _nth2(i)) for i, rid in enumerate(ids)]
    rows_all = [(title, row) for title, rows in sections for row in rows]
    out(state, markdown_table(rows_all, columns) if fmt == Format.MARKDOWN else tsv(rows_all, columns))
