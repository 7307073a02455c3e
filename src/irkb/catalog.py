"""The compiled catalog: every file's validated record and index rows in one SQLite database.

It lives in the user's cache directory (``platformdirs``; ``IRKB_CACHE_DIR`` overrides it,
``IRKB_NO_CACHE=1`` keeps it in memory) and is refreshed on every open: each data file is
stat-ed, and only files whose size or mtime changed (and whose content hash differs) are parsed
and validated again, inside one transaction, so a curator's edit shows in the very next query
and two processes never see half an update. A catalog that is corrupt, from another irkb
version, schema or code, or for another data directory is deleted and rebuilt — never trusted.

Reading it needs neither the YAML parser nor pydantic: documents are stored as JSON text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import heapq
import json
import os
import pickle
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any

from . import __version__
from .errors import Problem
from .helpcache import cache_dir
from .vocab import normalise

CACHE_FORMAT = "5"
KINDS = ("procedure", "modality", "access-route", "complication", "source")
DIRECTORIES = {"procedure": "procedures", "modality": "modalities", "access-route": "access-routes", "complication": "complications", "source": "sources"}
IGNORED = {"README.md", ".gitkeep", ".DS_Store"}
_CODE_FILES = ("models.py", "vocab.py", "loader.py", "checks.py", "compile.py", "serialise.py", "catalog.py", "integrity.py")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT, record_id TEXT, problems TEXT NOT NULL, refs TEXT NOT NULL, display TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(kind TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL,
    meta TEXT NOT NULL, keys TEXT NOT NULL, PRIMARY KEY(kind, id));
CREATE TABLE IF NOT EXISTS keys(key TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS keys_key ON keys(key);
CREATE TABLE IF NOT EXISTS facts(id TEXT PRIMARY KEY, path TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS figures(procedure TEXT NOT NULL, idx INTEGER NOT NULL, path TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS texts(kind TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL, field TEXT NOT NULL, text TEXT NOT NULL, is_name INTEGER NOT NULL, norm TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS derived(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_path ON docs(path);
CREATE INDEX IF NOT EXISTS keys_path ON keys(path);
CREATE INDEX IF NOT EXISTS facts_path ON facts(path);
CREATE INDEX IF NOT EXISTS figures_path ON figures(path);
CREATE INDEX IF NOT EXISTS texts_path ON texts(path);
"""


def _code_fingerprint() -> str:
    here = Path(__file__).resolve().parent
    parts = [__version__, CACHE_FORMAT]
    for name in _CODE_FILES:
        try:
            st = (here / name).stat()
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(name)
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FileStat:
    """A data file as found on disk (plain strings: a scan of 10,000 files stays cheap)."""

    kind: str
    file: str
    rel: str
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        """The file's path."""
        return Path(self.file)


def scan(data_dir: Path) -> list[FileStat]:
    """Every file in each kind's folder (sorted), with size and mtime; unreadable ones with -1."""
    out: list[FileStat] = []
    for kind in KINDS:
        folder = data_dir / DIRECTORIES[kind]
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name in IGNORED or entry.name.startswith("."):
                continue
            try:
                st = entry.stat(follow_symlinks=False) if entry.is_symlink() else entry.stat()
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:
                size, mtime = -1, -1
            out.append(FileStat(kind, entry.path, f"{DIRECTORIES[kind]}/{entry.name}", size, mtime))
    return out


class _Rows(list[Any]):
    """A query's rows, read in full (so a damaged page is found inside ``execute``)."""

    def fetchone(self) -> Any:
        return self[0] if self else None

    def fetchall(self) -> list[Any]:
        return list(self)


