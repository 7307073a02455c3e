"""``irkb export -f sqlite``: a copy of the catalog's public tables (the one relational schema of
``irkb.index.tables``), plus a metadata row and full-text indexes for Datasette.

Rows are copied in key order into a fresh database, so the same data gives the same file. The file
is built beside the target and renamed over it only when complete (``irkb.atomic``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import replacing
from ..index.tables import LINK_TABLES, PUBLIC_TABLES, schema_sql
from ..kinds import KINDS
from .snapshot import Progress, Snapshot

if TYPE_CHECKING:
    from ..index.catalog import Catalog

SEARCH_COLUMNS = {
    "procedure": ("name", "alias_text", "summary"),
    "modality": ("name", "alias_text", "summary"),
    "access-route": ("name", "alias_text", "summary"),
    "complication": ("name", "alias_text", "definition"),
    "source": ("title", "alias_text", "note"),
}
"""Columns of each record table's full-text index (what Datasette's search box looks in)."""

_OWNED = ("procedure_id", "position")
_ORDER: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    **{k.key: [("", ("id",))] for k in KINDS},
    "procedure_modalities": [("", _OWNED)],
    "procedure_access_routes": [("", _OWNED)],
    # an access route's figures (no procedure) first, as ORDER BY procedure_id, access_route_id,
    # position puts them: each figure has exactly one owner
    "complication_figures": [("procedure_id IS NULL", ("access_route_id", "position")), ("procedure_id IS NOT NULL", _OWNED)],
    "outcome_figures": [("", _OWNED)],
    "key_figures": [("", ("record_type", "record_id", "field", "position"))],
    "aliases": [("", ("record_type", "record_id", "position"))],
    "record_sources": [("", ("record_type", "record_id", "position"))],
}
"""Each public table's copy order: parts (a filter) each ordered by a unique key of non-null columns."""


def write_sqlite(catalog: Catalog, snap: Snapshot, path: Path, *, progress: Progress | None = None) -> None:
    """Build the database at ``path`` atomically from the catalog's tables."""
    with replacing(Path(path)) as tmp:
        build(catalog, snap, tmp, progress=progress)


_PAGE = 2000  # rows copied at once


def _pages(catalog: Catalog, table: str) -> Iterator[list[Any]]:
    """A table's rows in copy order, a page at a time (keyset paging on the order's key): memory
    stays flat however large the table."""
    names = [r[1] for r in catalog.execute(f"PRAGMA table_info([{table}])")]
    for where, key in _ORDER[table]:
        at = [names.index(column) for column in key]
        columns = ", ".join(key)
        after: tuple[Any, ...] | None = None
        while True:
            conditions = [c for c in (where, f"({columns}) > ({', '.join('?' * len(key))})" if after else "") if c]
            sql = f"SELECT * FROM [{table}]{' WHERE ' + ' AND '.join(conditions) if conditions else ''} ORDER BY {columns} LIMIT {_PAGE}"
            rows = catalog.execute(sql, after or ())
            if not rows:
                break
            yield rows
            after = tuple(rows[-1][i] for i in at)


def build(catalog: Catalog, snap: Snapshot, path: Path, *, progress: Progress | None = None) -> None:
    """Copy every public table into the (empty) database at ``path``, then index and describe it."""
    assert set(_ORDER) == set(PUBLIC_TABLES), "every public table needs a copy order"
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        for statement in schema_sql().split(";"):
            if statement.strip():
                db.execute(statement)
        total = len(PUBLIC_TABLES)
        for done, table in enumerate(PUBLIC_TABLES, start=1):
            for rows in _pages(catalog, table):
                db.executemany(f"INSERT INTO [{table}] VALUES ({', '.join('?' * len(rows[0]))})", rows)
            if progress is not None:
                progress(done, total)
        db.execute("CREATE TABLE metadata(schema_version TEXT, data_version TEXT, generated_at TEXT)")
        db.execute("INSERT INTO metadata VALUES (?, ?, ?)", (snap.schema_version, snap.data_version, snap.generated_at))
        db.execute("PRAGMA user_version = 2")
        db.execute("COMMIT")
    finally:
        db.close()
    _full_text(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("VACUUM")
    finally:
        db.close()


def _full_text(path: Path) -> None:
    """FTS5 indexes over each record table's names and text, as Datasette expects them (sqlite-utils).

    No stemming: an abbreviation such as TIPS is found as written, not as 'tip'.
    """
    import sqlite_utils

    db = sqlite_utils.Database(path, execute_plugins=False)
    try:
        for kind in KINDS:
            db.table(kind.key).enable_fts(list(SEARCH_COLUMNS[kind.name]), tokenize="unicode61")
    finally:
        db.close()


TABLES = (*PUBLIC_TABLES, "metadata")
"""Tables of the SQLite export (FTS tables ``<record table>_fts`` come with the record tables)."""
assert set(LINK_TABLES) <= set(TABLES)
