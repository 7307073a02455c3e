"""The compiled catalog: one SQLite database holding every valid record of a knowledge base in the
shared relational schema (``tables``), with lookup keys, a search index and every file's problems.

``Catalog.open(data_dir)`` refreshes it (``refresh``) so it matches the files on disk; reading it
needs neither the YAML parser nor pydantic. Paths are stored relative to the data directory, so
the catalog is the same whichever directory a command runs from.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from .. import jsonio
from ..errors import Problem
from ..ingest.limits import Limits
from ..kinds import BY_NAME, KINDS
from . import cachedir
from .refresh import Progress, refresh
from .store import Connection, Rows, connect, create, open_file

T = TypeVar("T")


class SearchKeys(NamedTuple):
    """Every normalised id, name and alias, and beside each the row of ``keys`` it comes from
    (whose it is is read only for the few that match: ``key_owners``)."""

    texts: list[str]
    rowids: array[int]


PAGE = 500  # values per ``IN (...)`` list: well under SQLite's limit on parameters


def in_pages(values: Sequence[T], page: int = PAGE) -> Iterator[tuple[list[T], str]]:
    """``values`` a page at a time, each with its placeholders for ``IN (...)``: ``?,?,?``."""
    for start in range(0, len(values), page):
        chunk = list(values[start : start + page])
        yield chunk, ",".join("?" * len(chunk))


_FIELD_OF_LOC = {'["id"]': "id", '["name"]': "name", '["title"]': "title"}  # a key's place -> its field (else an alias)


def _wanted(data_dir: Path) -> dict[str, str]:
    limits = Limits.from_env()  # a record read under other limits may pass or fail differently now
    return {
        "format": cachedir.CACHE_FORMAT,
        "code": cachedir.code_fingerprint(),
        "data_dir": str(data_dir),
        "limits": f"{limits.max_file_bytes}:{limits.max_depth}",
    }


def _public_sql() -> str:
    from .modeldata import generated

    return str(generated()["public_sql"])


class Catalog:
    """Read access to a compiled knowledge base. Open with ``Catalog.open(data_dir)``."""

    def __init__(self, db: sqlite3.Connection, data_dir: Path, location: Path | None, progress: Progress | None = None, *, tables: bool = True) -> None:
        self.db = Connection(db, self._rebuilt if location is not None else None)
        self.data_dir = data_dir
        self.location = location
        self._progress = progress
        self.tables = tables  # False: the public tables and search index may be left for later (``refresh``)
        self._docs: dict[tuple[str, str], dict[str, Any]] = {}
        self._texts: dict[str, str] = {}
        self._search_keys: SearchKeys | None = None

    @classmethod
    def open(cls, data_dir: Path, *, progress: Progress | None = None, tables: bool = True) -> Catalog:
        """The catalog of ``data_dir``, refreshed so it matches the files on disk.

        ``progress(done, total)`` is called while many files are compiled (a cold build).
        ``tables=False`` is for checking only (problems, counts, lookup keys): a cold build then
        leaves the public tables and the search index to the next ``open`` that wants them.
        """
        data_dir = Path(data_dir).resolve()
        wanted = _wanted(data_dir)
        directory = cachedir.cache_root()
        if directory is not None and cachedir.prepare(directory):
            location = cachedir.location(directory, data_dir)
            for attempt in range(2):
                try:
                    db, built = open_file(location, wanted, _public_sql, lambda fresh: refresh(fresh, data_dir, progress, tables=tables))
                    catalog = cls(db, data_dir, location, progress, tables=tables)
                    if not built:
                        refresh(catalog.db, data_dir, progress, tables=tables)
                    return catalog
                except sqlite3.DatabaseError:
                    cachedir.remove(location)  # corrupt, locked for too long, or not ours: rebuild, never trust
                    if attempt:
                        break
                except OSError:
                    break  # cache directory not writable: fall back to memory
        db = connect(":memory:")
        create(db, _public_sql(), wanted)
        catalog = cls(db, data_dir, None, progress, tables=tables)
        refresh(catalog.db, data_dir, progress, tables=tables)
        return catalog

    def _rebuilt(self) -> sqlite3.Connection:
        """The connection to a fresh catalog, after a read found this one's file damaged."""
        with contextlib.suppress(sqlite3.Error):
            self.db.raw.close()
        if self.location is not None:
            cachedir.remove(self.location)
        fresh = Catalog.open(self.data_dir, progress=self._progress, tables=self.tables)
        self.location = fresh.location
        self._docs.clear()
        return fresh.db.raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run a read query against the catalog's tables."""
        return self.db.execute(sql, params)

    # ------------------------------------------------------------------ records

    def ids(self, kind: str) -> list[str]:
        """Ids of one kind, sorted."""
        return [r[0] for r in self.db.execute(f"SELECT id FROM [{BY_NAME[kind].key}] ORDER BY id")]

    def count(self, kind: str | None = None) -> int:
        """Number of records (of one kind)."""
        if not self.tables:  # read from the lookup keys: every served record has its id there
            where = " AND kind = ?" if kind else ""
            return int(self.db.execute(f"SELECT count(*) FROM keys WHERE loc = '[\"id\"]'{where}", (kind,) if kind else ()).fetchone()[0])
        kinds = [BY_NAME[kind]] if kind else list(KINDS)
        return sum(int(self.db.execute(f"SELECT count(*) FROM [{k.key}]").fetchone()[0]) for k in kinds)

    def has(self, kind: str, rid: str) -> bool:
        """Whether a record exists."""
        return self.db.execute(f"SELECT 1 FROM [{BY_NAME[kind].key}] WHERE id = ?", (rid,)).fetchone() is not None

    def doc_text(self, kind: str, rid: str) -> str:
        """The record's canonical JSON (indent 2), as stored."""
        row = self.db.execute(
            f"SELECT d.json FROM documents d JOIN [{BY_NAME[kind].key}] t ON t.id = d.id WHERE d.kind = ? AND d.id = ?", (kind, rid)
        ).fetchone()
        if row is None:
            raise KeyError((kind, rid))
        return str(row[0])

    def doc(self, kind: str, rid: str) -> dict[str, Any]:
        """The record's canonical document (every field, JSON types, canonical order)."""
        key = (kind, rid)
        if key not in self._docs:
            self._docs[key] = jsonio.loads(self.doc_text(kind, rid))
        return self._docs[key]

    def doc_texts(self, kind: str, ids: Sequence[str] | None = None) -> list[str]:
        """Stored JSON texts of the given ids in the order given (every record, by id, when None)."""
        return [text for page in self.doc_text_pages(kind, ids) for text in page]

    def doc_text_pages(self, kind: str, ids: Sequence[str] | None = None, page: int = PAGE) -> Iterator[list[str]]:
        """``doc_texts``, a page at a time (ids that name no record are left out)."""
        sql = f"SELECT d.id, d.json FROM documents d JOIN [{BY_NAME[kind].key}] t ON t.id = d.id WHERE d.kind = ?"
        if ids is None:  # every record, by id: keyset paging
            last = ""
            while rows := self.db.execute(sql + f" AND d.id > ? ORDER BY d.id LIMIT {int(page)}", (kind, last)):
                yield [text for _, text in rows]
                last = rows[-1][0]
            return
        for chunk, marks in in_pages(ids, page):
            found = dict(self.db.execute(sql + f" AND d.id IN ({marks})", (kind, *chunk)).fetchall())
            yield [found[i] for i in chunk if i in found]

    def docs(self, kind: str, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Documents of one kind (every record by id, or the ids given, in that order)."""
        return [jsonio.loads(t) for t in self.doc_texts(kind, ids)]

    def names(self, kind: str, ids: Sequence[str] | None = None) -> dict[str, str]:
        """Display name (name, or a source's title) of every record of one kind, or of those ``ids``."""
        column = "title" if kind == "source" else "name"
        query = f"SELECT id, [{column}] FROM [{BY_NAME[kind].key}]"
        if ids is None:
            return dict(self.db.execute(query).fetchall())
        out: dict[str, str] = {}
        for chunk, marks in in_pages(ids):
            out.update(self.db.execute(f"{query} WHERE id IN ({marks})", chunk).fetchall())
        return out

    # ------------------------------------------------------------------ lookup keys

    def exact(self, rid: str) -> list[str]:
        """Kinds that have a record with exactly this id."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT kind FROM keys WHERE id = ? AND loc = '[\"id\"]' ORDER BY kind", (rid,))]

    def by_key(self, key: str) -> list[tuple[str, str]]:
        """(kind, id) of every record whose id, name or alias normalises to ``key``."""
        return [(r[0], r[1]) for r in self.db.execute("SELECT DISTINCT kind, id FROM keys WHERE key = ? ORDER BY kind, id", (key,))]

    def all_keys(self, kind: str | None = None) -> list[tuple[str, str, str]]:
        """(normalised key, kind, id) of every id, name and alias (for suggestions and completion)."""
        if kind:
            return [(r[0], r[1], r[2]) for r in self.db.execute("SELECT key, kind, id FROM keys WHERE kind = ? ORDER BY rowid", (kind,))]
        return [(r[0], r[1], r[2]) for r in self.db.execute("SELECT key, kind, id FROM keys ORDER BY rowid")]  # as stored: ties rank alike everywhere

    def search_keys(self) -> SearchKeys:
        """Every id, name and alias (normalised), read once per process: two columns, so memory
        stays small however many records there are."""
        if self._search_keys is None:
            rows = self.db.execute("SELECT rowid, key FROM keys ORDER BY rowid")
            self._search_keys = SearchKeys([r[1] for r in rows], array("q", [r[0] for r in rows]))
        return self._search_keys

    def key_owners(self, rowids: list[int]) -> dict[int, tuple[str, str, str, str]]:
        """rowid of a ``keys`` row -> (kind, id, field, the text as written)."""
        out = {}
        for chunk, marks in in_pages(rowids):
            for rowid, kind, rid, loc, text in self.db.execute(f"SELECT rowid, kind, id, loc, text FROM keys WHERE rowid IN ({marks})", chunk):
                out[rowid] = (kind, rid, _FIELD_OF_LOC.get(loc, "aliases"), text)
        return out

    # ------------------------------------------------------------------ problems

    def file_problems(self) -> list[Problem]:
        """Problems found in single files (syntax, types, fields, ids), with data-directory paths."""
        out = []
        for (text,) in self.db.execute("SELECT problems FROM files WHERE problems != '[]'"):
            out += [Problem(**p) for p in jsonio.loads(text)]
        return out

    def skipped_files(self) -> list[str]:
        """Paths of files whose record is not served: errors in the file, or an id another file claims too."""
        row = self.db.execute("SELECT value FROM derived WHERE key = 'skipped'").fetchone()
        if row is not None:
            return list(jsonio.loads(row[0]))
        rows = self.db.execute(
            "SELECT path FROM files f WHERE errors > 0"
            " OR (record_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM keys k WHERE k.kind = f.kind AND k.id = f.record_id)) ORDER BY path"
        )
        paths = [r[0] for r in rows]
        with contextlib.suppress(sqlite3.DatabaseError), self.db.transaction():  # kept until a file changes
            self.db.execute("INSERT OR REPLACE INTO derived(key, value) VALUES ('skipped', ?)", (jsonio.dumps(paths, indent=False),))
        return paths

    def citing(self, source_id: str) -> list[str]:
        """Ids of records that cite a source."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT record_id FROM record_sources WHERE source_id = ? ORDER BY record_id", (source_id,))]

    def integrity(self, today: dt.date, suggest: Callable[[str, str], list[str]]) -> list[Problem]:
        """Cross-record problems (kept until a file changes or the day changes)."""
        key = f"integrity:{today.isoformat()}"
        row = self.db.execute("SELECT value FROM derived WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return [Problem(**p) for p in jsonio.loads(row[0])]
        from .integrity import check

        problems = check(self, self.locate, suggest, today)
        with contextlib.suppress(sqlite3.DatabaseError), self.db.transaction():
            self.db.execute("DELETE FROM derived WHERE key LIKE 'integrity:%'")
            self.db.execute("INSERT OR REPLACE INTO derived(key, value) VALUES (?, ?)", (key, jsonio.dumps([p.to_dict() for p in problems], indent=False)))
        return problems

    def locate(self, rel: str, loc: Sequence[str | int], at_key: bool = False) -> tuple[int, int]:
        """Line and column of ``loc`` in the data file at ``rel`` (0, 0 when it cannot be read).

        The last few files' texts are kept: one file may have thousands of problems to locate.
        """
        from ..ingest.files import read_text
        from ..ingest.positions import locate

        text = self._texts.get(rel)
        if text is None:
            text, _ = read_text(self.data_dir / rel, rel, self.data_dir, Limits.from_env())
            if text is None:
                return 0, 0
            if len(self._texts) >= 4:
                self._texts.pop(next(iter(self._texts)))
            self._texts[rel] = text
        return locate(text, tuple(loc), at_key=at_key)
