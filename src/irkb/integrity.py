"""Checks across records, over plain data: references resolve, aliases unique, sources used,
DOIs not duplicated, review dates sane. Works the same on fresh and cached data."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .errors import Problem, dotted

STALE_AFTER_DAYS = 3 * 365
DIRECTORY = {"procedure": "procedures", "modality": "modalities", "access-route": "access-routes", "complication": "complications", "source": "sources"}

Loc = Sequence[str | int]
Locator = Callable[[str, Loc, bool], tuple[int, int]]


@dataclass(frozen=True)
class RecordFacts:
    """What the cross-record checks need to know of one valid record."""

    kind: str
    id: str
    path: str
    keys: Sequence[tuple[str, bool, Loc]]  # (normalised key, ambiguous, loc)
    refs: Sequence[tuple[str, str, Loc]] | str  # (target kind, target id, loc), or that list as JSON text
    last_reviewed: str
    doi: str | None = None


def check(
    records: Iterable[RecordFacts],
    locate: Locator,
    suggest: Callable[[str, str], list[str]],
    today: dt.date,
) -> list[Problem]:
    """Every cross-record problem among ``records`` (each located with ``locate``)."""
    records = list(records)
    ids: dict[str, set[str]] = defaultdict(set)
    for r in records:
        ids[r.kind].add(r.id)
    problems: list[Problem] = []
    cited: set[str] = set()
    for r in records:
        # JSON text is read one record at a time: parsed all at once, 10,000 records' references
        # take over 100 MB
        for target_kind, target, loc in json.loads(r.refs) if isinstance(r.refs, str) else r.refs:
            if target_kind == "source":
                cited.add(target)
            if target in ids[target_kind]:
                if target_kind == r.kind and target == r.id and loc and loc[0] in ("related", "family"):
                    problems.append(Problem(r.path, *locate(r.path, loc, False), "self-reference", f"{r.kind} '{r.id}' refers to itself", "warning"))
                continue
            found = suggest(target, target_kind)
            hint = "did you mean " + " or ".join(f"'{s}'" for s in found) + "?" if found else f"add data/{DIRECTORY[target_kind]}/{target}.yaml"
            problems.append(
                Problem(r.path, *locate(r.path, loc, False), "unknown-reference", f"{dotted(tuple(loc))}: no {target_kind} with id '{target}'", "error", hint)
            )
        reviewed = dt.date.fromisoformat(r.last_reviewed)
        if reviewed > today:
            problems.append(
                Problem(
                    r.path,
                    *locate(r.path, ["last_reviewed"], False),
                    "review-date-in-future",
                    f"last_reviewed {reviewed} is in the future",
                    "error",
                    f"use today's date ({today}) or earlier",
                )
            )
        elif (today - reviewed).days > STALE_AFTER_DAYS:
            problems.append(
                Problem(
                    r.path,
                    *locate(r.path, ["last_reviewed"], False),
                    "review-stale",
                    f"last reviewed {reviewed}, more than three years ago",
                    "warning",
                    "check the record against its sources and update last_reviewed",
                )
            )
    problems += _alias_problems(records, locate)
    by_doi: dict[str, list[RecordFacts]] = defaultdict(list)
    for r in records:
        if r.kind != "source":
            continue
        if r.doi:
            by_doi[r.doi.lower()].append(r)
        if r.id not in cited:
            problems.append(
                Problem(
                    r.path,
                    *locate(r.path, ["id"], False),
                    "unused-source",
                    f"source '{r.id}' is not cited by any record",
                    "warning",
                    "cite it from a record's sources or figures, or remove it",
                )
            )
    for doi, same in by_doi.items():
        for r in same[1:]:
            problems.append(
                Problem(
                    r.path,
                    *locate(r.path, ["doi"], False),
                    "duplicate-doi",
                    f"DOI {doi} is also the DOI of source '{same[0].id}'",
                    "warning",
                    f"cite '{same[0].id}' instead and remove this record",
                )
            )
    return problems


def _alias_problems(records: Sequence[RecordFacts], locate: Locator) -> list[Problem]:
    problems: list[Problem] = []
    owners: dict[tuple[str, str], list[tuple[RecordFacts, bool, Loc]]] = defaultdict(list)
    for r in records:
        for key, ambiguous, loc in r.keys:
            owners[(r.kind, key)].append((r, ambiguous, loc))
    for (kind, key), entries in owners.items():
        owner_ids = {e[0].id for e in entries}
        if len(owner_ids) < 2:
            continue
        for r, ambiguous, loc in entries:
            if ambiguous or not loc or loc[0] != "aliases":
                continue
            others = sorted(owner_ids - {r.id})
            problems.append(
                Problem(
                    r.path,
                    *locate(r.path, loc, False),
                    "alias-collision",
                    f"alias '{key}' is also used by {kind} {', '.join(others)}",
                    "error",
                    "mark it 'ambiguous: true' on every record that shares it, or remove it",
                )
            )
    return problems
