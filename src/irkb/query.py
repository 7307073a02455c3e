"""Pure queries over a knowledge base: filter, search, compare, complication figures, stats.

Nothing here prints or knows about the CLI; every function takes a ``KnowledgeBase`` and returns
models or plain data, so scripts and notebooks use it directly::

    import irkb
    kb = irkb.load()
    ct_not_live = irkb.query.filter_procedures(kb, modality=["CT"], live=False)
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .integrity import STALE_AFTER_DAYS
from .kb import KnowledgeBase
from .vocab import Role

if TYPE_CHECKING:
    from .models import Procedure, Record

STANDARD_ROLES = ("primary", "adjunct")


def _resolve_all(kb: KnowledgeBase, values: Iterable[str], kind: str) -> list[str]:
    """Resolve filter values (ids, names or aliases) to ids; unknown ones raise NotFound."""
    return [kb.resolve(v, kind)[1] for v in values]


def _guidance_pairs(procedure: Any) -> list[tuple[str, str]]:
    if isinstance(procedure, dict):
        return [(g[0], g[1]) if isinstance(g, list) else (g["modality"], g["role"]) for g in procedure["guidance"]]
    return [(g.modality, g.role) for g in procedure.guidance]


def is_live(kb: KnowledgeBase, procedure: Any, flags: dict[str, dict[str, Any]] | None = None) -> bool:
    """Whether the standard guidance (primary or adjunct) includes a live modality (speed == live)."""
    flags = flags if flags is not None else kb.modality_flags()
    return any(flags.get(m, {}).get("speed") == "live" for m, role in _guidance_pairs(procedure) if role in STANDARD_ROLES)


def uses_radiation(kb: KnowledgeBase, procedure: Any, flags: dict[str, dict[str, Any]] | None = None) -> bool:
    """Whether the standard guidance includes a modality with ionising radiation."""
    flags = flags if flags is not None else kb.modality_flags()
    return any(flags.get(m, {}).get("ionising_radiation") for m, role in _guidance_pairs(procedure) if role in STANDARD_ROLES)


def select_procedures(
    kb: KnowledgeBase,
    *,
    modality: Sequence[str] = (),
    role: str | None = None,
    live: bool | None = None,
    radiation: bool | None = None,
    access: Sequence[str] = (),
    complication: Sequence[str] = (),
    category: str | None = None,
    system: str | None = None,
    purpose: str | None = None,
    family: str | None = None,
) -> list[str]:
    """Ids of the procedures matching every given filter, in id order (see ``filter_procedures``)."""
    facts = kb.catalog.facts()  # first: it overlaps with validating files changed since the last run
    modalities = _resolve_all(kb, modality, "modality")
    routes = _resolve_all(kb, access, "access-route")
    complications = _resolve_all(kb, complication, "complication")
    family_id = kb.resolve(family, "procedure")[1] if family else None
    role_value = Role(role).value if role else None
    flags = kb.modality_flags()
    out = []
    for p in facts:
        if category and p["category"] != category:
            continue
        if system and p["system"] != system:
            continue
        if purpose and purpose not in p["purpose"]:
            continue
        if family_id and p["family"] != family_id and p["id"] != family_id:
            continue
        guided = {m for m, r in p["guidance"] if role_value is None or r == role_value}
        if any(m not in guided for m in modalities):
            continue
        if live is not None and is_live(kb, p, flags) != live:
            continue
        if radiation is not None and uses_radiation(kb, p, flags) != radiation:
            continue
        if any(r not in p["access_routes"] for r in routes):
            continue
        if any(c not in p["complications"] for c in complications):
            continue
        out.append(p["id"])
    return out


def filter_procedures(kb: KnowledgeBase, **filters: Any) -> list[Procedure]:
    """Procedures matching every given filter, in id order.

    - ``modality``: each must appear in the guidance (any role, or ``role`` only); exact id after
      alias resolution, so ``ct`` does not match ``cbct``.
    - ``live`` / ``radiation``: over the standard guidance (roles primary and adjunct).
    - ``access`` / ``complication``: each must be listed by the procedure.
    - ``category`` / ``system`` / ``purpose`` / ``family``: equality (purpose: membership).
    """
    return [kb.procedures[i] for i in select_procedures(kb, **filters)]


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class Hit:
    """One search result."""

    kind: str
    id: str
    name: str
    score: float
    field: str


def search(kb: KnowledgeBase, text: str, kind: str | None = None, limit: int = 20, cutoff: float = 70.0) -> list[Hit]:
    """Ranked, typo-tolerant search over names, aliases, summaries and indications (rapidfuzz).

    Each record scores its best field: names and aliases with ``WRatio``, longer text with
    ``partial_ratio`` and a discount, so a match in a name outranks one in a summary. For a query
    of several words, the score is blended with how many of the words the record contains
    (each word matched exactly or within a typo), so "thyroid biopsy" prefers the thyroid
    biopsy over every other biopsy.
    """
    from rapidfuzz import fuzz, process

    from .vocab import normalise

    query = normalise(text)
    if not query:
        return []
    tokens = [t for t in query.split() if len(t) >= 2]
    rows = kb.catalog.search_rows(kind)
    best: dict[tuple[str, str], tuple[float, str]] = {}

    def offer(index: int, score: float) -> None:
        k, rid, field_name = rows[index][0], rows[index][1], rows[index][2]
        if score > best.get((k, rid), (0.0, ""))[0]:
            best[(k, rid)] = (score, field_name)

    name_rows = [i for i, r in enumerate(rows) if r[4]]
    text_rows = [i for i, r in enumerate(rows) if not r[4]]
    # names and aliases: WRatio, scored in one C loop; an exact name scores 100
    for _, score, j in process.extract(query, [rows[i][3] for i in name_rows], scorer=fuzz.WRatio, processor=None, score_cutoff=cutoff, limit=None):
        offer(name_rows[j], 100.0 if rows[name_rows[j]][3] == query else float(score))
    # longer text: a literal hit scores 90, a fuzzy partial hit 85% of its score
    fuzzy = []
    for i in text_rows:
        if query in rows[i][3]:
            offer(i, 90.0)
        else:
            fuzzy.append(i)
    if len(query) >= 4 and fuzzy:
        for _, score, j in process.extract(
            query, [rows[i][3] for i in fuzzy], scorer=fuzz.partial_ratio, processor=None, score_cutoff=cutoff / 0.85, limit=None
        ):
            offer(fuzzy[j], 0.85 * float(score))
    if len(tokens) > 1:
        vocabulary: dict[tuple[str, str], set[str]] = {key: set() for key in best}
        for r in rows:
            words = vocabulary.get((r[0], r[1]))
            if words is not None:
                words.update(r[3].split())
        for key, (score, field_name) in best.items():
            found = 0.0
            for token in tokens:
                if token in vocabulary[key]:
                    found += 1.0
                elif len(token) >= 4:
                    match = process.extractOne(token, vocabulary[key], scorer=fuzz.ratio, score_cutoff=80)
                    found += match[1] / 100.0 if match else 0.0
            best[key] = (0.5 * score + 50.0 * found / len(tokens), field_name)
    order = {k: i for i, k in enumerate(("procedure", "modality", "access-route", "complication", "source"))}
    names = {k: kb.names(k) for k in order}
    hits = [Hit(k, rid, names[k].get(rid, rid), round(score, 1), name) for (k, rid), (score, name) in best.items()]
    hits.sort(key=lambda h: (-h.score, order[h.kind], h.id))
    return hits[:limit] if limit > 0 else hits


# --------------------------------------------------------------------------- complications


def complication_rows(
    kb: KnowledgeBase,
    *,
    procedure: Sequence[str] = (),
    complication: Sequence[str] = (),
    min_rate: float | None = None,
    rate_kind: str | None = None,
    sort: str = "procedure",
) -> list[dict[str, Any]]:
    """One row per complication figure across procedures, with the procedure id added.

    ``min_rate`` compares each figure's upper value (percent, else high); ``sort`` is
    ``procedure``, ``complication`` or ``rate`` (highest first).
    """
    from .serialise import rate_display, rate_upper

    procedures = set(_resolve_all(kb, procedure, "procedure"))
    complications = set(_resolve_all(kb, complication, "complication"))
    procedure_names = kb.names("procedure")
    complication_names = kb.names("complication")
    source_kinds = {k: v["kind"] for k, v in kb.source_meta().items()}
    rows = []
    for pid, figure in kb.catalog.figures():
        if procedures and pid not in procedures:
            continue
        if complications and figure["complication"] not in complications:
            continue
        if rate_kind and figure["rate_kind"] != rate_kind:
            continue
        rate = figure["rate"]
        upper = rate_upper(rate)
        if min_rate is not None and upper < min_rate:
            continue
        rows.append(
            {
                "procedure": pid,
                "procedure_name": procedure_names.get(pid, pid),
                "complication": figure["complication"],
                "complication_name": complication_names.get(figure["complication"], figure["complication"]),
                "severity": figure.get("severity"),
                "severity_scale": figure.get("severity_scale"),
                "rate": rate,
                "rate_display": rate_display(rate),
                "rate_upper": upper,
                "rate_kind": figure["rate_kind"],
                "population": figure.get("population"),
                "source": figure.get("source"),
                "source_kind": source_kinds.get(figure.get("source") or ""),
                "locator": figure.get("locator"),
            }
        )
    keys = {
        "procedure": lambda r: (r["procedure"], r["complication"], -r["rate_upper"]),
        "complication": lambda r: (r["complication"], -r["rate_upper"], r["procedure"]),
        "rate": lambda r: (-r["rate_upper"], r["procedure"], r["complication"]),
    }
    return sorted(rows, key=keys[sort])


# --------------------------------------------------------------------------- compare


@dataclass
class Comparison:
    """Records of one kind side by side, and the fields whose values differ."""

    kind: str
    docs: list[dict[str, Any]]
    differing_fields: list[str] = field(default_factory=list)
    kb: KnowledgeBase | None = None

    @property
    def records(self) -> list[Record]:
        """The compared records as models."""
        assert self.kb is not None
        return [self.kb.model(self.kind, d["id"]) for d in self.docs]

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: ``{kind, records, differing_fields}``."""
        return {"kind": self.kind, "records": self.docs, "differing_fields": self.differing_fields}


