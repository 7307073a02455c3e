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
from typing import Any

from .checks import STALE_AFTER_DAYS
from .kb import KnowledgeBase, display_name
from .models import Procedure, Record
from .vocab import Role


def _resolve_all(kb: KnowledgeBase, values: Iterable[str], kind: str) -> list[str]:
    """Resolve filter values (ids, names or aliases) to ids; unknown ones raise NotFound."""
    return [kb.resolve(v, kind)[1] for v in values]


def is_live(kb: KnowledgeBase, procedure: Procedure) -> bool:
    """Whether the procedure's standard guidance (primary or adjunct) includes a live modality."""
    return any((m := kb.modalities.get(g.modality)) is not None and m.speed == "live" for g in procedure.standard_guidance())


def uses_radiation(kb: KnowledgeBase, procedure: Procedure) -> bool:
    """Whether the procedure's standard guidance includes a modality with ionising radiation."""
    return any((m := kb.modalities.get(g.modality)) is not None and m.ionising_radiation for g in procedure.standard_guidance())


def filter_procedures(
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
) -> list[Procedure]:
    """Procedures matching every given filter, in id order.

    - ``modality``: each must appear in the guidance (any role, or ``role`` only); exact id after
      alias resolution, so ``ct`` does not match ``cbct``.
    - ``live`` / ``radiation``: over the standard guidance (roles primary and adjunct).
    - ``access`` / ``complication``: each must be listed by the procedure.
    - ``category`` / ``system`` / ``purpose`` / ``family``: equality (purpose: membership).
    """
    modalities = _resolve_all(kb, modality, "modality")
    routes = _resolve_all(kb, access, "access-route")
    complications = _resolve_all(kb, complication, "complication")
    family_id = kb.resolve(family, "procedure")[1] if family else None
    role_value = Role(role).value if role else None
    out = []
    for procedure in kb.procedures.values():
        if category and procedure.category != category:
            continue
        if system and procedure.system != system:
            continue
        if purpose and purpose not in procedure.purpose:
            continue
        if family_id and procedure.family != family_id and procedure.id != family_id:
            continue
        guided = {g.modality for g in procedure.guidance if role_value is None or g.role == role_value}
        if any(m not in guided for m in modalities):
            continue
        if live is not None and is_live(kb, procedure) != live:
            continue
        if radiation is not None and uses_radiation(kb, procedure) != radiation:
            continue
        if any(r not in procedure.access_routes for r in routes):
            continue
        listed = {c.complication for c in procedure.complications}
        if any(c not in listed for c in complications):
            continue
        out.append(procedure)
    return sorted(out, key=lambda p: p.id)


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class Hit:
    """One search result."""

    kind: str
    record: Record
    score: float
    field: str


_NAME_FIELDS = ("id", "name", "title", "aliases")
_TEXT_FIELDS = ("summary", "indications", "definition", "classic_uses", "sees_best", "note")


def _texts(record: Record) -> Iterable[tuple[str, str, bool]]:
    """(field, text, is_name) for every searchable string of a record."""
    yield "id", record.id, True
    yield "name", display_name(record), True
    for alias in record.aliases:
        yield "aliases", alias.text, True
    for name in _TEXT_FIELDS:
        value = getattr(record, name, None)
        if isinstance(value, str):
            yield name, value, False
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    yield name, item, False


