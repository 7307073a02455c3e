"""Every closed vocabulary and every id list a curator needs, with what each value means
(``irkb vocab``; the ``new`` template points here)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from .. import vocab
from ..errors import UsageError
from ..measures import OUTCOME_MEASURES

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

MEANINGS: dict[str, str] = {
    # rate kinds
    "observed": "A rate observed in a study, registry or audit.",
    "threshold": "A quality threshold set by a society or audit standard (complications: at most; success: at least).",
    "upper-bound": "An 'as high as' or 'up to' figure: the largest value reported, not a typical one.",
    # per
    "patient": "The denominator counts patients.",
    "procedure": "The denominator counts procedures (sessions).",
    "device": "The denominator counts devices (filters, stents, catheters).",
    "lesion": "The denominator counts lesions (tumours, nodules).",
    "vessel": "The denominator counts vessels treated.",
    "limb": "The denominator counts limbs (legs).",
    "study": "A range across studies, or a pooled estimate whose unit the source does not state.",
    "other": "Another unit, named in the note.",
    # roles and phases
    "primary": "The standard guidance of the procedure.",
    "adjunct": "Supports the primary guidance; part of the standard way.",
    "alternative": "Another way to guide it, not the standard one.",
    "planning": "Before the intervention: seeing the target and the way in.",
    "targeting": "Bringing the device to the target.",
    "monitoring": "Watching the effect while treating.",
    "control": "Checking the result at the end.",
    # speed
    "live": "A moving picture while the operator works (ultrasound, fluoroscopy).",
    "near-live": "Images a few seconds apart (CT fluoroscopy).",
    "step-by-step": "A new scan after each move (CT, cone-beam CT).",
    "slow": "Minutes per image set (MRI).",
    # intervals
    "range": "low-high is the range across studies or patients.",
    "ci95": "low-high is a 95% confidence interval.",
    "iqr": "low-high is an interquartile range.",
    # severity scales
    "sir-2017": "SIR adverse-event classification (2017): mild, moderate, severe, life-threatening, death.",
    "sir-legacy": "Older SIR classification: minor (A-B) and major (C-F) complications.",
    "cirse-2017": "CIRSE classification (2017): grades 1-6.",
    "unspecified": "The source names no scale: any, minor, major, severe or fatal as it says.",
}

CLOSED: dict[str, type[StrEnum]] = {
    "categories": vocab.Category,
    "systems": vocab.BodySystem,
    "purposes": vocab.Purpose,
    "roles": vocab.Role,
    "phases": vocab.Phase,
    "speeds": vocab.Speed,
    "techniques": vocab.Technique,
    "anaesthesia": vocab.Anaesthesia,
    "settings": vocab.Setting,
    "alias-kinds": vocab.AliasKind,
    "rate-kinds": vocab.RateKind,
    "per": vocab.Per,
    "intervals": vocab.Interval,
    "severity-scales": vocab.SeverityScale,
    "source-kinds": vocab.SourceKind,
    "route-kinds": vocab.RouteKind,
    "units": vocab.Unit,
    "complication-groups": vocab.ComplicationGroup,
}
"""Name -> closed vocabulary (an enum of the models)."""

RECORDS = {"modalities": "modality", "access-routes": "access-route", "complications": "complication", "procedures": "procedure", "sources": "source"}
"""Name -> record kind whose ids are a vocabulary of their own."""


def _grades() -> list[tuple[str, str]]:
    return [(f"{scale}: {grade}", MEANINGS.get(scale, "")) for scale, grades in vocab.SEVERITY_GRADES.items() for grade in grades]


def _measures() -> list[tuple[str, str]]:
    return list(OUTCOME_MEASURES.items())


OTHER: dict[str, tuple[str, Callable[[], list[tuple[str, str]]]]] = {
    "severity-grades": ("The grades each severity scale allows (severity: is checked against severity_scale:).", _grades),
    "measures": ("Outcome measures (outcomes[].measure), optionally with a time point such as -30d, -12m, -5y.", _measures),
}


def names(kb: KnowledgeBase | None) -> list[tuple[str, str, int]]:
    """(name, description, how many values) of every vocabulary; id lists need a knowledge base."""
    out = [(name, (enum.__doc__ or "").strip(), len(enum)) for name, enum in CLOSED.items()]
    out += [(name, description, len(get())) for name, (description, get) in OTHER.items()]
    if kb is not None:
        out += [(name, f"Ids of the {name.replace('-', ' ')} records.", kb.catalog.count(kind)) for name, kind in RECORDS.items()]
    return sorted(out)


def entries(kb: KnowledgeBase | None, name: str) -> list[tuple[str, str]]:
    """(value, description) of one vocabulary; an unknown name raises ``UsageError`` with the names."""
    if name in CLOSED:
        return [(m.value, MEANINGS.get(m.value, "")) for m in CLOSED[name]]
    if name in OTHER:
        return OTHER[name][1]()
    if name in RECORDS and kb is not None:
        kind = RECORDS[name]
        if kind == "complication":
            return [(r[0], f"{r[1]}: {r[2] or ''}".rstrip(": ")) for r in kb.catalog.execute("SELECT id, name, definition FROM complications ORDER BY id")]
        return sorted(kb.names(kind).items())
    import difflib

    every = sorted([*CLOSED, *OTHER, *RECORDS])
    close = difflib.get_close_matches(name, every, n=3)
    raise UsageError(f"no vocabulary '{name}'" + (f"; did you mean: {', '.join(close)}?" if close else "") + f" (vocabularies: {', '.join(every)})")


def needs_kb(name: str | None) -> bool:
    """Whether listing ``name`` (None: every vocabulary) reads the knowledge base."""
    return name is None or name in RECORDS