class _Connection:
    """The catalog's SQLite connection, with a way back from a damaged file.

    SQLite finds a corrupt page only when a query reads it, long after the catalog was opened.
    A read outside a transaction that hits one (SQLITE_CORRUPT, SQLITE_NOTADB, or text that is
    no longer UTF-8) rebuilds the catalog from the data files, once, and runs again: a damaged
    cache costs time, never an answer. Anything else, and a second failure, is raised as before.
    """

    def __init__(self, raw: sqlite3.Connection, rebuild: Callable[[], sqlite3.Connection] | None) -> None:
        self.raw = raw
        self._rebuild = rebuild
        self.pending: Callable[[], None] | None = None  # finishes an overlapped refresh (see Catalog.settle)

    def _settle(self) -> None:
        if self.pending is not None:
            finish, self.pending = self.pending, None
            finish()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Rows:
        self._settle()
        try:
            return _Rows(self.raw.execute(sql, params).fetchall())
        except sqlite3.DatabaseError as exc:
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            damaged = code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or str(exc).startswith("Could not decode")
            if not damaged or self._rebuild is None or self.raw.in_transaction:
                raise
            rebuild, self._rebuild = self._rebuild, None
            self.raw = rebuild()
            return _Rows(self.raw.execute(sql, params).fetchall())

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._settle()
        self.raw.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        self._settle()
        self.raw.executescript(script)

    def close(self) -> None:
        self.raw.close()