def compare(kb: KnowledgeBase, queries: Sequence[str], kind: str | None = None) -> Comparison:
    """Resolve each query and compare the records; they must all be of one kind."""
    from .errors import UsageError

    resolved = [kb.resolve(q, kind) for q in queries]
    kinds = {k for k, _ in resolved}
    if len(kinds) > 1:
        raise UsageError("compare needs records of one kind; got " + ", ".join(f"{rid} ({k})" for k, rid in resolved))
    the_kind = kinds.pop()
    docs = [kb.doc(k, rid) for k, rid in resolved]
    differing = [name for name in docs[0] if name != "id" and any(d[name] != docs[0][name] for d in docs[1:])]
    return Comparison(the_kind, docs, differing, kb)


# --------------------------------------------------------------------------- stats


def stats(kb: KnowledgeBase, today: dt.date | None = None) -> dict[str, Any]:
    """Counts by kind, category, system, purpose and modality, and coverage of the content."""
    today = today or dt.date.today()
    facts = kb.catalog.facts()
    by_modality: Counter[str] = Counter()
    by_primary: Counter[str] = Counter()
    for p in facts:
        for m in {m for m, _ in p["guidance"]}:
            by_modality[m] += 1
        for m in {m for m, r in p["guidance"] if r == "primary"}:
            by_primary[m] += 1
    kinds = ("procedure", "modality", "access-route", "complication", "source")
    stale = sorted(
        rid for k in kinds for rid, meta in kb.catalog.meta(k).items() if (today - dt.date.fromisoformat(meta["last_reviewed"])).days > STALE_AFTER_DAYS
    )
    problems = kb.problems
    errors = sum(p.level == "error" for p in problems)
    return {
        "counts": {k: kb.catalog.count(k) for k in kinds},
        "procedures_by_category": dict(sorted(Counter(p["category"] for p in facts).items())),
        "procedures_by_system": dict(sorted(Counter(p["system"] for p in facts).items())),
        "procedures_by_purpose": dict(sorted(Counter(x for p in facts for x in p["purpose"]).items())),
        "procedures_by_modality": dict(sorted(by_modality.items())),
        "procedures_by_primary_modality": dict(sorted(by_primary.items())),
        "sources_by_kind": dict(sorted(Counter(m["kind"] for m in kb.source_meta().values()).items())),
        "figures": {
            "complication_figures": sum(p["n_complications"] for p in facts),
            "outcome_figures": sum(p["n_outcomes"] for p in facts),
            "by_rate_kind": dict(sorted(Counter(k for p in facts for k in p["rate_kinds"]).items())),
        },
        "coverage": {
            "procedures_without_figures": sorted(p["id"] for p in facts if not p["n_complications"] and not p["n_outcomes"]),
            "procedures_without_pearls": sorted(p["id"] for p in facts if not p["has_pearls"]),
            "procedures_without_sources": sorted(p["id"] for p in facts if not p["has_sources"]),
            "reviewed_over_three_years_ago": stale,
        },
        "problems": {"errors": errors, "warnings": len(problems) - errors},
    }
