"""Bringing the catalog in line with the data files, in one transaction.

Each data file is stat-ed; only files whose size or mtime changed (and whose content hash differs)
are parsed and validated again. A valid file's canonical document is kept per file; a record is
*published* (given rows in the public tables, the lookup keys and the search index) exactly when
one valid file claims its kind and id. So a duplicate id publishes neither file, whatever order
the files were read in, on a cold build or a warm one: the same files give the same answer.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .. import jsonio
from ..errors import Problem
from ..ingest.limits import Limits
from .compile import SEARCH_COLUMNS, KeyRow, compile_job, key_rows, search_document
from .scan import FileStat, Found, scan, sha256
from .store import Connection
from .tables import PUBLIC_TABLES, delete_sql, insert_sql, record_rows

PARALLEL_FROM = 400  # files: below this, worker processes cost more than they save
BATCH = 256
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"  # how worker processes start

Progress = Callable[[int, int], None]


def refresh(db: Connection, data_dir: Path, progress: Progress | None = None, *, tables: bool = True) -> int:
    """Bring the catalog in line with the files; return how many files were (re)loaded.

    ``tables=False`` (``irkb validate``) asks only for what checking needs: the files' problems,
    documents and lookup keys. On a cold build the public tables and the search index are then
    left to the first refresh that wants them (``DEFERRED``), which makes them from the stored
    documents; a catalog that has them keeps them up to date either way.
    """
    found = scan(data_dir)
    limit = Limits.from_env().max_records  # files past it are not read; each gets a problem instead
    over = {f[1] for f in found[limit:]}
    version = db.data_version()
    known = _known(db)
    changed = _changed(found, known, over, data_dir)
    if not changed and len(known) == len(found) and not (tables and _deferred(db)):  # nothing new, changed or removed
        return 0
    with db.transaction():
        if db.data_version() != version:  # another process refreshed while we waited for the lock
            known = _known(db)
            changed = _changed(found, known, over, data_dir)
        removed = set(known) - {f[1] for f in found}
        todo = [f for f in changed if f.rel in over or not _same_content(db, f, known.get(f.rel))]
        affected: set[tuple[str, str]] = set()
        for rel in removed | {f.rel for f in todo if f.rel in known}:  # a file new to the catalog left nothing
            affected |= _forget(db, rel)
        for rel in removed:
            db.execute("DELETE FROM files WHERE path = ?", (rel,))
        for stat in todo:
            if stat.rel in over:
                _skip(db, stat, limit)
        compile_these = [f for f in todo if f.rel not in over]
        if compile_these:
            _use_validators(db)
        deferred = _deferred(db)
        publisher = _Publisher(db, affected)
        if deferred or (not tables and publisher.cold):  # keys only; a catalog with tables keeps them up to date
            publisher.tables = False
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, '1')", (DEFERRED,))
        with db.indexes_after() if publisher.cold and compile_these else contextlib.nullcontext():  # a build: the indexes after the rows
            for stat, result in zip(compile_these, _compile_all(compile_these, data_dir, progress), strict=True):
                publisher.store(stat, result)
                if result["doc"] is not None:
                    publisher.add(stat.kind, result["id"], result["doc"], result["keys"])
            _flush(db, publisher.rows)
        publisher.settle()
        if tables and not publisher.tables:
            _make_tables(db, publisher, progress)
        if todo or removed:
            db.execute("DELETE FROM derived")
    return len(todo)


DEFERRED = "tables-deferred"
"""``meta`` key present while the public tables and the search index are left for later."""


def _deferred(db: Connection) -> bool:
    return db.execute("SELECT 1 FROM meta WHERE key = ?", (DEFERRED,)).fetchone() is not None


def _make_tables(db: Connection, publisher: _Publisher, progress: Progress | None) -> None:
    """The public tables and the search index of every published record, from its stored document."""
    with db.indexes_after((*PUBLIC_TABLES, "search_rows")):  # each filled from empty
        _fill_tables(db, publisher, progress)
    db.execute("DELETE FROM meta WHERE key = ?", (DEFERRED,))


def _fill_tables(db: Connection, publisher: _Publisher, progress: Progress | None) -> None:
    total, last, done = db.execute("SELECT count(*) FROM documents").fetchone()[0], 0, 0
    while rows := db.execute(
        "SELECT d.rowid, d.kind, d.id, d.json FROM documents d WHERE d.rowid > ?"
        " AND EXISTS (SELECT 1 FROM keys k WHERE k.id = d.id AND k.kind = d.kind) ORDER BY d.rowid LIMIT 500",
        (last,),
    ):
        for _, kind, rid, text in rows:
            publisher.add_rows(kind, rid, jsonio.loads(text))
        last = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(min(done, total), total)
    _flush(db, publisher.rows)


def _use_validators(db: Connection) -> None:
    """Let files be validated without pydantic: the models' schemas as data, made once per catalog.

    The cold build takes them from ``modeldata`` (made from the models) and keeps them in ``meta``; a later
    refresh that checks one edited file reads them back, and never imports pydantic for a valid
    file. When the models use something the data cannot say, none are kept and pydantic does all.
    """
    from ..ingest import compiled

    row = db.execute("SELECT value FROM meta WHERE key = 'validators'").fetchone()
    try:
        schemas = jsonio.loads(row[0]) if row is not None else None
    except ValueError:  # not JSON (the cache file was tampered with): make them again
        schemas = None
    if not isinstance(schemas, dict):
        from .modeldata import generated

        schemas = generated()["validators"]
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('validators', ?)", (jsonio.dumps(schemas, indent=False),))
    compiled.install(schemas)


def _known(db: Connection) -> dict[str, tuple[Any, ...]]:
    """path -> (size, mtime_ns, sha256, skipped as over the limit) of every file the catalog has seen."""
    rows = db.execute("SELECT path, size, mtime_ns, sha256, over_limit FROM files")
    return {r[0]: (r[1], r[2], r[3], bool(r[4])) for r in rows}


def _changed(found: list[Found], known: dict[str, tuple[Any, ...]], over: set[str], data_dir: Path) -> list[FileStat]:
    """Files whose size or mtime changed, or that crossed the IRKB_MAX_RECORDS line either way."""
    out = []
    for kind, rel, size, mtime in found:
        was = known.get(rel)
        if was is None or was[0] != size or was[1] != mtime or was[3] != (rel in over):
            out.append(FileStat(kind, os.path.join(data_dir, rel), rel, size, mtime))
    return out


def _same_content(db: Connection, stat: FileStat, known: tuple[Any, ...] | None) -> bool:
    """Only the mtime changed (a touch, a checkout): keep the compiled record, note the new stat."""
    if known is None or known[3] or known[0] != stat.size or not known[2] or stat.size < 0 or sha256(stat.file) != known[2]:
        return False
    db.execute("UPDATE files SET mtime_ns = ? WHERE path = ?", (stat.mtime_ns, stat.rel))
    return True


def _forget(db: Connection, rel: str) -> set[tuple[str, str]]:
    """Drop a file's document; return the (kind, id) it claimed (to publish again without it)."""
    rows = db.execute("SELECT kind, record_id FROM files WHERE path = ? AND record_id IS NOT NULL", (rel,))
    db.execute("DELETE FROM documents WHERE path = ?", (rel,))
    return {(r[0], r[1]) for r in rows}


