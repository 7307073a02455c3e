"""Cited figures across records, one row per figure: complications (of procedures and of access
routes) and outcomes (of procedures), filtered and sorted in SQL over the shared schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..index.catalog import in_pages
from ..index.tables import RATE
from ..vocab import RateKind, closed_value

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

UPPER = "coalesce(f.percent, f.high, f.low)"
"""The value a figure is compared and sorted by: the point value, else the upper bound, else the lower one."""

_COMPARATOR = ("label", *RATE, "population", "note")


def _rate(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    return {k: row[prefix + k] for k in RATE}


def _figure(row: dict[str, Any]) -> dict[str, Any]:
    """The part every figure row shares, from a row of complication_figures or outcome_figures."""
    comparator = None
    if row["comparator_label"] is not None:
        comparator = {
            "label": row["comparator_label"],
            "rate": _rate(row, "comparator_"),
            "population": row["comparator_population"],
            "note": row["comparator_note"],
        }
    return {
        "rate": _rate(row),
        "rate_kind": row["rate_kind"],
        "per": row["per"],
        "comparator": comparator,
        "population": row["population"],
        "note": row["note"],
        "source": row["source_id"],
        "source_kind": row["source_kind"],
        "locator": row["locator"],
    }


def _kind(value: str | None) -> str | None:
    return closed_value(RateKind, value, "--rate-kind") if value else None


def _in(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    return f"{column} IN ({','.join('?' * len(values))})", list(values)


def complication_rows(kb: KnowledgeBase, **filters: Any) -> list[dict[str, Any]]:
    """``complication_pages`` as one list."""
    return [row for page in complication_pages(kb, **filters) for row in page]


def complication_pages(
    kb: KnowledgeBase,
    *,
    procedure: Sequence[str] = (),
    complication: Sequence[str] = (),
    access: Sequence[str] = (),
    min_rate: float | None = None,
    rate_kind: str | None = None,
    of: str = "procedure",
    sort: str = "procedure",
) -> Iterator[list[dict[str, Any]]]:
    """One row per complication figure, with the procedure (or access route) id and names added,
    a page at a time (the filters are checked before the first page: a bad one raises at once).

    ``of`` is ``procedure`` (default), ``access-route`` or ``all``; naming ``access`` routes means
    access-route figures. ``min_rate`` compares each figure's upper value (percent, else high);
    ``sort`` is ``procedure``, ``complication`` or ``rate`` (highest first).
    """
    if sort not in ("procedure", "complication", "rate"):
        raise UsageError(f"invalid sort '{sort}' (allowed: procedure, complication, rate)")
    if of not in ("procedure", "access-route", "all"):
        raise UsageError(f"invalid record kind '{of}' for figures (allowed: procedure, access-route, all)")
    where, params = ["1"], []
    if procedure or (of == "procedure" and not access):
        where.append("f.procedure_id IS NOT NULL")
    if access or of == "access-route":
        where.append("f.access_route_id IS NOT NULL")
    for column, values, kind in (
        ("f.procedure_id", procedure, "procedure"),
        ("f.access_route_id", access, "access-route"),
        ("f.complication_id", complication, "complication"),
    ):
        if values:
            sql, args = _in(column, [kb.resolve(v, kind)[1] for v in values])
            where.append(sql)
            params += args
    _rate_filters(where, params, rate_kind, min_rate)
    order = {
        "procedure": f"coalesce(f.procedure_id, f.access_route_id), f.complication_id, {UPPER} DESC, f.position",
        "complication": f"f.complication_id, {UPPER} DESC, coalesce(f.procedure_id, f.access_route_id), f.position",
        "rate": f"{UPPER} DESC, coalesce(f.procedure_id, f.access_route_id), f.complication_id, f.position",
    }[sort]
    select = (
        "SELECT f.rowid AS row_number, f.*, p.name AS procedure_name, a.name AS access_route_name, c.name AS complication_name,"
        " s.kind AS source_kind FROM complication_figures f LEFT JOIN procedures p ON p.id = f.procedure_id"
        " LEFT JOIN access_routes a ON a.id = f.access_route_id LEFT JOIN complications c ON c.id = f.complication_id"
        " LEFT JOIN sources s ON s.id = f.source_id"
    )

    def row(r: dict[str, Any]) -> dict[str, Any]:
        return {
            "procedure": r["procedure_id"],
            "procedure_name": r["procedure_name"],
            "access_route": r["access_route_id"],
            "access_route_name": r["access_route_name"],
            "complication": r["complication_id"],
            "complication_name": r["complication_name"] or r["complication_id"],
            "severity": r["severity"],
            "severity_scale": r["severity_scale"],
            **_figure(r),
        }

    return _pages(kb, "complication_figures", where, params, order, select, row)


def _rate_filters(where: list[str], params: list[Any], rate_kind: str | None, minimum: float | None) -> None:
    """The conditions both figure tables share: the kind of rate, and the lowest value wanted."""
    if (kind := _kind(rate_kind)) is not None:
        where.append("f.rate_kind = ?")
        params.append(kind)
    if minimum is not None:
        where.append(f"{UPPER} >= ?")
        params.append(minimum)


def outcome_rows(kb: KnowledgeBase, **filters: Any) -> list[dict[str, Any]]:
    """``outcome_pages`` as one list."""
    return [row for page in outcome_pages(kb, **filters) for row in page]


def outcome_pages(
    kb: KnowledgeBase,
    *,
    procedure: Sequence[str] = (),
    measure: Sequence[str] = (),
    min_value: float | None = None,
    rate_kind: str | None = None,
    sort: str = "procedure",
) -> Iterator[list[dict[str, Any]]]:
    """One row per outcome figure (technical success, patency, ...), with the procedure id and name
    added, a page at a time (the filters are checked before the first page).

    ``measure`` matches a measure id with or without its time point (``primary-patency`` finds
    ``primary-patency-12m``); ``sort`` is ``procedure``, ``measure`` or ``value`` (highest first).
    """
    if sort not in ("procedure", "measure", "value"):
        raise UsageError(f"invalid sort '{sort}' (allowed: procedure, measure, value)")
    from ..measures import OUTCOME_MEASURES, measure_base

    where, params = ["1"], []
    if procedure:
        sql, args = _in("f.procedure_id", [kb.resolve(v, "procedure")[1] for v in procedure])
        where.append(sql)
        params += args
    if measure:
        ors = []
        for m in measure:
            ors.append("(f.measure = ? OR f.measure GLOB ?)")
            params += [m, m + "-[0-9]*"]
        where.append("(" + " OR ".join(ors) + ")")
    _rate_filters(where, params, rate_kind, min_value)
    order = {
        "procedure": f"f.procedure_id, f.measure, {UPPER} DESC, f.position",
        "measure": f"f.measure, {UPPER} DESC, f.procedure_id, f.position",
        "value": f"{UPPER} DESC, f.procedure_id, f.measure, f.position",
    }[sort]
    select = (
        "SELECT f.rowid AS row_number, f.*, p.name AS procedure_name, s.kind AS source_kind FROM outcome_figures f"
        " LEFT JOIN procedures p ON p.id = f.procedure_id LEFT JOIN sources s ON s.id = f.source_id"
    )

    def row(r: dict[str, Any]) -> dict[str, Any]:
        return {
            "procedure": r["procedure_id"],
            "procedure_name": r["procedure_name"],
            "measure": r["measure"],
            "measure_definition": OUTCOME_MEASURES.get(measure_base(r["measure"])),
            **_figure(r),
        }

    return _pages(kb, "outcome_figures", where, params, order, select, row)


PAGE = 500  # figures read at once (a test makes it 1)


def _pages(
    kb: KnowledgeBase, table: str, where: list[str], params: list[Any], order: str, select: str, row: Callable[[dict[str, Any]], dict[str, Any]]
) -> Iterator[list[dict[str, Any]]]:
    """The figures a query selects, in its order, a page at a time and in one read transaction:
    their row numbers are sorted first (small, whatever the count), then read a page at a time."""
    db = kb.catalog.db

    def pages() -> Iterator[list[dict[str, Any]]]:
        numbers = [r[0] for r in db.execute(f"SELECT f.rowid FROM {table} f WHERE {' AND '.join(where)} ORDER BY {order}, f.rowid", params)]
        for chunk, marks in in_pages(numbers, PAGE):
            found = {r["row_number"]: r for r in db.select(f"{select} WHERE f.rowid IN ({marks})", chunk)}
            yield [row(found[n]) for n in chunk]

    return db.read_pages(pages)


def upper(rate: dict[str, Any]) -> float:
    """The figure used to compare rates: percent, else high, else low (as ``UPPER`` in SQL)."""
    return float(next((v for v in (rate.get("percent"), rate.get("high"), rate.get("low")) if v is not None), 0.0))
