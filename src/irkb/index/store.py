"""The catalog's SQLite file: opening it safely, its internal tables, and a way back from damage.

The internal tables (files, documents, lookup keys, search text) sit beside the public ones of
``tables``. A file that is not irkb's (wrong ``application_id``, no meta), was written by other
code or for another data directory, is a link or a device, or turns out damaged mid-command, is
deleted and rebuilt — never trusted, never written through.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from . import cachedir

INTERNAL_SQL = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT, record_id TEXT, problems TEXT NOT NULL, refs TEXT NOT NULL, over_limit INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS files_record ON files(record_id);
CREATE INDEX IF NOT EXISTS files_stat ON files(path, size, mtime_ns, sha256, over_limit, errors, kind, record_id);
CREATE TABLE IF NOT EXISTS documents(path TEXT PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, last_reviewed TEXT, doi TEXT,
    json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_kind_id ON documents(kind, id);
CREATE TABLE IF NOT EXISTS keys(key TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, ambiguous INTEGER NOT NULL, loc TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS keys_key ON keys(key, kind, id);
CREATE INDEX IF NOT EXISTS keys_id ON keys(id, kind);
CREATE TABLE IF NOT EXISTS search_rows(rowid INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS search_rows_id ON search_rows(id);
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(names, summary, indications, contraindications, pearls, pitfalls, notes, more,
    tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS search_terms USING fts5vocab(search_fts, 'row');
CREATE TABLE IF NOT EXISTS derived(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

T = TypeVar("T")

INTERNAL_TABLES = ("meta", "files", "documents", "keys", "search_rows", "search_fts", "search_terms", "derived")


class Rows(list[Any]):
    """A query's rows, read in full (so a damaged page is found inside ``execute``)."""

    def fetchone(self) -> Any:
        return self[0] if self else None

    def fetchall(self) -> list[Any]:
        return list(self)


