"""Machine exports of the whole knowledge base: JSON, JSONL, CSV, YAML, Markdown and SQLite.

Everything here works from the catalog's canonical documents (plain JSON data with every field
of the model, in canonical key order), so an export never builds a pydantic model. Output is
deterministic: kinds in a fixed order, records sorted by id, keys in canonical order, and a
``generated_at`` that honours ``SOURCE_DATE_EPOCH`` — two exports of the same data are byte for
byte identical. Files are written atomically (a temporary file in the same directory, then a
rename), so a failed export never leaves a partial file.

The module imports neither Typer nor rich: progress is reported through a callback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import IrkbError, UsageError
from .serialise import to_json
from .vocab import ExportFormat

if TYPE_CHECKING:
    from .catalog import Catalog

KINDS = ("procedure", "modality", "access-route", "complication", "source")
"""Record kinds, in the order they are exported."""

ENVELOPE_KEYS = {"procedure": "procedures", "modality": "modalities", "access-route": "access_routes", "complication": "complications", "source": "sources"}
"""Kind -> key of its array in the JSON envelope, and name of its SQLite table."""

HEADINGS = {"procedure": "Procedures", "modality": "Modalities", "access-route": "Access routes", "complication": "Complications", "source": "Sources"}

DISCLAIMER = (
    "Educational reference only — not clinical decision support. Figures are quoted from the cited sources for teaching; "
    "check them against those sources and local protocols before relying on them for any patient."
)

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called as records are exported."""


class ExportError(UsageError):
    """An export was asked for in a way that cannot work (sqlite to stdout, a missing directory)."""


class ExportWriteError(IrkbError):
    """The export file could not be written (disk full, permission denied); the old file, if any, is untouched."""


@dataclass(frozen=True)
class Snapshot:
    """What an export holds: versions, a timestamp, and the documents of each exported kind (sorted by id)."""

    schema_version: str
    data_version: str
    generated_at: str
    docs: dict[str, list[dict[str, Any]]]

    @property
    def count(self) -> int:
        """Number of records exported."""
        return sum(len(d) for d in self.docs.values())


# --------------------------------------------------------------------------- snapshot