class Catalog:
    """Read access to a compiled knowledge base. Open with ``Catalog.open(data_dir)``."""

    def __init__(self, db: sqlite3.Connection, data_dir: Path, location: Path | None) -> None:
        self.db = _Connection(db, self._rebuilt if location is not None else None)
        self.data_dir = data_dir
        self.location = location
        self._doc_cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending: list[FileStat] = []  # files an overlapped refresh is still compiling
        self._worker: _Worker | None = None
        self._on_settled: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, data_dir: Path, *, today: dt.date | None = None, progress: bool = False, overlap: bool = False) -> Catalog:
        """The catalog of ``data_dir``, refreshed so it matches the files on disk (``overlap``: see ``refresh``)."""
        data_dir = Path(data_dir).resolve()
        directory = cache_dir()
        if directory is not None:
            location = directory / f"kb-{hashlib.sha1(str(data_dir).encode()).hexdigest()[:16]}.sqlite"
            for attempt in range(2):
                try:
                    directory.mkdir(parents=True, exist_ok=True)
                    catalog = cls._open_file(location, data_dir)
                    catalog.refresh(progress=progress, overlap=overlap)
                    return catalog
                except sqlite3.DatabaseError:
                    # corrupt, locked for too long, or written by something else: rebuild, never trust
                    _remove_db(location)
                    if attempt:
                        break
                except OSError:
                    break  # cache directory not writable: fall back to memory
        catalog = cls(_connect(":memory:"), data_dir, None)
        catalog._init_schema()
        catalog.refresh(progress=progress)
        return catalog

    @classmethod
    def _open_file(cls, location: Path, data_dir: Path) -> Catalog:
        db = _connect(str(location))
        catalog = cls(db, data_dir, location)
        catalog._init_schema()
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        from .limits import Limits

        limits = Limits.from_env()  # a record read under other limits may pass or fail differently now
        wanted = {"format": CACHE_FORMAT, "code": _code_fingerprint(), "data_dir": str(data_dir), "limits": f"{limits.max_file_bytes}:{limits.max_depth}"}
        if meta and any(meta.get(k) != v for k, v in wanted.items()):
            db.close()
            _remove_db(location)
            db = _connect(str(location))
            catalog = cls(db, data_dir, location)
            catalog._init_schema()
            meta = {}
        if not meta:
            with catalog._write():
                db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(wanted.items()))
        return catalog

    def _rebuilt(self) -> sqlite3.Connection:
        """The connection to a fresh catalog, after a read found this one's file damaged."""
        with contextlib.suppress(sqlite3.Error):
            self.db.raw.close()
        if self.location is not None:
            _remove_db(self.location)
        fresh = Catalog.open(self.data_dir)
        self.location = fresh.location
        self._doc_cache.clear()
        return fresh.db.raw

    def _init_schema(self) -> None:
        self.db.executescript(SCHEMA)

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------------ refresh

    def refresh(self, *, progress: bool = False, overlap: bool = False) -> int:
        """Bring the catalog in line with the files; return how many files were (re)loaded.

        With ``overlap``, a few changed files are validated in a forked worker while this process
        goes on: the next read of the catalog waits for the worker and stores its results (see
        ``settle``), and ``facts`` parses every unchanged row in the meantime. The refresh keeps
        its write transaction open until then, so no other process sees half of it.
        """
        from .limits import Limits

        self.settle()
        found = scan(self.data_dir)
        # Past IRKB_MAX_RECORDS files are not read; each gets a too-many-records problem instead.
        limit = Limits.from_env().max_records
        over = {f.rel for f in found[limit:]}
        known, skipped = self._known()
        changed = self._changed(found, known, over, skipped)
        removed = set(known) - {f.rel for f in found}
        if not changed and not removed:
            return 0
        self.db.execute("BEGIN IMMEDIATE")
        try:
            # Re-read what another process may have written while we waited for the lock.
            known, skipped = self._known()
            changed = self._changed(found, known, over, skipped)
            removed = set(known) - {f.rel for f in found}
            redo = over | skipped if over != skipped else set()
            if removed or changed:
                # a file that lost a duplicate-id race may win now: load those again too
                redo |= {r[0] for r in self.db.execute("SELECT path FROM files WHERE problems LIKE '%duplicate-id%'")}
                changed_paths = {f.rel for f in changed}
                changed += [f for f in found if f.rel in redo and f.rel not in changed_paths]
            for rel in removed:
                self._delete(rel)
                self.db.execute("DELETE FROM files WHERE path = ?", (rel,))
            todo = [f for f in changed if f.rel in redo or not self._same_content(f, known.get(f.rel))]
            for stat in todo:
                if stat.rel in over:
                    self._skip(stat, limit)
            todo = [f for f in todo if f.rel not in over]
            for stat in todo:
                self._delete(stat.rel)
            worker = _Worker.start(todo, self.data_dir) if overlap and 0 < len(todo) < PARALLEL_FROM else None
            if worker is not None:
                self._pending, self._worker = todo, worker
                self.db.pending = lambda: self._finish_overlapped(todo, worker)
                return len(todo)
        except BaseException:
            self.db.raw.execute("ROLLBACK")
            raise
        self._finish(todo, None, progress=progress)
        return len(todo)

    def settle(self) -> None:
        """Finish an overlapped refresh: wait for its worker and store what it compiled."""
        self.db._settle()

    def abandon(self) -> None:
        """Drop an overlapped refresh without waiting (after Ctrl-C): stop the worker and roll back;
        the next run does the work again."""
        if self.db.pending is None:
            return
        self.db.pending = None
        self._pending, self._on_settled = [], []
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        with contextlib.suppress(sqlite3.Error):
            self.db.raw.execute("ROLLBACK")

    def when_settled(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the catalog is up to date: now, or when an overlapped refresh ends."""
        if self._pending:
            self._on_settled.append(callback)
        else:
            callback()

    def _finish_overlapped(self, todo: list[FileStat], worker: _Worker) -> None:
        """Finish a refresh left to a worker. Should storing its results fail (a full disk, say),
        the catalog is rebuilt as ``open`` would have done, in memory if need be."""
        try:
            self._finish(todo, worker)
        except sqlite3.DatabaseError:
            if self.location is None:
                raise
            self.db.raw = self._rebuilt()
        finally:
            self._pending, self._worker = [], None
            callbacks, self._on_settled = self._on_settled, []
            for callback in callbacks:
                callback()

    def _finish(self, todo: list[FileStat], worker: _Worker | None, *, progress: bool = False) -> None:
        """Store the compiled ``todo`` files (from ``worker``, else compiled here) and commit."""
        try:
            results = worker.results() if worker is not None else None
            bar = _progress(len(todo)) if progress and len(todo) >= 200 else None
            batch = _Batch()
            compiled = results if results is not None else _compile_all(todo, self.data_dir)
            for count, (stat, result) in enumerate(zip(todo, compiled, strict=True)):
                self._load(stat, result, batch)
                if len(batch.files) >= 256:
                    batch.flush(self.db)
                if bar is not None:
                    bar(count + 1)
            batch.flush(self.db)
            if bar is not None:
                bar(-1)
            self.db.execute("DELETE FROM derived")
        except BaseException:
            self.db.raw.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _known(self) -> tuple[dict[str, tuple[Any, ...]], set[str]]:
        """(path -> (size, mtime_ns, sha256)) of every file, and the paths left unread as over the limit."""
        known, skipped = {}, set()
        for path, size, mtime_ns, sha, over in self.db.execute("SELECT path, size, mtime_ns, sha256, instr(problems, '\"too-many-records\"') FROM files"):
            known[path] = (size, mtime_ns, sha)
            if over:
                skipped.add(path)
        return known, skipped

    @staticmethod
    def _changed(found: list[FileStat], known: dict[str, tuple[Any, ...]], over: set[str], skipped: set[str]) -> list[FileStat]:
        """Files whose size or mtime changed, or that crossed the IRKB_MAX_RECORDS line either way."""
        flipped = over ^ skipped
        return [f for f in found if known.get(f.rel, (None, None))[:2] != (f.size, f.mtime_ns) or f.rel in flipped]

    def _skip(self, stat: FileStat, limit: int) -> None:
        """Record a file past IRKB_MAX_RECORDS as not read, with a problem saying why."""
        from .loader import display_path

        self._delete(stat.rel)
        display = display_path(stat.path, self.data_dir)
        problem = Problem(
            display,
            0,
            0,
            "too-many-records",
            f"not read: the knowledge base holds more than {limit} files",
            "error",
            "raise IRKB_MAX_RECORDS, or remove files that are not records",
        )
        self.db.execute(
            "INSERT OR REPLACE INTO files(path, kind, size, mtime_ns, sha256, record_id, problems, refs, display) VALUES (?,?,?,?,?,?,?,?,?)",
            (stat.rel, stat.kind, stat.size, stat.mtime_ns, None, None, json.dumps([problem.to_dict()]), "[]", display),
        )

    def _same_content(self, stat: FileStat, known: tuple[Any, ...] | None) -> bool:
        """Only the mtime changed (a touch, a checkout): keep the compiled record, update the stat."""
        if known is None or known[0] != stat.size or not known[2] or stat.size < 0:
            return False
        digest = _sha256(stat.path)
        if digest != known[2]:
            return False
        self.db.execute("UPDATE files SET mtime_ns = ? WHERE path = ?", (stat.mtime_ns, stat.rel))
        return True

    def _delete(self, rel: str) -> None:
        for table in ("docs", "keys", "facts", "figures", "texts"):
            self.db.execute(f"DELETE FROM {table} WHERE path = ?", (rel,))

    def _load(self, stat: FileStat, result: dict[str, Any] | None = None, batch: _Batch | None = None) -> None:
        """Store one file's compiled record (``result`` from ``compile_file``, computed here if None).

        With a ``batch`` the rows are queued and written by ``batch.flush`` (the caller has already
        deleted the file's old rows); without one they are written now.
        """
        own = batch is None
        if batch is None:
            self._delete(stat.rel)
            batch = _Batch()
        result = result if result is not None else compile_file(stat.kind, str(stat.path), str(self.data_dir))
        problems = result["problems"]
        record_id = None
        compiled = result["compiled"]
        if compiled is not None:
            rid = compiled["id"]
            clash_path = batch.ids.get((stat.kind, rid))
            if clash_path is None:
                row = self.db.execute("SELECT path FROM docs WHERE kind = ? AND id = ?", (stat.kind, rid)).fetchone()
                clash_path = row[0] if row is not None else None
            if clash_path is not None:
                from .loader import locate

                try:
                    where = locate(stat.path.read_text(encoding="utf-8-sig"), ("id",))
                except (OSError, UnicodeDecodeError):  # changed since it was loaded: the next refresh sees it
                    where = (0, 0)
                other = batch.displays.get(clash_path)
                if other is None:
                    found = self.db.execute("SELECT display FROM files WHERE path = ?", (clash_path,)).fetchone()
                    other = found[0] if found else clash_path
                problems.append(Problem(result["display"], *where, "duplicate-id", f"{stat.kind} id '{rid}' is already used by {other}", "error").to_dict())
            else:
                record_id = rid
                batch.add(stat.rel, compiled)
        batch.displays[stat.rel] = result["display"]
        batch.files.append(
            (stat.rel, stat.kind, stat.size, stat.mtime_ns, result["sha256"], record_id, json.dumps(problems), json.dumps(result["refs"]), result["display"])
        )
        if own:
            batch.flush(self.db)

    # ------------------------------------------------------------------ reading

    def ids(self, kind: str) -> list[str]:
        """Ids of one kind, sorted."""
        return [r[0] for r in self.db.execute("SELECT id FROM docs WHERE kind = ? ORDER BY id", (kind,))]

    def count(self, kind: str | None = None) -> int:
        """Number of valid records (of one kind)."""
        if kind:
            return int(self.db.execute("SELECT count(*) FROM docs WHERE kind = ?", (kind,)).fetchone()[0])
        return int(self.db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def has(self, kind: str, rid: str) -> bool:
        """Whether a record exists."""
        return self.db.execute("SELECT 1 FROM docs WHERE kind = ? AND id = ?", (kind, rid)).fetchone() is not None

    def doc_text(self, kind: str, rid: str) -> str:
        """The record's canonical JSON (indent 2), as stored."""
        row = self.db.execute("SELECT json FROM docs WHERE kind = ? AND id = ?", (kind, rid)).fetchone()
        if row is None:
            raise KeyError((kind, rid))
        return str(row[0])

    def doc(self, kind: str, rid: str) -> dict[str, Any]:
        """The record's canonical document (every field, JSON types)."""
        key = (kind, rid)
        if key not in self._doc_cache:
            self._doc_cache[key] = json.loads(self.doc_text(kind, rid))
        return self._doc_cache[key]

    def docs(self, kind: str) -> list[dict[str, Any]]:
        """Every document of one kind, in id order."""
        return [json.loads(r[0]) for r in self.db.execute("SELECT json FROM docs WHERE kind = ? ORDER BY id", (kind,))]

    def doc_texts(self, kind: str, ids: list[str]) -> list[str]:
        """Stored JSON texts of the given ids, in the order given."""
        found = (
            dict(self.db.execute(f"SELECT id, json FROM docs WHERE kind = ? AND id IN ({','.join('?' * len(ids))})", (kind, *ids)).fetchall()) if ids else {}
        )
        return [found[i] for i in ids if i in found]

    def names(self, kind: str) -> dict[str, str]:
        """Display name of every record of one kind."""
        return dict(self.db.execute("SELECT id, name FROM docs WHERE kind = ?", (kind,)).fetchall())

    def meta(self, kind: str) -> dict[str, dict[str, Any]]:
        """Small per-record metadata (modality speed and radiation, source kind and year, ...)."""
        return {r[0]: json.loads(r[1]) for r in self.db.execute("SELECT id, meta FROM docs WHERE kind = ?", (kind,))}

    def exact(self, rid: str) -> list[str]:
        """Kinds that have a record with exactly this id."""
        return [r[0] for r in self.db.execute("SELECT kind FROM docs WHERE id = ? ORDER BY kind", (rid,))]

    def by_key(self, key: str) -> list[tuple[str, str]]:
        """(kind, id) of every record whose id, name or alias normalises to ``key``."""
        return [(r[0], r[1]) for r in self.db.execute("SELECT DISTINCT kind, id FROM keys WHERE key = ? ORDER BY kind, id", (key,))]

    def all_keys(self, kind: str | None = None) -> list[tuple[str, str, str]]:
        """(normalised key, kind, id) of every id, name and alias (for suggestions and completion)."""
        if kind:
            return [(r[0], r[1], r[2]) for r in self.db.execute("SELECT key, kind, id FROM keys WHERE kind = ?", (kind,))]
        return [(r[0], r[1], r[2]) for r in self.db.execute("SELECT key, kind, id FROM keys")]

    def facts(self) -> list[dict[str, Any]]:
        """Filter facts of every procedure, in id order.

        During an overlapped refresh the unchanged rows are parsed while the worker validates the
        changed files (their old rows are already gone inside the open transaction); then the
        refresh is finished and the new rows are merged in.
        """
        if not self._pending:
            return [json.loads(r[0]) for r in self.db.execute("SELECT json FROM facts ORDER BY id")]
        paths = [f.rel for f in self._pending]
        early = [json.loads(r[0]) for r in self.db.raw.execute("SELECT json FROM facts ORDER BY id")]
        self.settle()
        marks = ",".join("?" * len(paths))
        late = [json.loads(r[0]) for r in self.db.execute(f"SELECT json FROM facts WHERE path IN ({marks}) ORDER BY id", paths)]
        return list(heapq.merge(early, late, key=lambda f: str(f["id"])))

    def figures(self) -> list[tuple[str, dict[str, Any]]]:
        """(procedure id, complication figure) for every figure."""
        return [(r[0], json.loads(r[1])) for r in self.db.execute("SELECT procedure, json FROM figures ORDER BY procedure, idx")]

    def texts(self, kind: str | None = None) -> list[tuple[str, str, str, str, bool]]:
        """(kind, id, field, text, is_name) of every searchable string."""
        sql = "SELECT kind, id, field, text, is_name FROM texts" + (" WHERE kind = ?" if kind else "")
        return [(r[0], r[1], r[2], r[3], bool(r[4])) for r in self.db.execute(sql, (kind,) if kind else ())]

    def search_rows(self, kind: str | None = None) -> list[tuple[str, str, str, str, int]]:
        """(kind, id, field, normalised text, is_name) of every searchable string."""
        sql = "SELECT kind, id, field, norm, is_name FROM texts" + (" WHERE kind = ?" if kind else "")
        return list(self.db.execute(sql, (kind,) if kind else ()))

    def file_problems(self) -> list[Problem]:
        """Problems found in single files (syntax, types, fields, ids)."""
        out = []
        for (text,) in self.db.execute("SELECT problems FROM files WHERE problems != '[]'"):
            out += [Problem(**p) for p in json.loads(text)]
        return out

    def skipped_files(self) -> list[str]:
        """Display paths of files whose record could not be loaded."""
        return [r[0] for r in self.db.execute('SELECT display FROM files WHERE record_id IS NULL AND problems LIKE \'%"level": "error"%\' ORDER BY path')]

    def citing(self, source_id: str) -> list[str]:
        """Ids of records that cite a source."""
        needle = json.dumps(source_id)
        out = set()
        for rid, text in self.db.execute("SELECT record_id, refs FROM files WHERE record_id IS NOT NULL AND instr(refs, ?) > 0", (needle,)):
            if any(r[0] == "source" and r[1] == source_id for r in json.loads(text)):
                out.add(rid)
        return sorted(out)

    def integrity(self, today: dt.date, suggest: Any) -> list[Problem]:
        """Cross-record problems (cached until a file changes or the day changes)."""
        key = f"integrity:{today.isoformat()}"
        row = self.db.execute("SELECT value FROM derived WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return [Problem(**p) for p in json.loads(row[0])]
        from .integrity import RecordFacts, check

        facts = []
        rows = self.db.execute("SELECT d.kind, d.id, f.display, d.keys, d.meta, f.refs FROM docs d JOIN files f ON f.path = d.path").fetchall()
        for kind, rid, display, keys, meta, refs in rows:
            m = json.loads(meta)
            facts.append(RecordFacts(kind, rid, display, [tuple(k) for k in json.loads(keys)], refs, m["last_reviewed"], m.get("doi")))
        problems = check(facts, self.locate, suggest, today)
        with contextlib.suppress(sqlite3.DatabaseError), self._write():
            self.db.execute("DELETE FROM derived WHERE key LIKE 'integrity:%'")
            self.db.execute("INSERT OR REPLACE INTO derived(key, value) VALUES (?, ?)", (key, json.dumps([p.to_dict() for p in problems])))
        return problems

    def locate(self, display: str, loc: Any, at_key: bool = False) -> tuple[int, int]:
        """Line and column of ``loc`` in the file shown as ``display``."""
        from .loader import locate

        row = self.db.execute("SELECT path FROM files WHERE display = ?", (display,)).fetchone()
        if row is None:
            return 0, 0
        try:
            text = (self.data_dir / row[0]).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return 0, 0
        return locate(text, tuple(loc), at_key=at_key)


class _Batch:
    """Rows of many files, written together (one executemany per table instead of several per file)."""

    def __init__(self) -> None:
        self.docs: list[tuple[Any, ...]] = []
        self.keys: list[tuple[Any, ...]] = []
        self.texts: list[tuple[Any, ...]] = []
        self.facts: list[tuple[Any, ...]] = []
        self.figures: list[tuple[Any, ...]] = []
        self.files: list[tuple[Any, ...]] = []
        self.ids: dict[tuple[str, str], str] = {}  # (kind, id) -> path, for clashes inside the batch
        self.displays: dict[str, str] = {}

    def add(self, rel: str, r: dict[str, Any]) -> None:
        kind, rid = r["kind"], r["id"]
        self.ids[(kind, rid)] = rel
        self.docs.append((kind, rid, rel, r["name"], r["doc"], r["meta"], r["keys_json"]))
        self.keys += [(k, kind, rid, rel) for k in r["keys"]]
        self.texts += [(kind, rid, rel, f, t, n, m) for f, t, n, m in r["texts"]]
        if r["facts"] is not None:
            self.facts.append((rid, rel, r["facts"]))
            self.figures += [(rid, i, rel, f) for i, f in enumerate(r["figures"])]

    def flush(self, db: Any) -> None:
        db.executemany("INSERT INTO docs(kind, id, path, name, json, meta, keys) VALUES (?,?,?,?,?,?,?)", self.docs)
        db.executemany("INSERT INTO keys(key, kind, id, path) VALUES (?,?,?,?)", self.keys)
        db.executemany("INSERT INTO texts(kind, id, path, field, text, is_name, norm) VALUES (?,?,?,?,?,?,?)", self.texts)
        db.executemany("INSERT INTO facts(id, path, json) VALUES (?,?,?)", self.facts)
        db.executemany("INSERT INTO figures(procedure, idx, path, json) VALUES (?,?,?,?)", self.figures)
        db.executemany(
            "INSERT OR REPLACE INTO files(path, kind, size, mtime_ns, sha256, record_id, problems, refs, display) VALUES (?,?,?,?,?,?,?,?,?)", self.files
        )
        for rows in (self.docs, self.keys, self.texts, self.facts, self.figures, self.files):
            rows.clear()
        self.ids.clear()
        self.displays.clear()


PARALLEL_FROM = 400


def compile_file(kind: str, path: str, data_dir: str) -> dict[str, Any]:
    """Parse, validate and compile one file into plain data (picklable, for worker processes)."""
    from .compile import compile_record
    from .loader import Limits, display_path, load_file

    file_path, root = Path(path), Path(data_dir)
    loaded = load_file(kind, file_path, root, Limits.from_env())
    return {
        "display": display_path(file_path, root),
        "problems": [p.to_dict() for p in loaded.problems],
        "refs": [[r.target_kind, r.target, list(r.loc)] for r in loaded.refs],
        "compiled": _rows(compile_record(loaded.record, loaded.dump)) if loaded.record is not None else None,
        "sha256": loaded.sha256,  # of the bytes the loader read: never a second, unbounded read
    }


def _rows(c: Any) -> dict[str, Any]:
    """A compiled record as the ready-to-insert text the catalog stores (done in the worker)."""
    return {
        "kind": c.kind,
        "id": c.id,
        "name": c.name,
        "doc": json.dumps(c.doc, indent=2, ensure_ascii=False),
        "meta": json.dumps(c.meta),
        "keys_json": json.dumps(c.keys),
        "keys": sorted({k for k, _, _ in c.keys}),
        "texts": [(f, t, int(n), normalise(t)) for f, t, n in c.texts],
        "facts": json.dumps(c.facts) if c.facts is not None else None,
        "figures": [json.dumps(f) for f in c.figures],
    }


def _compile_one(args: tuple[str, str, str]) -> dict[str, Any]:
    return compile_file(*args)


class _Worker:
    """A forked process compiling a few files while the parent goes on (Linux only: fork is cheap
    and safe there; the child never touches the parent's SQLite connection and leaves with
    ``os._exit``). Any failure of the worker means the parent compiles the files itself."""

    def __init__(self, pid: int, fd: int, jobs: list[tuple[str, str, str]]) -> None:
        self.pid, self.fd, self.jobs = pid, fd, jobs

    @classmethod
    def start(cls, todo: list[FileStat], data_dir: Path) -> _Worker | None:
        if not sys.platform.startswith("linux") or os.environ.get("IRKB_NO_PARALLEL"):
            return None
        jobs = [(f.kind, str(f.path), str(data_dir)) for f in todo]
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # pragma: no cover - runs in the child (coverage does not follow it)
            code = 1
            try:
                os.close(read_end)
                payload = pickle.dumps([_compile_one(job) for job in jobs])
                with os.fdopen(write_end, "wb") as out:
                    out.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        return cls(pid, read_end, jobs)

    def stop(self) -> None:
        """End the worker now and reap it."""
        import signal

        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)

    def results(self) -> list[dict[str, Any]] | None:
        """The compiled files, or None if the worker failed (then the caller compiles them)."""
        try:
            with os.fdopen(self.fd, "rb") as pipe:
                payload = pipe.read()
            _, status = os.waitpid(self.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                return None
            results = pickle.loads(payload)
        except (OSError, pickle.UnpicklingError, EOFError):
            return None
        return results if isinstance(results, list) and len(results) == len(self.jobs) else None


def _compile_all(todo: list[FileStat], data_dir: Path) -> Iterator[dict[str, Any]]:
    """Compiled results in the order of ``todo``; in worker processes when there are many files."""
    jobs = [(f.kind, str(f.path), str(data_dir)) for f in todo]
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2 or os.environ.get("IRKB_NO_PARALLEL"):
        yield from map(_compile_one, jobs)
        return
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        pool = context.Pool(workers)
    except (OSError, ValueError):
        yield from map(_compile_one, jobs)
        return
    with pool:
        yield from pool.imap(_compile_one, jobs, chunksize=32)


def _connect(target: str) -> sqlite3.Connection:
    db = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout = 30000")
    if target != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
    return db


def _remove_db(location: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(str(location) + suffix).unlink()


def _sha256(path: Path) -> str | None:
    """Hash of a regular file's content, read in chunks; None for anything else (a FIFO, a device)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not S_ISREG(os.fstat(fd).st_mode):
                return None
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _progress(total: int) -> Any:
    """A rich progress bar on stderr when it is a terminal; None otherwise."""
    import sys

    if not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("loading records", total=total)
    bar.start()

    def update(done: int) -> None:
        if done < 0:
            bar.stop()
        else:
            bar.update(task, completed=done)

    return update
