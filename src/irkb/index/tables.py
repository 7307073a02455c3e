"""The relational schema of the knowledge base, declared once: the compiled catalog stores it and
``irkb export -f sqlite`` is a copy of it.

- One table per record kind (``procedures``, ``modalities``, ...): primary key ``id``, a column per
  model field in canonical order (scalars as values, booleans 0/1, lists and objects as JSON text)
  and ``alias_text``. Its columns come from the model's JSON Schema, so a new field is a new column.
- Link tables: guidance, access routes, complication and outcome figures (one row per figure, the
  rate spread over columns), key figures, aliases and every record's sources. Their foreign keys
  are declared (SQLite enforces them only when asked), and hold when ``irkb validate`` is clean.

``record_rows`` turns one canonical record document into its rows for every table, without pydantic.
"""

from __future__ import annotations

from typing import Any

from .. import jsonio
from ..kinds import BY_NAME, KINDS

RATE = ("percent", "low", "high", "numerator", "denominator", "interval")
KEY_FIGURE_FIELDS = ("key_figures", "sheath_size", "time_to_ambulation")
"""Fields whose cited quantities (``Measure``) are rows of ``key_figures``."""
_RATE_SQL = "percent REAL, low REAL, high REAL, numerator INTEGER, denominator INTEGER, interval TEXT"
_COMPARATOR = ("label", *RATE, "population", "note")
_COMPARATOR_SQL = ", ".join(
    f"comparator_{c} {'REAL' if c in ('percent', 'low', 'high') else 'INTEGER' if c in ('numerator', 'denominator') else 'TEXT'}" for c in _COMPARATOR
)
_FIGURE_TAIL = f"rate_kind TEXT, per TEXT, {_COMPARATOR_SQL}, population TEXT, source_id TEXT REFERENCES sources(id), locator TEXT, note TEXT"

LINK_TABLES: dict[str, str] = {
    "procedure_modalities": "procedure_id TEXT NOT NULL REFERENCES procedures(id), position INTEGER NOT NULL, "
    "modality_id TEXT NOT NULL REFERENCES modalities(id), role TEXT NOT NULL, phases TEXT NOT NULL, note TEXT",
    "procedure_access_routes": "procedure_id TEXT NOT NULL REFERENCES procedures(id), position INTEGER NOT NULL, "
    "access_route_id TEXT NOT NULL REFERENCES access_routes(id)",
    "complication_figures": "procedure_id TEXT REFERENCES procedures(id), access_route_id TEXT REFERENCES access_routes(id), "
    "position INTEGER NOT NULL, complication_id TEXT NOT NULL REFERENCES complications(id), severity TEXT, severity_scale TEXT, "
    f"{_RATE_SQL}, {_FIGURE_TAIL}",
    "outcome_figures": f"procedure_id TEXT NOT NULL REFERENCES procedures(id), position INTEGER NOT NULL, measure TEXT NOT NULL, {_RATE_SQL}, {_FIGURE_TAIL}",
    "key_figures": "record_type TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL, position INTEGER NOT NULL, label TEXT, "
    "value REAL, low REAL, high REAL, unit TEXT NOT NULL, qualifier TEXT, population TEXT, source_id TEXT REFERENCES sources(id), "
    "locator TEXT, note TEXT",
    "aliases": "record_type TEXT NOT NULL, record_id TEXT NOT NULL, position INTEGER NOT NULL, text TEXT NOT NULL, kind TEXT, ambiguous INTEGER NOT NULL",
    "record_sources": "record_type TEXT NOT NULL, record_id TEXT NOT NULL, position INTEGER NOT NULL, source_id TEXT NOT NULL REFERENCES sources(id)",
}
"""Link table -> its columns (SQL)."""


def link_columns(table: str) -> list[str]:
    """Column names of a link table, in order."""
    return [part.split()[0] for part in LINK_TABLES[table].split(", ")]


LINK_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # A filter asks "does procedure p link to x?": the index on x carries the owner too, so the
    # lookup is one index probe, not a scan of every row that links to x.
    ("procedure_modalities", ("procedure_id",)),
    ("procedure_modalities", ("modality_id", "procedure_id", "role")),
    ("procedure_access_routes", ("procedure_id",)),
    ("procedure_access_routes", ("access_route_id", "procedure_id")),
    ("complication_figures", ("procedure_id",)),
    ("complication_figures", ("access_route_id",)),
    ("complication_figures", ("complication_id", "procedure_id")),
    ("outcome_figures", ("procedure_id",)),
    ("outcome_figures", ("measure", "procedure_id")),
    ("key_figures", ("record_id",)),
    ("aliases", ("record_id",)),
    ("record_sources", ("record_id",)),
    ("record_sources", ("source_id",)),
)

PUBLIC_TABLES: tuple[str, ...] = (*(k.key for k in KINDS), *LINK_TABLES)
"""Every table of the shared schema, record tables first (what the SQLite export holds)."""

# The record-table columns a kind owns through a link table; delete and insert follow them.
_OWNER_COLUMN = {"procedure": "procedure_id", "access-route": "access_route_id"}


def column_types(kind: str) -> dict[str, str]:
    """Column -> SQL type of a kind's table, from its JSON Schema (anything nested is JSON text)."""
    from ..model import field_order
    from ..model.schema import property_types

    types = property_types(kind)
    return {name: _sql_type(types.get(name, frozenset())) for name in field_order(kind)}