def _skip(db: Connection, stat: FileStat, limit: int) -> None:
    """Record a file past IRKB_MAX_RECORDS as not read, with a problem saying why."""
    problem = Problem(
        stat.rel,
        0,
        0,
        "too-many-records",
        f"not read: the knowledge base holds more than {limit} files",
        "error",
        "raise IRKB_MAX_RECORDS, or remove files that are not records",
    )
    db.execute(
        "INSERT OR REPLACE INTO files(path, kind, size, mtime_ns, sha256, record_id, problems, refs, over_limit, errors) VALUES (?,?,?,?,?,?,?,?,1,1)",
        (stat.rel, stat.kind, stat.size, stat.mtime_ns, None, None, jsonio.dumps([problem.to_dict()], indent=False), "{}"),
    )


class _Publisher:
    """Gives records their public rows: a record has them exactly when one file claims its kind and
    id and that file is valid.

    A valid document is published as soon as it is compiled (while the workers compile the rest,
    and without keeping it: memory stays flat); ``settle`` then takes the rows back from an id
    that turned out to be claimed twice, and publishes, from its stored document, a record whose
    file did not change but whose claim did (its duplicate was removed or fixed).
    """

    def __init__(self, db: Connection, affected: set[tuple[str, str]]) -> None:
        self.db, self.affected = db, affected
        self.tables = True  # False: lookup keys only (the public tables and search index wait)
        self.cold = db.execute("SELECT NOT EXISTS (SELECT 1 FROM keys)").fetchone()[0] == 1
        self.published: set[tuple[str, str]] = set()  # given rows in this refresh
        self.cleared: set[tuple[str, str]] = set()  # rows from before this refresh removed
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        for kind, rid in sorted(affected):  # what the changed and removed files published before
            self._clear(kind, rid)

    def _clear(self, kind: str, rid: str) -> None:
        """Remove one record's public rows (none to remove on a cold build)."""
        if self.cold or (kind, rid) in self.cleared:
            return
        self.cleared.add((kind, rid))
        self._unpublish(kind, rid)

    def _unpublish(self, kind: str, rid: str) -> None:
        db = self.db
        for statement in delete_sql(kind):
            db.execute(statement, (rid,))
        db.execute("DELETE FROM keys WHERE id = ? AND kind = ?", (rid, kind))
        for (rowid,) in db.execute("SELECT rowid FROM search_rows WHERE id = ? AND kind = ?", (rid, kind)):
            db.execute("DELETE FROM search_fts WHERE rowid = ?", (rowid,))
            db.execute("DELETE FROM search_rows WHERE rowid = ?", (rowid,))

    def store(self, stat: FileStat, result: dict[str, Any]) -> None:
        """Keep one compiled file: its stat, problems and references, and its document when valid."""
        rows, rid = self.rows, result["id"]
        rows.setdefault("files", []).append(
            (stat.rel, stat.kind, stat.size, stat.mtime_ns, result["sha256"], rid, result["problems"], result["refs"], result["errors"])
        )
        if rid is not None:
            self.affected.add((stat.kind, rid))
        if result["doc"] is not None:
            rows.setdefault("documents", []).append((stat.rel, stat.kind, rid, result["doc"], result["last_reviewed"], result["doi"]))
        if len(rows["files"]) >= BATCH:  # held a batch at a time: a file's problems can be long
            _flush(self.db, rows)

    def add(self, kind: str, rid: str, text: str, keys: list[KeyRow] | None = None) -> None:
        """A valid document (its stored JSON text, and its key rows when known) just compiled:
        publish it, unless this refresh already published its id."""
        if (kind, rid) in self.published:
            return  # a second valid claim: ``settle`` takes the first one's rows back
        self._clear(kind, rid)
        self.published.add((kind, rid))
        doc = jsonio.loads(text) if self.tables or keys is None else None
        if keys is None:
            assert doc is not None
            keys = key_rows(doc)
        self.rows.setdefault("keys", []).extend((key, kind, rid, ambiguous, loc, written) for key, ambiguous, loc, written in keys)
        if doc is not None and self.tables:
            self.add_rows(kind, rid, doc)
        elif len(self.rows["keys"]) >= BATCH * 8:
            _flush(self.db, self.rows)

    def add_rows(self, kind: str, rid: str, doc: dict[str, Any]) -> None:
        """A published record's rows in the public tables and the search index."""
        rows = self.rows
        for table, new in record_rows(kind, doc).items():
            rows.setdefault(table, []).extend(new)
        search = rows.setdefault("search", [])
        search.append((kind, rid, *search_document(doc).values()))
        if len(search) >= BATCH * 2:
            _flush(self.db, rows)

    def settle(self) -> None:
        """Make every affected record's rows follow its claims, now that every file is stored."""
        _flush(self.db, self.rows)
        db = self.db
        many = len(self.affected) > BATCH  # a cold build: one query for the ids claimed twice
        twice = set(db.execute("SELECT kind, record_id FROM files WHERE record_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1")) if many else set()
        for kind, rid in sorted(self.affected):
            if (kind, rid) in self.published:
                claimed = (kind, rid) in twice if many else _claims(db, kind, rid) != 1
                if claimed:  # claimed twice: published by neither file (validate names both)
                    self._unpublish(kind, rid)
                continue
            claims = _claims(db, kind, rid)
            self._clear(kind, rid)  # e.g. a file with errors now claims an id a valid file published
            found = db.execute("SELECT json FROM documents WHERE kind = ? AND id = ?", (kind, rid)).fetchall() if claims == 1 else []
            if found:  # an unchanged valid file, now the only one claiming its id
                self.add(kind, rid, found[0][0])
        _flush(db, self.rows)


