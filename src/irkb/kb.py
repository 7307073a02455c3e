"""The knowledge base: records by kind and id, their problems, and lookup by id, name or alias.

Backed by the compiled ``Catalog``: documents are read as plain JSON, and a pydantic model is built
only when one is asked for (``get``, ``procedures[...]``), so commands that only filter and print
never pay for validation.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .errors import Ambiguous, NotFound, Problem
from .kinds import NAMES
from .vocab import normalise

if TYPE_CHECKING:
    from .index.catalog import Catalog
    from .index.refresh import Progress
    from .model import AccessRoute, Complication, Modality, Procedure, Record, Source

R = TypeVar("R", bound="Record")


def display_name(record: Any) -> str:
    """The name a person reads: ``name``, or a source's ``title``."""
    if isinstance(record, dict):
        return str(record.get("name") or record.get("title") or record["id"])
    return str(getattr(record, "name", None) or getattr(record, "title", "") or record.id)


class Records(Mapping[str, R], Generic[R]):
    """Records of one kind by id (sorted), built as models on first access."""

    def __init__(self, kb: KnowledgeBase, kind: str) -> None:
        self._kb = kb
        self._kind = kind
        self._ids: list[str] | None = None

    def _all(self) -> list[str]:
        if self._ids is None:
            self._ids = self._kb.catalog.ids(self._kind)
        return self._ids

    def __getitem__(self, rid: str) -> R:
        if not self._kb.catalog.has(self._kind, rid):
            raise KeyError(rid)
        return cast(R, self._kb.model(self._kind, rid))

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and self._kb.catalog.has(self._kind, rid)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class KnowledgeBase:
    """Validated records of every kind, the problems found loading them, and lookup."""

    def __init__(self, catalog: Catalog, today: dt.date | None = None) -> None:
        self.catalog = catalog
        self.data_dir: Path = catalog.data_dir
        self.today = today or dt.date.today()
        self._models: dict[tuple[str, str], Record] = {}
        self._problems: list[Problem] | None = None
        self._keys: list[tuple[str, str, str]] | None = None

    # ------------------------------------------------------------------ records

    def model(self, kind: str, rid: str) -> Record:
        """The pydantic model of one record (validated again from its stored document)."""
        key = (kind, rid)
        if key not in self._models:
            from .model import RECORD_TYPES

            self._models[key] = RECORD_TYPES[kind].model_validate(self.catalog.doc(kind, rid))
        return self._models[key]

    def doc(self, kind: str, rid: str) -> dict[str, Any]:
        """The canonical document of one record (plain JSON data, every field present)."""
        return self.catalog.doc(kind, rid)

    @property
    def records(self) -> dict[str, Records[Any]]:
        """Every kind's records by id."""
        return {k: Records(self, k) for k in NAMES}

    def of_kind(self, kind: str) -> Records[Any]:
        """Records of one kind by id, in id order."""
        return Records(self, kind)

    @property
    def procedures(self) -> Records[Procedure]:
        """Procedure records by id."""
        return Records(self, "procedure")

    @property
    def modalities(self) -> Records[Modality]:
        """Modality records by id."""
        return Records(self, "modality")

    @property
    def access_routes(self) -> Records[AccessRoute]:
        """Access-route records by id."""
        return Records(self, "access-route")

    @property
    def complications(self) -> Records[Complication]:
        """Complication records by id."""
        return Records(self, "complication")

    @property
    def sources(self) -> Records[Source]:
        """Source records by id."""
        return Records(self, "source")

    def count(self) -> int:
        """Number of records of every kind that are served."""
        return self.catalog.count()

    def modality_flags(self) -> dict[str, dict[str, Any]]:
        """Speed and ionising radiation of every modality (what --live and --radiation look at)."""
        rows = self.catalog.execute("SELECT id, speed, ionising_radiation FROM modalities")
        return {r[0]: {"speed": r[1], "ionising_radiation": bool(r[2])} for r in rows}

    def names(self, kind: str, ids: Sequence[str] | None = None) -> dict[str, str]:
        """Display names of one kind's records (or of those ``ids`` only)."""
        return self.catalog.names(kind, ids)

    # ------------------------------------------------------------------ problems

    @property
    def problems(self) -> list[Problem]:
        """Every problem: in single files, and across records; sorted by file and line.

        Paths are shown relative to the working directory (``display_path``), whatever directory
        the catalog was built from.
        """
        if self._problems is None:
            from dataclasses import replace

            from .ingest.files import display_path

            found = self.catalog.file_problems() + self.catalog.integrity(self.today, lambda t, k: self.suggest(t, k, limit=3))
            shown: dict[str, str] = {}
            out = []
            for p in found:
                if p.path not in shown:
                    shown[p.path] = display_path(self.data_dir / p.path, self.data_dir)
                out.append(replace(p, path=shown[p.path]))
            self._problems = capped(sorted(out))
        return self._problems

    @property
    def errors(self) -> list[Problem]:
        """Problems of level error."""
        return [p for p in self.problems if p.level == "error"]

    def skipped(self) -> list[str]:
        """Files whose record is not served (errors in the file, or an id claimed twice)."""
        return self.catalog.skipped_files()

    # ------------------------------------------------------------------ lookup

    def resolve(self, query: str, kind: str | None = None) -> tuple[str, str]:
        """(kind, id) for a query: exact id, then normalised name or alias, then a unique name prefix.

        Raises ``Ambiguous`` when several records match and ``NotFound`` (with suggestions)
        when none does.
        """
        kinds = [k for k in self.catalog.exact(query) if kind in (None, k)]
        if len(kinds) == 1:
            return kinds[0], query
        if len(kinds) > 1:
            raise Ambiguous(query, [f"{k}:{query}" for k in kinds], self._labels([(k, query) for k in kinds]))
        key = normalise(query)
        matches = [m for m in self.catalog.by_key(key) if kind in (None, m[0])]
        if not matches and len(key) >= 3:
            matches = self._prefix_matches(key, kind)
        if len(matches) == 1:
            return matches[0]
        if matches:
            same_kind = len({k for k, _ in matches}) == 1
            raise Ambiguous(query, [i if same_kind else f"{k}:{i}" for k, i in matches], self._labels(matches))
        raise NotFound(query, self.suggest(query, kind), kind)

    def _prefix_matches(self, key: str, kind: str | None) -> list[tuple[str, str]]:
        """Records one of whose names starts with ``key`` as whole words ('radial' -> radial artery)."""
        rows = self.catalog.execute(
            "SELECT DISTINCT kind, id FROM keys WHERE key LIKE ? ESCAPE '\\' AND (? IS NULL OR kind = ?) ORDER BY kind, id LIMIT 20",
            (key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %", kind, kind),
        )
        return [(r[0], r[1]) for r in rows]

    def _labels(self, matches: list[tuple[str, str]]) -> dict[str, str]:
        out = {}
        for k, i in matches:
            name = self.catalog.names(k, [i]).get(i)
            if name:
                out[i] = name
        return out

    def get(self, query: str, kind: str | None = None) -> Record:
        """The record a query names (see ``resolve``), as a model."""
        return self.model(*self.resolve(query, kind))

    def suggest(self, query: str, kind: str | None = None, limit: int = 5) -> list[str]:
        """Did-you-mean ids for a query, best first, from ids, names and aliases (rapidfuzz)."""
        from rapidfuzz import fuzz, process, utils

        if self._keys is None:
            self._keys = self.catalog.all_keys()
        choices = {i: key for i, (key, k, _) in enumerate(self._keys) if kind is None or k == kind}
        found = process.extract(normalise(query), choices, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=70, limit=limit * 6)
        out: list[str] = []
        for _, _, index in found:
            rid = self._keys[index][2]
            if rid not in out:
                out.append(rid)
            if len(out) == limit:
                break
        return out


PROBLEMS_PER_CODE = 100
"""A file lists at most this many problems of one code; one more line says how many were left out."""


def capped(problems: list[Problem]) -> list[Problem]:
    """``problems`` (sorted) with at most ``PROBLEMS_PER_CODE`` of one code in one file, then a count."""
    from collections import Counter

    seen: Counter[tuple[str, str]] = Counter()
    out: list[Problem] = []
    for p in problems:
        key = (p.path, p.code)
        seen[key] += 1
        if seen[key] <= PROBLEMS_PER_CODE:
            out.append(p)
    for (path, code), n in seen.items():
        if n > PROBLEMS_PER_CODE:
            last = max((p for p in out if p.path == path and p.code == code), key=lambda p: (p.line, p.col))
            out.append(
                Problem(
                    path,
                    last.line,
                    last.col + 1,
                    "too-many-problems",
                    f"{n - PROBLEMS_PER_CODE} more {code} problems in this file are not listed",
                    last.level,
                    "fix the ones above and run again",
                )
            )
    return sorted(out)


def load(data_dir: str | os.PathLike[str] | None = None, *, today: dt.date | None = None, progress: Progress | None = None) -> KnowledgeBase:
    """Load and check a knowledge base (the shipped one by default), through the compiled catalog.

    >>> kb = load()
    >>> kb.get("TIPS").id
    'tips'
    """
    from .datadir import resolve_data_dir
    from .index.catalog import Catalog

    where = resolve_data_dir(data_dir)
    return KnowledgeBase(Catalog.open(where.path, progress=progress), today)


def load_for_checking(data_dir: Path, *, progress: Progress | None = None) -> KnowledgeBase:
    """A knowledge base to read problems and counts from, and nothing else (``irkb validate``).

    A cold build then leaves the query tables and the search index to the next ``load``; records
    read from this one before that would be missing, so it is not part of the Python API.
    """
    from .index.catalog import Catalog

    return KnowledgeBase(Catalog.open(data_dir, progress=progress, tables=False))