_SQL = {"string": "TEXT", "date": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}


def _sql_type(types: frozenset[str]) -> str:
    if not types <= set(_SQL):
        return "TEXT"  # nested (or untyped): stored as JSON text
    found = {_SQL[t] for t in types}
    if found == {"INTEGER", "REAL"}:
        return "REAL"
    return found.pop() if len(found) == 1 else "TEXT"


def schema_sql() -> str:
    """CREATE statements for every public table and index (record tables' columns from the models)."""
    parts = []
    for kind in KINDS:
        columns = column_types(kind.name)
        cols = [f"[{name}] {sql}" + (" PRIMARY KEY NOT NULL" if name == "id" else "") for name, sql in columns.items()]
        if kind.name == "procedure" and "family" in columns:
            cols = [c + " REFERENCES procedures(id)" if c.startswith("[family]") else c for c in cols]
        cols.append("[alias_text] TEXT NOT NULL")
        parts.append(f"CREATE TABLE IF NOT EXISTS [{kind.key}] ({', '.join(cols)});")
    for table, link_columns in LINK_TABLES.items():
        parts.append(f"CREATE TABLE IF NOT EXISTS [{table}] ({link_columns});")
    for table, indexed in LINK_INDEXES:
        parts.append(f"CREATE INDEX IF NOT EXISTS [{table}_{'_'.join(indexed)}] ON [{table}]({', '.join(f'[{c}]' for c in indexed)});")
    return "\n".join(parts)


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return jsonio.dumps(value, indent=False)
    if isinstance(value, bool):
        return int(value)
    return value


def _figure_cells(figure: dict[str, Any]) -> list[Any]:
    rate = figure.get("rate") or {}
    other = figure.get("comparator") or {}
    other_rate = other.get("rate") or {}
    comparator = [other.get("label"), *(other_rate.get(k) for k in RATE), other.get("population"), other.get("note")]
    return [
        *(rate.get(k) for k in RATE),
        figure.get("rate_kind"),
        figure.get("per"),
        *comparator,
        figure.get("population"),
        figure.get("source"),
        figure.get("locator"),
        figure.get("note"),
    ]


def record_rows(kind: str, doc: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of one canonical record document for every table it appears in (record table included)."""
    rid = doc["id"]
    aliases = doc.get("aliases") or []
    out: dict[str, list[tuple[Any, ...]]] = {BY_NAME[kind].key: [(*(_cell(v) for v in doc.values()), "; ".join(a["text"] for a in aliases))]}
    out["aliases"] = [(kind, rid, i, a["text"], a.get("kind"), int(bool(a.get("ambiguous")))) for i, a in enumerate(aliases)]
    out["record_sources"] = [(kind, rid, i, s) for i, s in enumerate(doc.get("sources") or [])]
    out["key_figures"] = [
        (
            kind,
            rid,
            name,
            i,
            m.get("label"),
            m.get("value"),
            m.get("low"),
            m.get("high"),
            m["unit"],
            m.get("qualifier"),
            m.get("population"),
            m.get("source"),
            m.get("locator"),
            m.get("note"),
        )
        for name in KEY_FIGURE_FIELDS
        for i, m in enumerate(doc.get(name) or [])
    ]
    owner = _OWNER_COLUMN.get(kind)
    if owner is not None:
        out["complication_figures"] = [
            (
                rid if kind == "procedure" else None,
                rid if kind == "access-route" else None,
                i,
                f["complication"],
                f.get("severity"),
                f.get("severity_scale"),
                *tuple(_figure_cells(f)),
            )
            for i, f in enumerate(doc.get("complications") or [])
        ]
    if kind == "procedure":
        out["procedure_modalities"] = [
            (rid, i, g["modality"], g["role"], jsonio.dumps(g.get("phases") or [], indent=False), g.get("note"))
            for i, g in enumerate(doc.get("guidance") or [])
        ]
        out["procedure_access_routes"] = [(rid, i, r) for i, r in enumerate(doc.get("access_routes") or [])]
        out["outcome_figures"] = [(rid, i, f["measure"], *_figure_cells(f)) for i, f in enumerate(doc.get("outcomes") or [])]
    return out


def delete_sql(kind: str) -> list[str]:
    """Statements (one ``?``: the id) removing one record's rows from every public table."""
    out = [f"DELETE FROM [{BY_NAME[kind].key}] WHERE id = ?", "DELETE FROM aliases WHERE record_id = ? AND record_type = '" + kind + "'"]
    out += [f"DELETE FROM {t} WHERE record_id = ? AND record_type = '{kind}'" for t in ("record_sources", "key_figures")]
    owner = _OWNER_COLUMN.get(kind)
    if owner is not None:
        out.append(f"DELETE FROM complication_figures WHERE {owner} = ?")
    if kind == "procedure":
        out += [f"DELETE FROM {t} WHERE procedure_id = ?" for t in ("procedure_modalities", "procedure_access_routes", "outcome_figures")]
    return out


def insert_sql(table: str, width: int) -> str:
    """``INSERT INTO table VALUES (?, ...)`` for rows of ``width`` cells."""
    return f"INSERT INTO [{table}] VALUES ({', '.join('?' * width)})"
