"""What a valid record contributes to the indexes, as plain data (no pydantic needed to read it).

``compile_record`` turns one validated record into its canonical JSON document plus the small
rows every read command works from: lookup keys, procedure facts (what filters look at),
complication figure rows, search texts, and per-kind metadata. The same rows are built whether
the knowledge base is loaded straight from YAML or served from the compiled cache, so both give
the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .vocab import normalise

if TYPE_CHECKING:
    from .models import Record

TEXT_FIELDS = ("summary", "indications", "definition", "classic_uses", "sees_best", "note")


@dataclass
class Compiled:
    """One record's document and index rows."""

    kind: str
    id: str
    doc: dict[str, Any]
    name: str
    keys: list[tuple[str, bool, list[str | int]]] = field(default_factory=list)  # (normalised key, ambiguous, loc)
    texts: list[tuple[str, str, bool]] = field(default_factory=list)  # (field, text, is_name)
    facts: dict[str, Any] | None = None
    figures: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def display_name_of(doc: dict[str, Any]) -> str:
    """``name``, or a source's ``title``, or the id."""
    return str(doc.get("name") or doc.get("title") or doc["id"])


def compile_record(record: Record, dump: dict[str, Any] | None = None) -> Compiled:
    """Document and index rows of one valid record (``dump``: its JSON dump, if already made)."""
    from .serialise import record_dict

    doc = record_dict(record, dump=dump)
    return compile_doc(record.record_type, doc)


def compile_doc(kind: str, doc: dict[str, Any]) -> Compiled:
    """Index rows from a canonical record document."""
    name = display_name_of(doc)
    out = Compiled(kind, doc["id"], doc, name)
    out.keys.append((normalise(doc["id"]), False, ["id"]))
    out.keys.append((normalise(name), False, ["name" if "name" in doc else "title"]))
    for i, alias in enumerate(doc.get("aliases") or []):
        out.keys.append((normalise(alias["text"]), bool(alias.get("ambiguous")), ["aliases", i, "text"]))
    out.texts.append(("id", doc["id"], True))
    out.texts.append(("name", name, True))
    out.texts += [("aliases", a["text"], True) for a in doc.get("aliases") or []]
    for f in TEXT_FIELDS:
        value = doc.get(f)
        if isinstance(value, str):
            out.texts.append((f, value, False))
        elif isinstance(value, list):
            out.texts += [(f, v, False) for v in value if isinstance(v, str)]
    if kind == "procedure":
        out.facts = {
            "id": doc["id"],
            "name": name,
            "category": doc["category"],
            "system": doc["system"],
            "purpose": doc["purpose"],
            "family": doc.get("family"),
            "guidance": [[g["modality"], g["role"]] for g in doc.get("guidance") or []],
            "access_routes": doc.get("access_routes") or [],
            "complications": sorted({c["complication"] for c in doc.get("complications") or []}),
            "n_complications": len(doc.get("complications") or []),
            "n_outcomes": len(doc.get("outcomes") or []),
            "rate_kinds": [f["rate_kind"] for f in (doc.get("complications") or []) + (doc.get("outcomes") or [])],
            "has_pearls": bool(doc.get("pearls")),
            "has_sources": bool(doc.get("sources")),
            "last_reviewed": doc["last_reviewed"],
        }
        out.figures = [dict(f) for f in doc.get("complications") or []]
    elif kind == "modality":
        out.meta = {"speed": doc["speed"], "ionising_radiation": doc["ionising_radiation"]}
    elif kind == "source":
        out.meta = {"kind": doc["kind"], "year": doc.get("year"), "title": doc["title"], "doi": doc.get("doi")}
    elif kind == "complication":
        out.meta = {"group": doc.get("group")}
    else:
        out.meta = {"kind": doc.get("kind")}
    out.meta["last_reviewed"] = doc["last_reviewed"]
    return out
