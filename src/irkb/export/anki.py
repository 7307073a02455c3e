"""``irkb export -f anki -o irkb.apkg``: a deck a trainee can study, each card citing its source.

Cards are made from what the knowledge base already says (never written anew):

- **pearl / pitfall**: "A pearl of <procedure>?" -> the pearl, with its source;
- **threshold**: "Society threshold: <complication> after <procedure>?" -> the threshold, its
  population and source;
- **guidance**: "How is <procedure> guided, and why?" -> the standard guidance with what each
  modality is used for;
- **abbreviation**: "<ABBR>?" -> the record it stands for.

Every note has a stable id (a hash of the deck, the record and what the card is about), so
importing a newer release updates the cards instead of adding duplicates; the package is built
with the data's own timestamp (``SOURCE_DATE_EPOCH`` honoured), so the same data gives the same file.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator
from pathlib import Path

from .snapshot import DISCLAIMER, Progress, Snapshot, ticker

DECK_ID = 1_733_300_001  # fixed: a new release updates the same deck
MODEL_ID = 1_733_300_002
DECK_NAME = "irkb — image-guided procedures"


def _stable_id(*parts: str) -> str:
    return hashlib.sha256("\0".join(("irkb", *parts)).encode("utf-8")).hexdigest()[:20]


def cards(snap: Snapshot) -> Iterator[tuple[str, str, list[str], str, list[str]]]:
    """(stable id, front, back lines, source, tags) of every card, in a fixed order."""
    from ..view.figures import cited, figure_line

    sources = {d["id"]: d["kind"] for d in snap.records("source")}
    modalities = {d["id"]: d for d in snap.records("modality")}
    complications = {d["id"]: d["name"] for d in snap.records("complication")}
    for kind in ("procedure", "modality", "access-route"):
        for doc in snap.records(kind):  # one at a time
            name, rid = doc["name"], doc["id"]
            for field, label in (("pearls", "A pearl of"), ("pitfalls", "A pitfall of")):
                for item in doc.get(field) or []:
                    text, source = (item, None) if isinstance(item, str) else (item["text"], item.get("source"))
                    yield _stable_id(rid, field, text), f"{label} {name}?", [text], cited(source, sources), [kind, field]
            thresholds = [(f, complications.get(f["complication"], f["complication"]), "after") for f in doc.get("complications") or []]
            thresholds += [(f, f["measure"], "of") for f in doc.get("outcomes") or []]
            for figure, label, joint in thresholds:
                if figure.get("rate_kind") != "threshold":
                    continue
                line = figure_line(figure, label, sources)
                back = [line.rate + (f" ({line.severity})" if line.severity else ""), line.population] + ([line.counts] if line.counts else [])
                what = figure.get("complication") or figure["measure"]
                yield _stable_id(rid, "threshold", what, line.rate), f"Society threshold: {line.label} {joint} {name}?", back, line.source, [kind, "threshold"]
            standard = [g for g in doc.get("guidance") or [] if g["role"] in ("primary", "adjunct")]
            if standard:
                back = [
                    f"{modalities.get(g['modality'], {}).get('name', g['modality'])} ({g['role']})" + (f": {g['note']}" if g.get("note") else "")
                    for g in standard
                ]
                first = (doc.get("sources") or [None])[0]
                yield _stable_id(rid, "guidance"), f"How is {name} guided, and why?", back, cited(first, sources), [kind, "guidance"]
            for alias in doc.get("aliases") or []:
                if alias.get("kind") == "abbreviation" and not alias.get("ambiguous"):
                    yield _stable_id(rid, "abbreviation", alias["text"]), f"{alias['text']}?", [name], "", [kind, "abbreviation"]


def write_anki(snap: Snapshot, path: Path, *, progress: Progress | None = None) -> int:
    """Build the deck and write the package at ``path`` atomically; return how many cards it holds."""
    import datetime as dt

    import genanki

    from ..atomic import replacing

    model = genanki.Model(
        MODEL_ID,
        "irkb card",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Source"}],
        templates=[
            {
                "name": "Card",
                "qfmt": "{{Front}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Back}}<br><br><small>Source: {{Source}}</small><br><small>" + html.escape(DISCLAIMER) + "</small>",
            }
        ],
    )
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    made = list(cards(snap))
    tick = ticker(len(made), progress)
    for guid, front, back, source, tags in made:
        fields = [html.escape(front), "<br>".join(html.escape(line) for line in back if line), html.escape(source)]
        deck.add_note(genanki.Note(model=model, fields=fields, guid=guid, tags=[t.replace(" ", "_") for t in tags]))
        tick()
    moment = dt.datetime.strptime(snap.generated_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp()
    with replacing(Path(path)) as tmp:
        genanki.Package(deck).write_to_file(str(tmp), timestamp=moment)
    return len(made)
