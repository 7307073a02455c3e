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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    for kind in NAMES:
        for doc in sorted(docs.get(kind, []), key=lambda d: str(d["id"])):
            digest.update(canonical_bytes(kind, doc))
    return digest.hexdigest()


def snapshot(catalog: Catalog, kinds: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> Snapshot:
    """The documents of ``kinds`` (default: every kind) and the versions of the whole knowledge base."""
    from ..model.fields import SCHEMA_VERSION

    every = {kind: catalog.docs(kind) for kind in NAMES}
    wanted = [k for k in NAMES if kinds is None or k in kinds]
    return Snapshot(SCHEMA_VERSION, data_version(every), generated_at(environ), {k: every[k] for k in wanted})


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