def search(kb: KnowledgeBase, text: str, kind: str | None = None, limit: int = 20, cutoff: float = 70.0) -> list[Hit]:
    """Ranked, typo-tolerant search over names, aliases, summaries and indications (rapidfuzz).

    Names and aliases score with ``WRatio``; longer text scores with ``partial_ratio`` and a
    small discount, so a match in a name outranks the same match in a summary.
    """
    from rapidfuzz import fuzz, utils

    from .models import normalise

    query = normalise(text)
    if not query:
        return []
    best: dict[tuple[str, str], Hit] = {}
    kinds = [kind] if kind else list(kb.records)
    for k in kinds:
        for record in kb.records[k].values():
            top: tuple[float, str] = (0.0, "")
            for name, value, is_name in _texts(record):
                candidate = normalise(value)
                if not candidate:
                    continue
                if is_name:
                    score = 100.0 if candidate == query else fuzz.WRatio(query, candidate, processor=utils.default_process)
                elif query in candidate:
                    score = 90.0
                elif len(query) >= 4:
                    score = 0.85 * fuzz.partial_ratio(query, candidate, processor=utils.default_process)
                else:
                    score = 0.0
                if score > top[0]:
                    top = (score, name)
            if top[0] >= cutoff:
                best[(k, record.id)] = Hit(k, record, round(top[0], 1), top[1])
    order = {k: i for i, k in enumerate(kb.records)}
    hits = sorted(best.values(), key=lambda h: (-h.score, order[h.kind], h.record.id))
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
    procedures = set(_resolve_all(kb, procedure, "procedure"))
    complications = set(_resolve_all(kb, complication, "complication"))
    rows = []
    for p in kb.procedures.values():
        if procedures and p.id not in procedures:
            continue
        for figure in p.complications:
            if complications and figure.complication not in complications:
                continue
            if rate_kind and figure.rate_kind != rate_kind:
                continue
            upper = figure.rate.upper
            if min_rate is not None and upper < min_rate:
                continue
            source = kb.sources.get(figure.source or "")
            comp = kb.complications.get(figure.complication)
            rows.append(
                {
                    "procedure": p.id,
                    "procedure_name": p.name,
                    "complication": figure.complication,
                    "complication_name": comp.name if comp else figure.complication,
                    "severity": figure.severity,
                    "severity_scale": figure.severity_scale,
                    "rate": figure.rate.model_dump(mode="json"),
                    "rate_display": figure.rate.display(),
                    "rate_upper": upper,
                    "rate_kind": figure.rate_kind,
                    "population": figure.population,
                    "source": figure.source,
                    "source_kind": source.kind if source else None,
                    "locator": figure.locator,
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
    records: list[Record]
    differing_fields: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: ``{kind, records, differing_fields}``."""
        from .serialise import record_dict

        return {"kind": self.kind, "records": [record_dict(r) for r in self.records], "differing_fields": self.differing_fields}


def compare(kb: KnowledgeBase, queries: Sequence[str], kind: str | None = None) -> Comparison:
    """Resolve each query and compare the records; they must all be of one kind."""
    from .errors import UsageError
    from .serialise import record_dict

    resolved = [kb.resolve(q, kind) for q in queries]
    kinds = {k for k, _ in resolved}
    if len(kinds) > 1:
        raise UsageError("compare needs records of one kind; got " + ", ".join(f"{rid} ({k})" for k, rid in resolved))
    the_kind = kinds.pop()
    records = [kb.records[k][rid] for k, rid in resolved]
    dumps = [record_dict(r) for r in records]
    differing = [name for name in dumps[0] if name != "id" and any(d[name] != dumps[0][name] for d in dumps[1:])]
    return Comparison(the_kind, records, differing)


# --------------------------------------------------------------------------- stats


def stats(kb: KnowledgeBase, today: dt.date | None = None) -> dict[str, Any]:
    """Counts by kind, category, system, purpose and modality, and coverage of the content."""
    today = today or dt.date.today()
    procedures = list(kb.procedures.values())
    by_modality: Counter[str] = Counter()
    by_primary: Counter[str] = Counter()
    for p in procedures:
        for m in {g.modality for g in p.guidance}:
            by_modality[m] += 1
        for m in {g.modality for g in p.guidance if g.role == "primary"}:
            by_primary[m] += 1
    figures = [f for p in procedures for f in p.complications] + [o for p in procedures for o in p.outcomes]
    all_records = [r for records in kb.records.values() for r in records.values()]
    stale = sorted(r.id for r in all_records if (today - r.last_reviewed).days > STALE_AFTER_DAYS)
    return {
        "counts": {k: len(v) for k, v in kb.records.items()},
        "procedures_by_category": dict(sorted(Counter(p.category for p in procedures).items())),
        "procedures_by_system": dict(sorted(Counter(p.system for p in procedures).items())),
        "procedures_by_purpose": dict(sorted(Counter(x for p in procedures for x in p.purpose).items())),
        "procedures_by_modality": dict(sorted(by_modality.items())),
        "procedures_by_primary_modality": dict(sorted(by_primary.items())),
        "sources_by_kind": dict(sorted(Counter(s.kind for s in kb.sources.values()).items())),
        "figures": {
            "complication_figures": sum(len(p.complications) for p in procedures),
            "outcome_figures": sum(len(p.outcomes) for p in procedures),
            "by_rate_kind": dict(sorted(Counter(f.rate_kind for f in figures).items())),
        },
        "coverage": {
            "procedures_without_figures": sorted(p.id for p in procedures if not p.complications and not p.outcomes),
            "procedures_without_pearls": sorted(p.id for p in procedures if not p.pearls),
            "procedures_without_sources": sorted(p.id for p in procedures if not p.sources),
            "reviewed_over_three_years_ago": stale,
        },
        "problems": {"errors": len(kb.errors), "warnings": len(kb.problems) - len(kb.errors)},
    }
