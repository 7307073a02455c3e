"""A record as a person reads it, built once from its document and laid out by every human format.

``record_view`` turns a record into a header and sections of items and figures; ``rich`` draws it
on a terminal, ``plain`` as grep-able lines for a pipe, and Markdown as a document. Because all
three lay out the same ``RecordView``, what one shows the others show too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..kb import display_name
from .citation import links, vancouver
from .figures import FigureLine, grouped, measure_text

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

DISCLAIMER = "Educational reference only; not clinical decision support. Check figures against the cited sources."


@dataclass
class Item:
    """One line of a section: a bullet, a 'label: text' field, or a labelled entry with detail lines."""

    text: str
    label: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""  # the source a cited note gives


@dataclass
class Section:
    """A titled part of a record: items, or figures grouped by complication or measure."""

    key: str  # stable name, first column of plain output: 'guidance', 'complication', 'pearl'
    title: str
    items: list[Item] = field(default_factory=list)
    figures: list[tuple[str, list[FigureLine]]] = field(default_factory=list)


@dataclass
class RecordView:
    """Everything ``show`` prints of one record."""

    kind: str
    id: str
    name: str
    aliases: list[str]
    facts: str
    summary: str
    sections: list[Section]
    footer: str


class Lookups:
    """What a record's view needs from the rest of the knowledge base, read once."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        rows = kb.catalog.execute("SELECT id, kind, year, title FROM sources")
        self.source_kinds = {r[0]: r[1] for r in rows}
        self.source_info = {r[0]: (r[1], r[2], r[3]) for r in rows}
        self.modalities = {r[0]: (r[1], bool(r[2])) for r in kb.catalog.execute("SELECT id, speed, ionising_radiation FROM modalities")}
        self.complication_names = kb.names("complication")


def _notes(items: list[Any]) -> list[Item]:
    out = []
    for item in items or []:
        if isinstance(item, str):
            out.append(Item(item))
        else:
            out.append(Item(item["text"], source=item.get("source") or ""))
    return out


def _bullets(doc: dict[str, Any], name: str, key: str, title: str) -> list[Section]:
    items = _notes(doc.get(name) or [])
    return [Section(key, title, items)] if items else []


def _measures(doc: dict[str, Any], name: str, title: str, look: Lookups) -> list[Section]:
    items = []
    for m in doc.get(name) or []:
        details = [("in", m.get("population") or ""), ("note", m.get("note") or "")]
        source = m.get("source") or ""
        if source:
            kind = look.source_kinds.get(source)
            details.append(("source", source + (f" ({kind})" if kind else "") + (f", {m['locator']}" if m.get("locator") else "")))
        items.append(Item(measure_text(m), m.get("label") or "", [(k, v) for k, v in details if v]))
    return [Section("figure", title, items)] if items else []


def _figures(doc: dict[str, Any], name: str, look: Lookups) -> list[Section]:
    figures = doc.get(name) or []
    if not figures:
        return []
    if name == "complications":
        labelled = [(look.complication_names.get(f["complication"], f["complication"]), f) for f in figures]
        return [Section("complication", "Complications", figures=grouped(labelled, look.source_kinds))]
    return [Section("outcome", "Outcomes", figures=grouped(((f["measure"], f) for f in figures), look.source_kinds))]


def _procedure(doc: dict[str, Any], look: Lookups) -> tuple[str, list[Section]]:
    from ..query.filters import is_live, uses_radiation

    flags = {m: {"speed": s, "ionising_radiation": r} for m, (s, r) in look.modalities.items()}
    pairs = [(g["modality"], g["role"]) for g in doc.get("guidance") or []]
    facts = " · ".join(
        [doc["category"], doc["system"], ", ".join(doc["purpose"])]
        + [f"live guidance: {'yes' if is_live(flags, pairs) else 'no'}", f"ionising radiation: {'yes' if uses_radiation(flags, pairs) else 'no'}"]
        + ([f"family: {doc['family']}"] if doc.get("family") else [])
    )
    sections: list[Section] = []
    guidance = []
    for g in doc.get("guidance") or []:
        speed, radiation = look.modalities.get(g["modality"], ("?", False))
        text = " · ".join(p for p in (g["role"], ", ".join(g.get("phases") or []), speed, "ionising" if radiation else "no radiation") if p)
        guidance.append(Item(text, g["modality"], [("use", g["note"])] if g.get("note") else []))
    if guidance:
        sections.append(Section("guidance", "Guidance", guidance))
    how = [
        Item(", ".join(doc.get(name) or []) if name != "confirmation" else doc.get(name) or "", label)
        for name, label in (
            ("access_routes", "access"),
            ("technique", "technique"),
            ("confirmation", "confirm position"),
            ("anaesthesia", "anaesthesia"),
            ("setting", "setting"),
        )
        if doc.get(name)
    ]
    if how:
        sections.append(Section("how", "How it is done", how))
    sections += _bullets(doc, "indications", "indication", "Indications") + _bullets(doc, "contraindications", "contraindication", "Contraindications")
    sections += _figures(doc, "outcomes", look) + _figures(doc, "complications", look) + _measures(doc, "key_figures", "Key figures", look)
    alternatives = [
        Item(a.get("comparison") or "", a.get("procedure") or a.get("name") or "", source=a.get("source") or "") for a in doc.get("alternatives") or []
    ]
    if alternatives:
        sections.append(Section("alternative", "Alternatives", alternatives))
    sections += (
        _bullets(doc, "follow_up", "follow-up", "Follow-up") + _bullets(doc, "pearls", "pearl", "Pearls") + _bullets(doc, "pitfalls", "pitfall", "Pitfalls")
    )
    members = [r[0] for r in look.kb.catalog.execute("SELECT id FROM procedures WHERE family = ? AND id != ? ORDER BY id", (doc["id"], doc["id"]))]
    links_ = [Item(", ".join(ids), label) for label, ids in (("members", members), ("related", doc.get("related") or [])) if ids]
    if links_:
        sections.append(Section("related", "Family and related", links_))
    return facts, sections


