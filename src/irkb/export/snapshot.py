"""What an export holds, and the versions that identify it.

Everything works from the catalog's canonical documents (plain JSON data with every field of the
model, in canonical key order), so an export never builds a pydantic model. Output is
deterministic: kinds in the kinds table's order, records sorted by id, keys in canonical order,
and a ``generated_at`` that honours ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import IrkbError, UsageError
from ..kinds import BY_NAME, NAMES

if TYPE_CHECKING:
    from ..index.catalog import Catalog

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


class Snapshot:
    """What an export holds: versions, a timestamp, and the records of each exported kind (by id).

    Records are read from the catalog when asked for: ``texts`` and ``records`` stream one kind a
    page at a time (memory stays flat however large the knowledge base), as every export does;
    ``docs`` parses every exported record at once (for ``envelope``, and scripts that want them all).
    """

    def __init__(self, catalog: Catalog, kinds: Sequence[str], schema_version: str, data_version: str, generated_at: str) -> None:
        self.catalog = catalog
        self.schema_version, self.data_version, self.generated_at = schema_version, data_version, generated_at
        self.counts = {kind: catalog.count(kind) for kind in kinds}
        self._docs: dict[str, list[dict[str, Any]]] | None = None

    @property
    def count(self) -> int:
        """Number of records exported."""
        return sum(self.counts.values())

    @property
    def docs(self) -> dict[str, list[dict[str, Any]]]:
        """The documents of each exported kind (sorted by id), parsed on first use."""
        if self._docs is None:
            self._docs = {kind: self.catalog.docs(kind) for kind in self.counts}
        return self._docs

    def records(self, kind: str) -> Iterator[dict[str, Any]]:
        """The records of ``kind``, by id, parsed one at a time."""
        from .. import jsonio

        for text in self.texts(kind):
            yield jsonio.loads(text)

    def texts(self, kind: str) -> Iterator[str]:
        """The stored JSON text of each record of ``kind`` (indented by two), by id, a page at a time
        (none for a kind the snapshot does not hold)."""
        if kind not in self.counts:
            return
        for page in self.catalog.doc_text_pages(kind):
            yield from page


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


def data_version(catalog: Catalog) -> str:
    """SHA-256 (hex) of every record's canonical content, kinds in export order, records by id.

    It depends on the values only: not on file names, mtimes, YAML layout, comments or the
    machine, so the same data gives the same version everywhere. Records are read one at a time.
    """
    from .. import jsonio

    digest = hashlib.sha256()
    for kind in NAMES:
        for page in catalog.doc_text_pages(kind):
            for text in page:
                digest.update(canonical_bytes(kind, jsonio.loads(text)))
    return digest.hexdigest()


def snapshot(catalog: Catalog, kinds: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> Snapshot:
    """The records of ``kinds`` (default: every kind) and the versions of the whole knowledge base."""
    from ..kinds import SCHEMA_VERSION

    wanted = [k for k in NAMES if kinds is None or k in kinds]
    return Snapshot(catalog, wanted, SCHEMA_VERSION, data_version(catalog), generated_at(environ))


def header(snap: Snapshot) -> dict[str, Any]:
    """The envelope's fields before the records: versions, time, counts."""
    return {
        "schema_version": snap.schema_version,
        "data_version": snap.data_version,
        "generated_at": snap.generated_at,
        "count": snap.count,
        "counts": dict(snap.counts),
    }


def envelope(snap: Snapshot) -> dict[str, Any]:
    """The JSON envelope: versions, time, counts, then one array per exported kind."""
    out = header(snap)
    for kind, docs in snap.docs.items():
        out[BY_NAME[kind].key] = docs
    return out


def ticker(total: int, progress: Progress | None) -> Callable[[], None]:
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return tick
