"""``irkb complications`` and ``irkb outcomes``: cited figures across records, one row per figure,
every figure shown with what it counts, its kind, population and source in every human format."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..index.tables import RATE
from ..vocab import Format
from .output import out, out_chunks, rich_out, show_rich
from .runtime import State

_TAIL = ("rate_kind", "per", "population", "note", "source", "source_kind", "locator")  # a figure's CSV columns after the rates


def _cell(i: int) -> Any:
    from ..view.plain import figure_cells

    return lambda row: figure_cells(row[1])[i]


def _flat(row: dict[str, Any], first: Sequence[str]) -> dict[str, Any]:
    """A figure row for CSV: the rate and the comparator spread over columns."""
    flat = {k: row.get(k) for k in first}
    flat.update({f"rate_{k}": row["rate"].get(k) for k in RATE})
    other = row.get("comparator") or {}
    flat["comparator_label"] = other.get("label")
    flat.update({f"comparator_{k}": (other.get("rate") or {}).get(k) for k in RATE})
    flat.update({k: row.get(k) for k in _TAIL})
    return flat


def _emit(state: State, pages: Iterator[list[dict[str, Any]]], fmt: Format, owner: Any, label: Any, first: Sequence[str], group_by_label: bool) -> None:
    from ..view.figures import figure_line
    from ..view.text import DATA_FORMATS, data_chunks, markdown_table, tsv

    if fmt in DATA_FORMATS:  # what scripts read: written a page at a time, never held whole
        each = (r for page in pages for r in page)
        header = [*first, *(f"rate_{k}" for k in RATE), "comparator_label", *(f"comparator_{k}" for k in RATE), *_TAIL]
        out_chunks(data_chunks((_flat(r, first) for r in each) if fmt == Format.CSV else each, fmt, lambda: header))
        return
    rows = [r for page in pages for r in page]  # a person's view groups and aligns the whole answer
    kinds = {r["source"]: r["source_kind"] for r in rows if r.get("source_kind")}
    lines = [(owner(r), figure_line(r, label(r), kinds)) for r in rows]
    if rich_out(state, fmt):
        from ..view.rich import figure_rows

        show_rich(state, figure_rows(lines, group_by_label), page=True)
        return
    from ..view.text import Column

    columns = [Column("record", lambda x: x[0])] + [
        Column(h, _cell(i)) for i, h in enumerate(("figure", "rate", "kind", "severity", "per", "counts", "population", "source"))
    ]
    out(state, markdown_table(lines, columns) if fmt == Format.MARKDOWN else tsv(lines, columns))


def complications(
    state: State,
    procedure: Sequence[str] | None = None,
    complication: Sequence[str] | None = None,
    access: Sequence[str] | None = None,
    of: str = "procedure",
    min_rate: float | None = None,
    rate_kind: str | None = None,
    sort: str = "procedure",
    fmt: Format = Format.TABLE,
) -> None:
    """``irkb complications``: complication figures across procedures (or access routes)."""
    from ..query.figures import complication_pages

    state.format = str(fmt)
    pages = complication_pages(
        state.kb(),
        procedure=procedure or (),
        complication=complication or (),
        access=access or (),
        of=str(of),
        min_rate=min_rate,
        rate_kind=str(rate_kind) if rate_kind else None,
        sort=str(sort),
    )
    first = ("procedure", "access_route", "complication", "severity", "severity_scale")
    _emit(state, pages, fmt, lambda r: r["procedure"] or r["access_route"], lambda r: r["complication_name"], first, str(sort) == "complication")


def outcomes(
    state: State,
    procedure: Sequence[str] | None = None,
    measure: Sequence[str] | None = None,
    min_value: float | None = None,
    rate_kind: str | None = None,
    sort: str = "procedure",
    fmt: Format = Format.TABLE,
) -> None:
    """``irkb outcomes``: outcome figures (technical success, patency, ...) across procedures."""
    from ..query.figures import outcome_pages

    state.format = str(fmt)
    pages = outcome_pages(
        state.kb(),
        procedure=procedure or (),
        measure=measure or (),
        min_value=min_value,
        rate_kind=str(rate_kind) if rate_kind else None,
        sort=str(sort),
    )
    _emit(state, pages, fmt, lambda r: r["procedure"], lambda r: r["measure"], ("procedure", "measure"), str(sort) == "measure")