def _used_by(look: Lookups, sql: str, rid: str, key: str, title: str) -> list[Section]:
    ids = [r[0] for r in look.kb.catalog.execute(sql, (rid,))]
    return [Section(key, f"{title} ({len(ids)})", [Item(", ".join(ids))])] if ids else []


def _other(kind: str, doc: dict[str, Any], look: Lookups) -> tuple[str, list[Section]]:
    rid = doc["id"]
    if kind == "modality":
        facts = f"speed: {doc['speed']} · ionising radiation: {'yes' if doc['ionising_radiation'] else 'no'} · bedside: {'yes' if doc['bedside'] else 'no'}"
        sections = []
        for name in ("sees_best", "blind_spots", "classic_uses", "special_kit", "advantages", "drawbacks"):
            sections += _bullets(doc, name, name.replace("_", "-"), name.replace("_", " ").capitalize())
        sections += _measures(doc, "key_figures", "Key figures", look)
        sections += _bullets(doc, "pearls", "pearl", "Pearls") + _bullets(doc, "pitfalls", "pitfall", "Pitfalls")
        sections += _used_by(look, "SELECT DISTINCT procedure_id FROM procedure_modalities WHERE modality_id = ? ORDER BY 1", rid, "used-by", "Guides")
        return facts, sections
    if kind == "access-route":
        sections = _bullets(doc, "haemostasis", "haemostasis", "Haemostasis")
        sections += _bullets(doc, "advantages", "advantage", "Advantages") + _bullets(doc, "drawbacks", "drawback", "Drawbacks")
        sections += _measures(doc, "sheath_size", "Sheath and device size", look) + _measures(doc, "time_to_ambulation", "Time to ambulation", look)
        sections += _figures(doc, "complications", look) + _measures(doc, "key_figures", "Key figures", look)
        sections += _bullets(doc, "pearls", "pearl", "Pearls") + _bullets(doc, "pitfalls", "pitfall", "Pitfalls")
        sections += _used_by(look, "SELECT procedure_id FROM procedure_access_routes WHERE access_route_id = ? ORDER BY 1", rid, "used-by", "Used by")
        return f"{doc['kind']} access", sections
    if kind == "complication":
        sections = _measures(doc, "key_figures", "Key figures", look)
        sections += _used_by(
            look,
            "SELECT DISTINCT coalesce(procedure_id, access_route_id) FROM complication_figures WHERE complication_id = ? ORDER BY 1",
            rid,
            "figures-in",
            "Figures in",
        )
        return f"group: {doc.get('group')}", sections
    facts = f"{doc['kind']} · {doc.get('year') or 'n.d.'}"
    reference = [Item(vancouver(doc), "cite")] + [Item(url, label) for label, url in links(doc)]
    reference += [Item(str(doc[name]), name) for name in ("organisation", "accessed", "note") if doc.get(name)]
    sections = [Section("reference", "Reference", reference)]
    sections += _used_by(look, "SELECT DISTINCT record_id FROM record_sources WHERE source_id = ? ORDER BY 1", rid, "cited-by", "Cited by")
    return facts, sections


def _sources(doc: dict[str, Any], look: Lookups) -> list[Section]:
    items = []
    for sid in doc.get("sources") or []:
        kind, year, title = look.source_info.get(sid, ("", None, ""))
        meta = ", ".join(str(p) for p in (kind, year) if p)
        items.append(Item(f"[{meta}] {title}" if meta else title or "(not in the knowledge base)", sid))
    return [Section("source", "Sources", items)] if items else []


def record_view(kb: KnowledgeBase, kind: str, doc: dict[str, Any], look: Lookups | None = None) -> RecordView:
    """The view of one record document."""
    look = look or Lookups(kb)
    facts, sections = _procedure(doc, look) if kind == "procedure" else _other(kind, doc, look)
    if kind != "source":
        sections += _sources(doc, look)
    summary = doc.get("summary") or doc.get("definition") or ""
    aliases = [a["text"] for a in doc.get("aliases") or []]
    return RecordView(kind, doc["id"], display_name(doc), aliases, facts, summary, sections, f"last reviewed {doc['last_reviewed']} · {DISCLAIMER}")