def damaged(exc: sqlite3.DatabaseError) -> bool:
    """Whether an error means the file is damaged (corrupt, not a database, text no longer UTF-8)."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or str(exc).startswith("Could not decode")


class Connection:
    """The catalog's connection, with a way back from a damaged file.

    SQLite finds a corrupt page only when a query reads it, long after the catalog was opened. A
    read outside a transaction that hits one rebuilds the catalog from the data files, once, and
    runs again: a damaged cache costs time, never an answer.
    """

    def __init__(self, raw: sqlite3.Connection, rebuild: Callable[[], sqlite3.Connection] | None) -> None:
        self.raw = raw
        self._rebuild = rebuild

    def _recovered(self, exc: sqlite3.DatabaseError) -> bool:
        """Rebuild the catalog if ``exc`` says it is damaged and nothing can be half done (no
        transaction open, not rebuilt before in this run); whether it was."""
        if not damaged(exc) or self._rebuild is None or self.raw.in_transaction:
            return False
        rebuild, self._rebuild = self._rebuild, None
        self.raw = rebuild()
        return True

    def _read(self, run: Callable[[sqlite3.Connection], Any]) -> Any:
        try:
            return run(self.raw)
        except sqlite3.DatabaseError as exc:
            if not self._recovered(exc):
                raise
            return run(self.raw)

    def read_pages(self, pages: Callable[[], Iterator[T]]) -> Iterator[T]:
        """The pages ``pages()`` reads, all in one read transaction (one state of the catalog,
        whatever another process commits meanwhile). A damaged file found before the first page
        is out is rebuilt and the reading starts again; once part of the answer is out, it stands."""
        started = False
        while True:
            try:
                with self.reading():
                    for page in pages():
                        started = True
                        yield page
                return
            except sqlite3.DatabaseError as exc:
                if started or not self._recovered(exc):
                    raise

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run a statement and read every row (a damaged file is rebuilt once, outside a transaction)."""
        return self._read(lambda raw: Rows(raw.execute(sql, params).fetchall()))  # type: ignore[no-any-return]

    def select(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a query as dicts keyed by column name."""

        def run(raw: sqlite3.Connection) -> list[dict[str, Any]]:
            cursor = raw.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        return self._read(run)  # type: ignore[no-any-return]

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        self.raw.executescript(script)

    def data_version(self) -> int:
        """Changes when another connection commits (SQLite's ``PRAGMA data_version``)."""
        return int(self.raw.execute("PRAGMA data_version").fetchone()[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any exception (Ctrl-C and SIGTERM too)."""
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction: every query inside sees the same state of the catalog, whatever
        another process commits meanwhile (WAL keeps the snapshot), and nothing waits for it."""
        if self.raw.in_transaction:
            yield
            return
        self.raw.execute("BEGIN")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.raw.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()

    @contextlib.contextmanager
    def indexes_after(self, tables: Iterable[str] | None = None) -> Iterator[None]:
        """Fill tables in bulk with their indexes dropped, then create the indexes again (the
        statements SQLite kept for them): each index is then made by one sort instead of a B-tree
        insert per row, a third of what a cold build's main process spends writing keys. Only
        inside a transaction, which puts them back if the fill fails; ``tables``: every table when None."""
        assert self.raw.in_transaction
        found = self.raw.execute("SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid").fetchall()
        wanted = None if tables is None else set(tables)
        found = [(name, sql) for name, table, sql in found if wanted is None or table in wanted]
        for name, _ in found:
            self.raw.execute(f'DROP INDEX "{name}"')
        yield
        for _, sql in found:
            self.raw.execute(sql)


def connect(target: str, *, wal: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL for files."""
    db = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout = 30000")
    if wal and target != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
    return db


def create(db: sqlite3.Connection, public_sql: str, wanted: dict[str, str]) -> None:
    """Create every table of a new catalog and record what it was built for.

    Done before the switch to WAL, so the header (with irkb's ``application_id``) is in the file
    itself when another process looks at it.
    """
    db.execute("BEGIN IMMEDIATE")
    db.execute(f"PRAGMA application_id = {cachedir.APPLICATION_ID}")
    for statement in (INTERNAL_SQL + public_sql).split(";"):
        if statement.strip():
            db.execute(statement)
    db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(wanted.items()))
    db.execute("COMMIT")


def _is_ours(location: Path, wanted: dict[str, str]) -> sqlite3.Connection | None:
    """The connection to the file if it is an irkb catalog built for ``wanted``, else None.

    The header is read first (SQLite's ``application_id``, bytes 68-71): a database that is not
    irkb's is never opened for writing, so nothing in it is changed (not even its journal mode).
    """
    try:
        fd = os.open(location, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            header = handle.read(100)
    except OSError:
        return None
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0") or int.from_bytes(header[68:72], "big") != cachedir.APPLICATION_ID:
        return None
    try:
        db = connect(str(location))
        keys = list(wanted)
        meta = dict(db.execute(f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(keys))})", keys).fetchall())
    except sqlite3.DatabaseError:
        return None
    if all(meta.get(k) == v for k, v in wanted.items()):
        return db
    db.close()
    return None


def open_file(location: Path, wanted: dict[str, str], public_sql: Callable[[], str], fill: Callable[[Connection], object]) -> tuple[sqlite3.Connection, bool]:
    """The catalog at ``location`` and whether it was built just now (filled by ``fill``).

    A catalog that is irkb's own, built for ``wanted``, is opened as it is (the caller brings it up
    to date). Anything else is deleted and a new catalog is built in a private file, then put in
    place (``_build``). Raises ``sqlite3.DatabaseError`` when the file cannot be used (the caller
    falls back to memory).
    """
    if not cachedir.safe_file(location):
        cachedir.remove(location)  # a link or device in the catalog's place: never written through
    if location.exists():
        db = _is_ours(location, wanted)
        if db is not None:
            return db, False
        cachedir.remove(location)  # another version, another data directory, or not irkb's file
    return _build(location, wanted, public_sql, fill)


BUILDING = ".building"
"""Suffix of a catalog being built (``<catalog>.<pid>-<random>.building``), never read by another
process or thread."""
_STALE_SECONDS = 86400  # a build file this old was left by a killed process


def _build(location: Path, wanted: dict[str, str], public_sql: Callable[[], str], fill: Callable[[Connection], object]) -> tuple[sqlite3.Connection, bool]:
    """Build a new catalog in a file of this process's own, then put it in place.

    No other process opens that file, so it needs no write-ahead log: with a rollback journal each
    new page is written once, where WAL writes it to the log and then again to the file (a third
    of a cold build's time in the main process at 10,000 procedures). Once filled, it is switched
    to WAL and linked into place only if no other process put a catalog there first (then theirs
    is used and this one dropped); an interrupted build leaves nothing behind.
    """
    import secrets  # here, not at the top: it costs a warm query more than a millisecond

    _sweep(location)
    temp = location.with_name(f"{location.name}.{os.getpid()}-{secrets.token_hex(4)}{BUILDING}")
    try:
        db = connect(str(temp), wal=False)
        try:
            if not cachedir.safe_file(temp):
                raise sqlite3.DatabaseError("the catalog's place was taken by a link")
            create(db, public_sql(), wanted)
            db.execute("PRAGMA synchronous = NORMAL")
            fill(Connection(db, None))
            db.execute("PRAGMA journal_mode = WAL")
        finally:
            db.close()
        mine = _put_in_place(temp, location)
    finally:
        cachedir.remove(temp)
    placed = _is_ours(location, wanted)
    if placed is None:
        raise sqlite3.DatabaseError("the catalog put in place is not this version's")
    return placed, mine


def _put_in_place(temp: Path, location: Path) -> bool:
    """Link the built catalog to its place unless one is there already; whether ours went in."""
    try:
        os.link(temp, location)
    except FileExistsError:
        return False  # another process finished first: its catalog is as good
    except OSError:  # a file system without hard links
        if location.exists():
            return False
        os.replace(temp, location)
    return True


def _sweep(location: Path) -> None:
    """Remove build files of this catalog that a killed process left (older than a day)."""
    import time

    with contextlib.suppress(OSError):
        for path in location.parent.glob(f"{location.name}.*{BUILDING}*"):
            with contextlib.suppress(OSError):
                if os.lstat(path).st_mtime < time.time() - _STALE_SECONDS:
                    os.unlink(path)
