"""Checks across records, over the catalog's documents: ids unique, references resolve, aliases
unique, sources used, DOIs not duplicated, review dates sane.

Every check is bounded for hostile input: did-you-mean suggestions are computed once per distinct
missing id, and a message names at most a few of the records it concerns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import jsonio
from ..errors import Problem, dotted
from ..kinds import folder
from .compile import lookup_keys

if TYPE_CHECKING:
    from .catalog import Catalog

STALE_AFTER_DAYS = 3 * 365
LISTED = 5  # records named in one message; the rest are counted

Loc = Sequence[str | int]
Locator = Callable[[str, Loc, bool], tuple[int, int]]


@dataclass(frozen=True)
class RecordFacts:
    """What the cross-record checks need to know of one valid record."""

    kind: str
    id: str
    path: str
    keys: Sequence[tuple[str, bool, Loc]]  # (normalised key, ambiguous, loc)
    refs: str  # [(target kind, target id, loc)] as JSON text, parsed one record at a time
    last_reviewed: str
    doi: str | None = None


def facts(catalog: Catalog) -> Iterator[RecordFacts]:
    """The facts of every valid file's record (duplicates included), one document at a time."""
    last = 0
    while True:  # a page of documents at a time: memory stays flat however many there are
        rows = catalog.execute(
            "SELECT d.rowid, d.kind, d.id, d.path, d.json, f.refs FROM documents d JOIN files f ON f.path = d.path WHERE d.rowid > ? ORDER BY d.rowid LIMIT 500",
            (last,),
        )
        if not rows:
            return
        for rowid, kind, rid, path, text, refs in rows:
            last = rowid
            doc = jsonio.loads(text)
            yield RecordFacts(kind, rid, path, [k[:3] for k in lookup_keys(doc)], refs, doc["last_reviewed"], doc.get("doi"))


def named(ids: Sequence[str]) -> str:
    """'a, b, c' — or the first few and how many more."""
    ids = sorted(ids)
    shown = ", ".join(ids[:LISTED])
    return shown if len(ids) <= LISTED else f"{shown} and {len(ids) - LISTED} more"


def check(catalog: Catalog, locate: Locator, suggest: Callable[[str, str], list[str]], today: dt.date) -> list[Problem]:
    """Every cross-record problem in the catalog (each located with ``locate``)."""
    records = list(facts(catalog))
    ids: dict[str, set[str]] = defaultdict(set)
    for r in records:
        ids[r.kind].add(r.id)
    # A record whose own file has an error still exists for the records that refer to it: its
    # problems are reported on its file, not cascaded as "no source ..." on every record citing it.
    for kind, rid, path in catalog.execute("SELECT kind, record_id, path FROM files"):
        ids[kind].add(rid or path.rsplit("/", 1)[-1].removesuffix(".yaml"))
    problems = _duplicate_ids(catalog, locate)
    cited: set[str] = set()
    hints: dict[tuple[str, str], str] = {}
    for r in records:
        for target_kind, target, loc in jsonio.loads(r.refs):
            if target_kind == "source":
                cited.add(target)
            if target in ids[target_kind]:
                if target_kind == r.kind and target == r.id and loc and loc[0] in ("related", "family"):
                    problems.append(Problem(r.path, *locate(r.path, loc, False), "self-reference", f"{r.kind} '{r.id}' refers to itself", "warning"))
                continue
            hint = hints.get((target, target_kind))
            if hint is None:  # once per distinct missing id: a file can hold 100,000 of the same one
                found = suggest(target, target_kind)
                hint = "did you mean " + " or ".join(f"'{s}'" for s in found) + "?" if found else f"add data/{folder(target_kind)}/{target}.yaml"
                hints[(target, target_kind)] = hint
            problems.append(
                Problem(r.path, *locate(r.path, loc, False), "unknown-reference", f"{dotted(tuple(loc))}: no {target_kind} with id '{target}'", "error", hint)
            )
        problems += _review_date(r, locate, today)
    problems += _alias_problems(records, locate)
    problems += _source_problems(records, cited, locate)
    return problems


def _duplicate_ids(catalog: Catalog, locate: Locator) -> list[Problem]:
    """Every file whose id another file claims too (valid or not): neither record is served."""
    by_id: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, kind, rid in catalog.execute("SELECT path, kind, record_id FROM files WHERE record_id IS NOT NULL ORDER BY path"):
        by_id[(kind, rid)].append(path)
    problems = []
    for (kind, rid), same in by_id.items():
        if len(same) < 2:
            continue
        for path in same:
            others = named([o for o in same if o != path])
            problems.append(
                Problem(
                    path,
                    *locate(path, ["id"], False),
                    "duplicate-id",
                    f"{kind} id '{rid}' is also claimed by {others}; neither record is served",
                    "error",
                    "give each record its own id (the file name)",
                )
            )
    return problems


def _review_date(r: RecordFacts, locate: Locator, today: dt.date) -> list[Problem]:
    reviewed = dt.date.fromisoformat(r.last_reviewed)
    if reviewed > today:
        return [
            Problem(
                r.path,
                *locate(r.path, ["last_reviewed"], False),
                "review-date-in-future",
                f"last_reviewed {reviewed} is in the future",
                "error",
                f"use today's date ({today}) or earlier",
            )
        ]
    if (today - reviewed).days > STALE_AFTER_DAYS:
        return [
            Problem(
                r.path,
                *locate(r.path, ["last_reviewed"], False),
                "review-stale",
                f"last reviewed {reviewed}, more than three years ago",
                "warning",
                "check the record against its sources and update last_reviewed",
            )
        ]
    return []


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
            problems.append(
                Problem(
                    r.path,
                    *locate(r.path, loc, False),
                    "alias-collision",
                    f"alias '{key}' is also used by {kind} {named(list(owner_ids - {r.id}))}",
                    "error",
                    "mark it 'ambiguous: true' on every record that shares it, or remove it",
                )
            )
    return problems


def _source_problems(records: Sequence[RecordFacts], cited: set[str], locate: Locator) -> list[Problem]:
    problems: list[Problem] = []
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
