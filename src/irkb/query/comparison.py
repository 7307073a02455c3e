"""Records of one kind side by side: which fields differ (order aside), and their figures lined up
by complication and by outcome measure across the records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..model import Record

Matrix = dict[str, dict[str, list[dict[str, Any]]]]
"""complication or measure id -> record id -> that record's figures for it (in record order)."""


@dataclass
class Comparison:
    """Records of one kind side by side, the fields whose values differ, and their figures by complication and measure."""

    kind: str
    docs: list[dict[str, Any]]
    differing_fields: list[str] = field(default_factory=list)
    complications: Matrix = field(default_factory=dict)
    outcomes: Matrix = field(default_factory=dict)
    kb: KnowledgeBase | None = None

    @property
    def records(self) -> list[Record]:
        """The compared records as models."""
        assert self.kb is not None
        return [self.kb.model(self.kind, d["id"]) for d in self.docs]

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: ``{kind, records, differing_fields, complications, outcomes}``."""
        return {
            "kind": self.kind,
            "records": self.docs,
            "differing_fields": self.differing_fields,
            "complications": self.complications,
            "outcomes": self.outcomes,
        }


def _canonical(value: Any) -> Any:
    """A value with the order of its lists set aside: two lists with the same items compare equal."""
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _matrix(docs: Sequence[dict[str, Any]], field_name: str, key: str) -> Matrix:
    out: Matrix = {}
    for doc in docs:
        for figure in doc.get(field_name) or []:
            out.setdefault(figure[key], {d["id"]: [] for d in docs})[doc["id"]].append(figure)
    return dict(sorted(out.items()))


def compare(kb: KnowledgeBase, queries: Sequence[str], kind: str | None = None) -> Comparison:
    """Resolve each query and compare the records; they must all be of one kind, and differ."""
    if len(queries) < 2:
        raise UsageError("compare needs at least two records")
    resolved = [kb.resolve(q, kind) for q in queries]
    kinds = {k for k, _ in resolved}
    if len(kinds) > 1:
        raise UsageError("compare needs records of one kind; got " + ", ".join(f"{rid} ({k})" for k, rid in resolved))
    if len({rid for _, rid in resolved}) < len(resolved):
        raise UsageError("compare needs different records; " + ", ".join(queries) + " name the same one more than once")
    the_kind = kinds.pop()
    docs = [kb.doc(k, rid) for k, rid in resolved]
    differing = [name for name in docs[0] if name != "id" and any(_canonical(d[name]) != _canonical(docs[0][name]) for d in docs[1:])]
    return Comparison(the_kind, docs, differing, _matrix(docs, "complications", "complication"), _matrix(docs, "outcomes", "measure"), kb)