def generated_at(environ: Mapping[str, str] | None = None) -> str:
    """UTC ISO 8601 time (seconds, ``Z``): ``SOURCE_DATE_EPOCH`` when set, else now.

    A malformed ``SOURCE_DATE_EPOCH`` is a usage error rather than silently ignored, as the
    reproducible-builds specification asks.
    """
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is not None and raw.strip() != "":
        try:
            moment = dt.datetime.fromtimestamp(int(raw.strip()), tz=dt.UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise ExportError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC, not {raw!r}") from exc
    else:
        moment = dt.datetime.now(tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_bytes(kind: str, doc: dict[str, Any]) -> bytes:
    """One record as the bytes the data version is computed from (kind, then compact sorted JSON)."""
    return (kind + "\0" + json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def data_version(docs: dict[str, list[dict[str, Any]]]) -> str:
    """SHA-256 (hex) of every record's canonical content, kinds in export order, records by id.

    It depends on the values only: not on file names, mtimes, YAML layout, comments or the
    machine, so the same data gives the same version everywhere.
    """
    digest = hashlib.sha256()
    for kind in KINDS:
        for doc in sorted(docs.get(kind, []), key=lambda d: str(d["id"])):
            digest.update(canonical_bytes(kind, doc))
    return digest.hexdigest()


def snapshot(catalog: Catalog, kinds: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> Snapshot:
    """The documents of ``kinds`` (default: every kind) and the versions of the whole knowledge base."""
    from .models import SCHEMA_VERSION

    every = {kind: sorted(catalog.docs(kind), key=lambda d: str(d["id"])) for kind in KINDS}
    wanted = [k for k in KINDS if kinds is None or k in kinds]
    return Snapshot(SCHEMA_VERSION, data_version(every), generated_at(environ), {k: every[k] for k in wanted})


# --------------------------------------------------------------------------- text formats


def envelope(snap: Snapshot) -> dict[str, Any]:
    """The JSON envelope: versions, time, counts, then one array per exported kind."""
    out: dict[str, Any] = {
        "schema_version": snap.schema_version,
        "data_version": snap.data_version,
        "generated_at": snap.generated_at,
        "count": snap.count,
        "counts": {kind: len(docs) for kind, docs in snap.docs.items()},
    }
    for kind, docs in snap.docs.items():
        out[ENVELOPE_KEYS[kind]] = docs
    return out


def _ticker(total: int, progress: Progress | None) -> Callable[[], None]:
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return tick


def render_text(snap: Snapshot, fmt: ExportFormat, *, csv_kind: str = "procedure", progress: Progress | None = None) -> str:
    """The export as text, for every format but sqlite."""
    from . import output

    tick = _ticker(snap.count, progress)
    if fmt == ExportFormat.JSON:
        text = to_json(envelope(snap)) + "\n"
        _tick_all(snap, tick)
        return text
    if fmt == ExportFormat.YAML:
        text = output.yaml_text(envelope(snap))
        _tick_all(snap, tick)
        return text
    if fmt == ExportFormat.JSONL:
        lines = []
        for kind, docs in snap.docs.items():
            for doc in docs:
                lines.append(to_json({"record_type": kind, **doc}, indent=None) + "\n")
                tick()
        return "".join(lines)
    if fmt == ExportFormat.CSV:
        docs = snap.docs.get(csv_kind, [])
        header = list(docs[0]) if docs else _field_names(csv_kind)
        tick = _ticker(len(docs), progress)
        rows = []
        for doc in docs:
            rows.append(output.flat_doc(doc))
            tick()
        return output.csv_text(rows, header)
    if fmt == ExportFormat.MARKDOWN:
        return _markdown(snap, tick)
    raise ExportError(f"{fmt} is not a text format")


def _tick_all(snap: Snapshot, tick: Callable[[], None]) -> None:
    for _ in range(snap.count):
        tick()


def _field_names(kind: str) -> list[str]:
    from .models import RECORD_TYPES
    from .serialise import field_order

    return field_order(RECORD_TYPES[kind])


def _markdown(snap: Snapshot, tick: Callable[[], None]) -> str:
    from .output import markdown_table, summary_columns

    parts = [
        "# irkb knowledge base\n",
        f"> {DISCLAIMER}\n",
        f"{snap.count} records · schema version {snap.schema_version} · data version `{snap.data_version}` · generated {snap.generated_at}\n",
    ]
    for kind, docs in snap.docs.items():
        parts.append(f"## {HEADINGS[kind]} ({len(docs)})\n")
        parts.append(markdown_table(docs, summary_columns(kind)) if docs else "_None._\n")
        for _ in docs:
            tick()
    return "\n".join(parts)


# --------------------------------------------------------------------------- sqlite

SQLITE_TABLES = (
    "procedures",
    "modalities",
    "access_routes",
    "complications",
    "sources",
    "procedure_modalities",
    "procedure_access_routes",
    "complication_figures",
    "outcome_figures",
    "aliases",
    "record_sources",
    "metadata",
)
"""Tables of the SQLite export (FTS tables ``<kind table>_fts`` come with the record tables)."""

_SEARCH_COLUMNS = {
    "procedure": ("name", "alias_text", "summary"),
    "modality": ("name", "alias_text", "summary"),
    "access-route": ("name", "alias_text", "summary"),
    "complication": ("name", "alias_text", "definition"),
    "source": ("title", "alias_text", "note"),
}
_RATE = ("percent", "low", "high", "numerator", "denominator", "interval")
_RATE_TYPES: dict[str, type] = {"percent": float, "low": float, "high": float, "numerator": int, "denominator": int, "interval": str}
_JSON = object()  # column type marker: nested value stored as JSON text


def column_types(kind: str) -> dict[str, Any]:
    """Column -> Python type of a kind's table, from its JSON Schema: scalars as is, anything nested as JSON text."""
    from .schema import schema_for

    schema = schema_for(kind)
    defs = schema.get("$defs", {})
    out: dict[str, Any] = {}
    for name in _field_names(kind):
        out[name] = _scalar_type(schema["properties"].get(name, {}), defs)
    return out


def _scalar_type(prop: dict[str, Any], defs: dict[str, Any]) -> Any:
    options = prop.get("anyOf") or prop.get("oneOf") or [prop]
    found: set[type] = set()
    for option in options:
        if "$ref" in option:
            option = defs.get(str(option["$ref"]).rsplit("/", 1)[-1], {})
        kind = option.get("type")
        if kind == "null":
            continue
        scalar = {"string": str, "integer": int, "number": float, "boolean": bool}.get(str(kind))
        if scalar is None:
            return _JSON
        found.add(scalar)
    if found == {int, float}:
        return float
    return found.pop() if len(found) == 1 else str


def _cell(value: Any, kind: Any) -> Any:
    if kind is _JSON:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=False)
    return value


def _sql_type(kind: Any) -> type:
    return str if kind is _JSON else kind


def write_sqlite(snap: Snapshot, path: Path, *, progress: Progress | None = None) -> None:
    """Build the normalised SQLite database at ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        build_sqlite(snap, Path(tmp), progress=progress)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(tmp + suffix)
        raise


def build_sqlite(snap: Snapshot, path: Path, *, progress: Progress | None = None) -> None:
    """Write the tables, link tables, full-text indexes and metadata into the (empty) database at ``path``."""
    import sqlite_utils

    tick = _ticker(snap.count, progress)
    db = sqlite_utils.Database(path, execute_plugins=False)
    try:
        # Record tables first: the link tables' foreign keys point at them.
        types: dict[str, dict[str, Any]] = {}
        for kind in KINDS:
            types[kind] = column_types(kind)
            columns = {name: _sql_type(t) for name, t in types[kind].items()} | {"alias_text": str}
            self_ref = [("family", "procedures", "id")] if kind == "procedure" and "family" in columns else []
            db.table(ENVELOPE_KEYS[kind]).create(columns, pk="id", not_null=["id"], foreign_keys=self_ref)
        fk = _LinkTables(db)
        for kind, docs in snap.docs.items():
            rows = []
            for doc in docs:
                row = {name: _cell(doc.get(name), t) for name, t in types[kind].items()}
                row["alias_text"] = "; ".join(a["text"] for a in doc.get("aliases") or [])
                rows.append(row)
                fk.add(kind, doc)
                tick()
            if rows:
                db.table(ENVELOPE_KEYS[kind]).insert_all(rows)
        fk.write()
        for kind in KINDS:
            db.table(ENVELOPE_KEYS[kind]).enable_fts(list(_SEARCH_COLUMNS[kind]), tokenize="porter")
        db.table("metadata").insert({"schema_version": snap.schema_version, "data_version": snap.data_version, "generated_at": snap.generated_at})
        db.execute("PRAGMA user_version = 1")
        db.conn.commit()
        db.execute("VACUUM")
    finally:
        db.close()


class _LinkTables:
    """Rows of the normalised link tables, gathered record by record and written at the end."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.rows: dict[str, list[dict[str, Any]]] = {
            "procedure_modalities": [],
            "procedure_access_routes": [],
            "complication_figures": [],
            "outcome_figures": [],
            "aliases": [],
            "record_sources": [],
        }

    def add(self, kind: str, doc: dict[str, Any]) -> None:
        rid = doc["id"]
        for alias in doc.get("aliases") or []:
            self.rows["aliases"].append(
                {"record_type": kind, "record_id": rid, "text": alias["text"], "kind": alias.get("kind"), "ambiguous": bool(alias.get("ambiguous"))}
            )
        for source in doc.get("sources") or []:
            self.rows["record_sources"].append({"record_type": kind, "record_id": rid, "source_id": source})
        if kind in ("procedure", "access-route"):
            for figure in doc.get("complications") or []:
                self.rows["complication_figures"].append(
                    {
                        "procedure_id": rid if kind == "procedure" else None,
                        "access_route_id": rid if kind == "access-route" else None,
                        "complication_id": figure["complication"],
                        "severity": figure.get("severity"),
                        "severity_scale": figure.get("severity_scale"),
                        **_rate(figure),
                        "rate_kind": figure.get("rate_kind"),
                        "population": figure.get("population"),
                        "source_id": figure.get("source"),
                        "locator": figure.get("locator"),
                        "note": figure.get("note"),
                    }
                )
        if kind != "procedure":
            return
        for guidance in doc.get("guidance") or []:
            self.rows["procedure_modalities"].append(
                {
                    "procedure_id": rid,
                    "modality_id": guidance["modality"],
                    "role": guidance["role"],
                    "phases": json.dumps(guidance.get("phases") or []),
                    "note": guidance.get("note"),
                }
            )
        for route in doc.get("access_routes") or []:
            self.rows["procedure_access_routes"].append({"procedure_id": rid, "access_route_id": route})
        for outcome in doc.get("outcomes") or []:
            self.rows["outcome_figures"].append(
                {
                    "procedure_id": rid,
                    "measure": outcome["measure"],
                    **_rate(outcome),
                    "rate_kind": outcome.get("rate_kind"),
                    "population": outcome.get("population"),
                    "source_id": outcome.get("source"),
                    "locator": outcome.get("locator"),
                    "note": outcome.get("note"),
                }
            )

    def write(self) -> None:
        figure_rate: dict[str, type] = dict(_RATE_TYPES)
        self._table(
            "procedure_modalities",
            {"procedure_id": str, "modality_id": str, "role": str, "phases": str, "note": str},
            [("procedure_id", "procedures", "id"), ("modality_id", "modalities", "id")],
        )
        self._table(
            "procedure_access_routes",
            {"procedure_id": str, "access_route_id": str},
            [("procedure_id", "procedures", "id"), ("access_route_id", "access_routes", "id")],
        )
        self._table(
            "complication_figures",
            {
                "procedure_id": str,
                "access_route_id": str,
                "complication_id": str,
                "severity": str,
                "severity_scale": str,
                **figure_rate,
                "rate_kind": str,
                "population": str,
                "source_id": str,
                "locator": str,
                "note": str,
            },
            [
                ("procedure_id", "procedures", "id"),
                ("access_route_id", "access_routes", "id"),
                ("complication_id", "complications", "id"),
                ("source_id", "sources", "id"),
            ],
        )
        self._table(
            "outcome_figures",
            {"procedure_id": str, "measure": str, **figure_rate, "rate_kind": str, "population": str, "source_id": str, "locator": str, "note": str},
            [("procedure_id", "procedures", "id"), ("source_id", "sources", "id")],
        )
        self._table("aliases", {"record_type": str, "record_id": str, "text": str, "kind": str, "ambiguous": bool}, [])
        self._table("record_sources", {"record_type": str, "record_id": str, "source_id": str}, [("source_id", "sources", "id")])
        for table, column in (
            ("procedure_modalities", "procedure_id"),
            ("procedure_modalities", "modality_id"),
            ("procedure_access_routes", "procedure_id"),
            ("procedure_access_routes", "access_route_id"),
            ("complication_figures", "procedure_id"),
            ("complication_figures", "complication_id"),
            ("outcome_figures", "procedure_id"),
            ("aliases", "record_id"),
            ("record_sources", "record_id"),
            ("record_sources", "source_id"),
        ):
            self.db.table(table).create_index([column])

    def _table(self, name: str, columns: dict[str, type], foreign_keys: list[tuple[str, str, str]]) -> None:
        table = self.db.table(name)
        table.create(columns, foreign_keys=foreign_keys)
        if self.rows[name]:
            table.insert_all(self.rows[name])


def _rate(figure: dict[str, Any]) -> dict[str, Any]:
    rate = figure.get("rate") or {}
    return {key: rate.get(key) for key in _RATE}


# --------------------------------------------------------------------------- writing


def export(
    snap: Snapshot,
    fmt: ExportFormat,
    target: Path | None,
    *,
    csv_kind: str = "procedure",
    progress: Progress | None = None,
    stdout: Any = None,
) -> None:
    """Write the export to ``target`` atomically, or to ``stdout`` when ``target`` is None (not for sqlite)."""
    if target is not None:
        _check_target(target)
    if fmt == ExportFormat.SQLITE:
        if target is None:
            raise ExportError("sqlite export needs a file: pass -o PATH (a database cannot go to stdout)")
        try:
            write_sqlite(snap, target, progress=progress)
        except OSError as exc:
            raise ExportWriteError(f"cannot write '{target}': {exc.strerror or exc}") from exc
        return
    text = render_text(snap, fmt, csv_kind=csv_kind, progress=progress)
    if target is None:
        import sys

        out = stdout or sys.stdout
        out.write(text)
        out.flush()
        return
    from .atomic import write_text

    try:
        write_text(target, text)
    except OSError as exc:
        raise ExportWriteError(f"cannot write '{target}': {exc.strerror or exc}") from exc


def _check_target(target: Path) -> None:
    if target.is_dir():
        raise ExportError(f"'{target}' is a directory; -o takes a file path")
    if not target.parent.is_dir():
        raise ExportError(f"directory '{target.parent}' does not exist")


# --------------------------------------------------------------------------- reading exports


class UnreadableExport(UsageError):
    """A file given as an export is missing, not JSON, or not an irkb export."""


def read_export(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Documents by kind from an export file: the JSON envelope, or JSONL (one record per line).

    Kinds absent from a narrowed (``--kind``) export are absent from the result.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableExport(f"cannot read '{path}': {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _read_jsonl(path, text)
    if not isinstance(data, dict) or not any(key in data for key in ENVELOPE_KEYS.values()):
        raise UnreadableExport(f"'{path}' is not an irkb JSON export (expected keys such as 'procedures', 'sources')")
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, key in ENVELOPE_KEYS.items():
        if key not in data:
            continue
        records = data[key]
        if not isinstance(records, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in records):
            raise UnreadableExport(f"'{path}': '{key}' is not a list of records with ids")
        out[kind] = records
    return out


def _read_jsonl(path: Path, text: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableExport(f"'{path}' is neither a JSON export nor JSONL (line {number}: {exc.msg})") from exc
        if not isinstance(record, dict) or record.get("record_type") not in ENVELOPE_KEYS or not isinstance(record.get("id"), str):
            raise UnreadableExport(f"'{path}' line {number}: not an irkb record with record_type and id")
        kind = record.pop("record_type")
        out.setdefault(kind, []).append(record)
    if not out:
        raise UnreadableExport(f"'{path}' holds no records")
    return out
