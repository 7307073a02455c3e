"""Checks across records, over the catalog's documents: ids unique, references resolve, aliases
unique, sources used, DOIs not duplicated, review dates sane.

Every check is bounded for hostile input: did-you-mean suggestions are computed once per distinct
missing id, and a message names at most a few of the records it concerns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
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


def _documents(catalog: Catalog) -> Iterator[tuple[str, str, str, str, str | None, str]]:
    """(kind, id, path, last reviewed, DOI, references JSON) of every valid file (duplicates
    included), a page at a time: memory stays flat however many there are. The two fields are kept
    beside each document when it is stored, so no document is parsed."""
    last = 0
    while True:
        rows = catalog.execute(
            "SELECT d.rowid, d.kind, d.id, d.path, d.last_reviewed, d.doi, f.refs"
            " FROM documents d JOIN files f ON f.path = d.path WHERE d.rowid > ? ORDER BY d.rowid LIMIT 500",
            (last,),
        )
        if not rows:
            return
        for row in rows:
            last = row[0]
            yield row[1:]


def named(ids: Sequence[str]) -> str:
    """'a, b, c' — or the first few and how many more."""
    ids = sorted(ids)
    shown = ", ".join(ids[:LISTED])
    return shown if len(ids) <= LISTED else f"{shown} and {len(ids) - LISTED} more"


def check(catalog: Catalog, locate: Locator, suggest: Callable[[str, str], list[str]], today: dt.date) -> list[Problem]:
    """Every cross-record problem in the catalog (each located with ``locate``).

    One pass over the documents, none of them kept; what must be compared across records is read
    from the catalog's own tables (claimed ids from ``files``, names and aliases from ``keys``).
    """
    # A record whose own file has an error still exists for the records that refer to it: its
    # problems are reported on its file, not cascaded as "no source ..." on every record citing it.
    ids: dict[str, set[str]] = defaultdict(set)
    for kind, rid, path in catalog.execute("SELECT kind, record_id, path FROM files"):
        ids[kind].add(rid or path.rsplit("/", 1)[-1].removesuffix(".yaml"))
    problems, claimed_twice = _duplicate_ids(catalog, locate)
    cited: set[str] = set()
    hints: dict[tuple[str, str], str] = {}
    sources: list[tuple[str, str, str | None]] = []  # (id, path, DOI)
    unpublished: list[tuple[str, str, str, str, bool, Loc]] = []  # names and aliases the keys table lacks
    for kind, rid, path, last_reviewed, doi, refs in _documents(catalog):
        for target_kind, targets in jsonio.loads(refs).items():  # target -> where each reference to it stands
            known = ids[target_kind]
            if target_kind == "source":
                cited.update(targets)
            if target_kind == kind and rid in targets:
                problems += [
                    Problem(path, *locate(path, loc, False), "self-reference", f"{kind} '{rid}' refers to itself", "warning")
                    for loc in targets[rid]
                    if loc and loc[0] in ("related", "family")
                ]
            if known.issuperset(targets):
                continue
            for target in [t for t in targets if t not in known]:
                hint = hints.get((target, target_kind))
                if hint is None:  # once per distinct missing id: a file can hold 100,000 of the same one
                    found = suggest(target, target_kind)
                    hint = "did you mean " + " or ".join(f"'{s}'" for s in found) + "?" if found else f"add data/{folder(target_kind)}/{target}.yaml"
                    hints[(target, target_kind)] = hint
                problems += [
                    Problem(path, *locate(path, loc, False), "unknown-reference", f"{dotted(tuple(loc))}: no {target_kind} with id '{target}'", "error", hint)
                    for loc in targets[target]
                ]
        problems += _review_date(path, last_reviewed, locate, today)
        if kind == "source":
            sources.append((rid, path, doi))
        if (kind, rid) in claimed_twice:  # valid, but published by neither file: its keys are not in the table
            doc = jsonio.loads(catalog.execute("SELECT json FROM documents WHERE path = ?", (path,))[0][0])
            unpublished += [(kind, rid, path, key, ambiguous, tuple(loc)) for key, ambiguous, loc, _ in lookup_keys(doc)]
    problems += _alias_problems(catalog, unpublished, locate)
    problems += _source_problems(sources, cited, locate)
    return problems


def _duplicate_ids(catalog: Catalog, locate: Locator) -> tuple[list[Problem], set[tuple[str, str]]]:
    """Every file whose id another file claims too (valid or not): neither record is served.
    Also the (kind, id) so claimed."""
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
    return problems, {key for key, same in by_id.items() if len(same) > 1}


def _review_date(path: str, last_reviewed: str, locate: Locator, today: dt.date) -> list[Problem]:
    reviewed = dt.date.fromisoformat(last_reviewed)
    if reviewed > today:
        return [
            Problem(
                path,
                *locate(path, ["last_reviewed"], False),
                "review-date-in-future",
                f"last_reviewed {reviewed} is in the future",
                "error",
                f"use today's date ({today}) or earlier",
            )
        ]
    if (today - reviewed).days > STALE_AFTER_DAYS:
        return [
            Problem(
                path,
                *locate(path, ["last_reviewed"], False),
                "review-stale",
                f"last reviewed {reviewed}, more than three years ago",
                "warning",
                "check the record against its sources and update last_reviewed",
            )
        ]
    return []


def _alias_problems(catalog: Catalog, unpublished: list[tuple[str, str, str, str, bool, Loc]], locate: Locator) -> list[Problem]:
    """An alias that is another record's id, name or alias (unless marked ambiguous)."""
    owners: dict[tuple[str, str], list[tuple[str, str, bool, Loc]]] = defaultdict(list)  # (kind, key) -> (id, path, ambiguous, loc)
    for kind, rid, path, key, ambiguous, loc in unpublished:
        owners[(kind, key)].append((rid, path, ambiguous, loc))
    columns, owner = "k.kind, k.key, k.id, f.path, k.ambiguous, k.loc", "JOIN files f ON f.record_id = k.id AND f.kind = k.kind"
    rows = catalog.execute(  # the keys of several records: one pass over the covering index on (key, kind, id)
        "WITH shared AS MATERIALIZED (SELECT kind, key FROM keys GROUP BY key, kind HAVING count(DISTINCT id) > 1)"
        f" SELECT {columns} FROM shared s JOIN keys k ON k.key = s.key AND k.kind = s.kind {owner}"
    )
    for kind, key in sorted(set(owners)):  # keys of records claimed twice, against the published ones
        rows += catalog.execute(f"SELECT {columns} FROM keys k {owner} WHERE k.key = ? AND k.kind = ?", (key, kind))
    for kind, key, rid, path, ambiguous, loc in sorted(set(rows)):
        owners[(kind, key)].append((rid, path, bool(ambiguous), tuple(jsonio.loads(loc))))
    problems: list[Problem] = []
    for (kind, key), entries in owners.items():
        owner_ids = {e[0] for e in entries}
        if len(owner_ids) < 2:
            continue
        for rid, path, ambiguous, loc in entries:
            if ambiguous or not loc or loc[0] != "aliases":
                continue
            problems.append(
                Problem(
                    path,
                    *locate(path, loc, False),
                    "alias-collision",
                    f"alias '{key}' is also used by {kind} {named(list(owner_ids - {rid}))}",
                    "error",
                    "mark it 'ambiguous: true' on every record that shares it, or remove it",
                )
            )
    return problems


def _source_problems(sources: list[tuple[str, str, str | None]], cited: set[str], locate: Locator) -> list[Problem]:
    problems: list[Problem] = []
    by_doi: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rid, path, doi in sources:
        if doi:
            by_doi[doi.lower()].append((rid, path))
        if rid not in cited:
            problems.append(
                Problem(
                    path,
                    *locate(path, ["id"], False),
                    "unused-source",
                    f"source '{rid}' is not cited by any record",
                    "warning",
                    "cite it from a record's sources or figures, or remove it",
                )
            )
    for doi, same in by_doi.items():
        first = same[0][0]
        for _, path in same[1:]:
            problems.append(
                Problem(
                    path,
                    *locate(path, ["doi"], False),
                    "duplicate-doi",
                    f"DOI {doi} is also the DOI of source '{first}'",
                    "warning",
                    f"cite '{first}' instead and remove this record",
                )
            )
    return problems