def _claims(db: Connection, kind: str, rid: str) -> int:
    """How many files claim this id."""
    return int(db.execute("SELECT count(*) FROM files WHERE kind = ? AND record_id = ?", (kind, rid)).fetchone()[0])


_STORED = {
    "files": "INSERT OR REPLACE INTO files(path, kind, size, mtime_ns, sha256, record_id, problems, refs, errors) VALUES (?,?,?,?,?,?,?,?,?)",
    "documents": "INSERT INTO documents(path, kind, id, json, last_reviewed, doi) VALUES (?,?,?,?,?,?)",
}


def _flush(db: Connection, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    search = rows.pop("search", [])
    for table, new in rows.items():
        if new:
            db.executemany(_STORED.get(table) or insert_sql(table, len(new[0])), new)
    if search:
        start = db.execute("SELECT coalesce(max(rowid), 0) FROM search_rows").fetchone()[0] + 1
        db.executemany("INSERT INTO search_rows(rowid, kind, id) VALUES (?,?,?)", [(start + i, r[0], r[1]) for i, r in enumerate(search)])
        columns = ", ".join(SEARCH_COLUMNS)
        db.executemany(
            f"INSERT INTO search_fts(rowid, {columns}) VALUES (?, {', '.join('?' * len(SEARCH_COLUMNS))})", [(start + i, *r[2:]) for i, r in enumerate(search)]
        )
    rows.clear()


def _worker_start(schemas: dict[str, Any]) -> None:
    """A worker's set-up: it ends quietly when the pool is terminated (the parent's SIGTERM handler
    is not its own) and validates with the catalog's stored schemas (a spawned worker, on macOS or
    Windows, inherits nothing from the parent)."""
    import signal

    from ..ingest import compiled

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    compiled.install(schemas)


def _compile_all(todo: list[FileStat], data_dir: Path, progress: Progress | None) -> Iterator[dict[str, Any]]:
    """Compiled results in the order of ``todo``; in worker processes when there are many files."""
    limits = Limits.from_env()  # read once, not once per file
    jobs = [(f.kind, f.file, str(data_dir), limits) for f in todo]
    workers = min(os.cpu_count() or 1, 8)
    results: Iterator[dict[str, Any]]
    pool = None
    if len(jobs) >= PARALLEL_FROM and workers >= 2 and not os.environ.get("IRKB_NO_PARALLEL"):
        import multiprocessing

        from ..ingest import compiled

        try:
            pool = multiprocessing.get_context(START_METHOD).Pool(workers, initializer=_worker_start, initargs=(compiled.current(),))
        except (OSError, ValueError):
            pool = None
    results = pool.imap(compile_job, jobs, chunksize=32) if pool is not None else map(compile_job, jobs)
    try:
        for done, result in enumerate(results, start=1):
            if progress is not None:
                progress(done, len(jobs))
            yield result
    except BaseException:
        if pool is not None:
            pool.terminate()
            pool.join()
        raise
    if pool is not None:
        pool.close()
        pool.join()
