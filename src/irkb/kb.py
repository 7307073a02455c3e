"""The knowledge base: records indexed by id and alias, checks across records, and lookup."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .errors import Ambiguous, NotFound, Problem
from .loader import LoadedFile, Reference
from .models import (
    RECORD_TYPES,
    AccessRoute,
    Complication,
    Modality,
    Procedure,
    Record,
    Source,
    normalise,
)

R = TypeVar("R", bound=Record)


def display_name(record: Record) -> str:
    """The name a person reads: ``name``, or a source's title."""
    return str(getattr(record, "name", None) or getattr(record, "title", "") or record.id)


@dataclass
class KnowledgeBase:
    """Validated records of every kind, the problems found loading them, and lookup indexes."""

    data_dir: Path | None = None
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {k: {} for k in RECORD_TYPES})
    problems: list[Problem] = field(default_factory=list)
    paths: dict[tuple[str, str], str] = field(default_factory=dict)
    refs: dict[tuple[str, str], list[Reference]] = field(default_factory=dict)
    locator: Callable[[str, tuple[str | int, ...]], tuple[int, int]] | None = None
    _keys: dict[str, list[tuple[str, str]]] | None = None

    # ------------------------------------------------------------------ building

    @classmethod
    def from_files(
        cls,
        files: Iterable[LoadedFile],
        data_dir: Path | None = None,
        locator: Callable[[str, tuple[str | int, ...]], tuple[int, int]] | None = None,
    ) -> KnowledgeBase:
        """Index the valid records of ``files`` and run the checks across records."""
        kb = cls(data_dir=data_dir, locator=locator)
        for loaded in files:
            kb.problems.extend(loaded.problems)
            record = loaded.record
            if record is None:
                continue
            existing = kb.paths.get((loaded.kind, record.id))
            if existing is not None:
                kb.problems.append(
                    Problem(
                        loaded.display,
                        *kb._where(loaded.display, ("id",)),
                        "duplicate-id",
                        f"{loaded.kind} id '{record.id}' is already used by {existing}",
                        "error",
                    )
                )
                continue
            kb.records[loaded.kind][record.id] = record
            kb.paths[(loaded.kind, record.id)] = loaded.display
            kb.refs[(loaded.kind, record.id)] = loaded.refs
        kb.problems.extend(kb.integrity_problems())
        kb.problems.sort()
        return kb

    def _where(self, display: str, loc: tuple[str | int, ...]) -> tuple[int, int]:
        if self.locator is None:
            return 0, 0
        return self.locator(display, loc)

    def integrity_problems(self) -> list[Problem]:
        """Checks across records: references resolve, aliases unique, sources cited and not duplicated."""
        problems: list[Problem] = []
        cited_sources: set[str] = set()
        for (kind, rid), refs in self.refs.items():
            display = self.paths[(kind, rid)]
            for ref in refs:
                if ref.target_kind == "source":
                    cited_sources.add(ref.target)
                if ref.target in self.records[ref.target_kind]:
                    if ref.target_kind == kind and ref.target == rid and ref.loc[0] in ("related", "family"):
                        problems.append(Problem(display, *self._where(display, ref.loc), "self-reference", f"{kind} '{rid}' refers to itself", "warning"))
                    continue
                suggestions = self.suggest(ref.target, ref.target_kind, limit=3)
                hint = (
                    "did you mean " + " or ".join(f"'{s}'" for s in suggestions) + "?"
                    if suggestions
                    else f"add data/{RECORD_TYPES[ref.target_kind].directory}/{ref.target}.yaml"
                )
                problems.append(
                    Problem(
                        display,
                        *self._where(display, ref.loc),
                        "unknown-reference",
                        f"{_dotted(ref.loc)}: no {ref.target_kind} with id '{ref.target}'",
                        "error",
                        hint,
                    )
                )
        problems.extend(self._alias_problems())
        by_doi: dict[str, list[str]] = defaultdict(list)
        for source in self.sources.values():
            assert isinstance(source, Source)
            if source.doi:
                by_doi[source.doi.lower()].append(source.id)
            if source.id not in cited_sources:
                display = self.paths[("source", source.id)]
                problems.append(
                    Problem(
                        display,
                        *self._where(display, ("id",)),
                        "unused-source",
                        f"source '{source.id}' is not cited by any record",
                        "warning",
                        "cite it from a record's sources or figures, or remove it",
                    )
                )
        for doi, ids in by_doi.items():
            for sid in ids[1:]:
                display = self.paths[("source", sid)]
                problems.append(
                    Problem(
                        display,
                        *self._where(display, ("doi",)),
                        "duplicate-doi",
                        f"DOI {doi} is also the DOI of source '{ids[0]}'",
                        "warning",
                        f"cite '{ids[0]}' instead and remove this record",
                    )
                )
        return problems

    def _alias_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        for kind, records in self.records.items():
            owners: dict[str, list[tuple[str, bool, tuple[str | int, ...]]]] = defaultdict(list)
            for record in records.values():
                owners[normalise(record.id)].append((record.id, False, ("id",)))
                owners[normalise(display_name(record))].append((record.id, False, ("name",)))
                for i, alias in enumerate(record.aliases):
                    owners[normalise(alias.text)].append((record.id, alias.ambiguous, ("aliases", i, "text")))
            for key, entries in owners.items():
                ids = {e[0] for e in entries}
                if len(ids) < 2:
                    continue
                for rid, ambiguous, loc in entries:
                    if ambiguous or loc[0] != "aliases":
                        continue
                    others = sorted(ids - {rid})
                    display = self.paths[(kind, rid)]
                    problems.append(
                        Problem(
                            display,
                            *self._where(display, loc),
                            "alias-collision",
                            f"alias '{key}' is also used by {kind} {', '.join(others)}",
                            "error",
                            "mark it 'ambiguous: true' on every record that shares it, or remove it",
                        )
                    )
        return problems

    # ------------------------------------------------------------------ access

    def of_kind(self, kind: str) -> dict[str, Record]:
        """Records of one kind by id, in id order."""
        return self.records[kind]

    @property
    def procedures(self) -> dict[str, Procedure]:
        """Procedure records by id."""
        return self.records["procedure"]  # type: ignore[return-value]

    @property
    def modalities(self) -> dict[str, Modality]:
        """Modality records by id."""
        return self.records["modality"]  # type: ignore[return-value]

    @property
    def access_routes(self) -> dict[str, AccessRoute]:
        """Access-route records by id."""
        return self.records["access-route"]  # type: ignore[return-value]

    @property
    def complications(self) -> dict[str, Complication]:
        """Complication records by id."""
        return self.records["complication"]  # type: ignore[return-value]

    @property
    def sources(self) -> dict[str, Source]:
        """Source records by id."""
        return self.records["source"]  # type: ignore[return-value]

    def count(self) -> int:
        """Number of valid records of every kind."""
        return sum(len(r) for r in self.records.values())

    @property
    def errors(self) -> list[Problem]:
        """Problems of level error."""
        return [p for p in self.problems if p.level == "error"]

    # ------------------------------------------------------------------ lookup

    def _index(self) -> dict[str, list[tuple[str, str]]]:
        if self._keys is None:
            keys: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for kind, records in self.records.items():
                for record in records.values():
                    names = [record.id, display_name(record), *(a.text for a in record.aliases)]
                    for name in names:
                        entry = (kind, record.id)
                        key = normalise(name)
                        if entry not in keys[key]:
                            keys[key].append(entry)
            self._keys = dict(keys)
        return self._keys

    def resolve(self, query: str, kind: str | None = None) -> tuple[str, str]:
        """(kind, id) for a query: exact id, then normalised name or alias.

        Raises ``Ambiguous`` when several records match and ``NotFound`` (with suggestions)
        when none does.
        """
        kinds = [kind] if kind else list(self.records)
        exact = [(k, query) for k in kinds if query in self.records[k]]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            raise Ambiguous(query, [f"{k}:{i}" for k, i in exact])
        matches = [m for m in self._index().get(normalise(query), []) if m[0] in kinds]
        if len(matches) == 1:
            return matches[0]
        if matches:
            same_kind = len({k for k, _ in matches}) == 1
            raise Ambiguous(query, [i if same_kind else f"{k}:{i}" for k, i in matches])
        raise NotFound(query, self.suggest(query, kind), kind)

    def get(self, query: str, kind: str | None = None) -> Record:
        """The record a query names (see ``resolve``)."""
        k, rid = self.resolve(query, kind)
        return self.records[k][rid]

    def suggest(self, query: str, kind: str | None = None, limit: int = 5) -> list[str]:
        """Did-you-mean ids for a query, best first, from ids, names and aliases (rapidfuzz)."""
        from rapidfuzz import fuzz, process, utils

        choices: dict[str, str] = {}
        owners: dict[str, tuple[str, str]] = {}
        for key, entries in self._index().items():
            for k, rid in entries:
                if kind is None or k == kind:
                    label = f"{key}\x00{k}\x00{rid}"
                    choices[label] = key
                    owners[label] = (k, rid)
        found = process.extract(normalise(query), choices, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=70, limit=limit * 4)
        out: list[str] = []
        for _, _, label in found:
            k, rid = owners[label]
            name = rid if kind or k == "procedure" else f"{rid}"
            if name not in out:
                out.append(name)
            if len(out) == limit:
                break
        return out


def _dotted(loc: tuple[str | int, ...]) -> str:
    from .loader import dotted

    return dotted(loc)


def today() -> dt.date:
    """Today's date (a function so tests can monkeypatch it)."""
    return dt.date.today()
