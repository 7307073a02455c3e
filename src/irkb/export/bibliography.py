"""The bibliography, for curators and writers: every source as BibTeX or as CSL-JSON.

Entries are keyed by the source's irkb id; fields come from the source record only (never
guessed): authors, title, journal or organisation, year, citation (volume(issue):pages), DOI,
PMID, URL, and the source's kind as a keyword so a reader can weigh it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

_BIBTEX_TYPE = {
    "textbook": "book",
    "guideline": "techreport",
    "consensus": "techreport",
    "white-paper": "techreport",
    "educational": "misc",
    "commercial": "misc",
}
_CSL_TYPE = {"textbook": "book", "guideline": "report", "consensus": "report", "white-paper": "report", "educational": "webpage", "commercial": "webpage"}
_CITATION = re.compile(r"^\s*(?P<volume>\d+)\s*(?:\((?P<issue>[^)]+)\))?\s*:\s*(?P<pages>[A-Za-z]?\d+(?:\s*[-–]\s*[A-Za-z]?\d+)?)")


def _parts(citation: str | None) -> dict[str, str]:
    """Volume, issue and pages of a 'vol(issue):pages' citation (as much as it holds)."""
    match = _CITATION.match(citation or "")
    return {k: v.replace("–", "-").replace(" ", "") for k, v in match.groupdict().items() if v} if match else {}


def _person(author: str) -> tuple[str, str]:
    """'Lewis S' -> ('Lewis', 'S'); 'et al.' and organisations stay whole."""
    words = author.strip().split()
    if len(words) >= 2 and words[-1].isupper() and len(words[-1]) <= 4:
        return " ".join(words[:-1]), " ".join(words[-1])
    return author.strip(), ""


def _authors(doc: dict[str, Any]) -> list[str]:
    return [a for a in doc.get("authors") or [] if a.strip().rstrip(".").lower() != "et al"]


def _bib_escape(text: str) -> str:
    """Text inside a BibTeX field: braces balanced, LaTeX specials escaped."""
    text = text.replace("\\", "\\textbackslash{}")
    for char in "&%$#_":
        text = text.replace(char, "\\" + char)
    return text.replace("{", "\\{").replace("}", "\\}").replace("~", "\\textasciitilde{}").replace("^", "\\textasciicircum{}")


def _field(name: str, value: str) -> str:
    """A BibTeX field's content: escaped; braced once more to keep its capitals when marked with \\0."""
    if name in ("url", "doi"):
        return value
    if value.startswith("\0"):
        return "{" + _bib_escape(value[1:]) + "}"
    return _bib_escape(value)


def bibtex(sources: Sequence[dict[str, Any]], tick: Callable[[], None] = lambda: None) -> str:
    """Every source as a BibTeX entry, keyed by its irkb id."""
    entries = []
    for doc in sources:
        tick()
        kind = _BIBTEX_TYPE.get(doc["kind"], "article")
        fields: list[tuple[str, str]] = []
        authors = _authors(doc)
        if authors:
            names = " and ".join(f"{last}, {first}" if first else last for last, first in map(_person, authors))
            if len(authors) < len(doc.get("authors") or []):
                names += " and others"
            fields.append(("author", names))
        elif doc.get("organisation"):
            fields.append(("author", "\0" + str(doc["organisation"])))  # \0: kept whole (braced)
        fields.append(("title", "\0" + str(doc["title"])))
        if doc.get("journal"):
            fields.append(("journal" if kind == "article" else "publisher", str(doc["journal"])))
        if doc.get("organisation") and kind != "article":
            fields.append(("institution", str(doc["organisation"])))
        if doc.get("year"):
            fields.append(("year", str(doc["year"])))
        fields += [(k, v) for k, v in _parts(doc.get("citation")).items()]
        for name in ("doi", "pmid", "url"):
            if doc.get(name):
                fields.append(("pmid" if name == "pmid" else name, str(doc[name])))
        fields.append(("keywords", str(doc["kind"])))
        body = ",\n".join(f"  {k} = {{{_field(k, v)}}}" for k, v in fields)
        entries.append(f"@{kind}{{{doc['id']},\n{body}\n}}\n")
    return "\n".join(entries)


def csl_json(sources: Sequence[dict[str, Any]], tick: Callable[[], None] = lambda: None) -> str:
    """Every source as a CSL-JSON item (what Zotero, Pandoc and citation processors read)."""
    items = []
    for doc in sources:
        tick()
        item: dict[str, Any] = {"id": doc["id"], "type": _CSL_TYPE.get(doc["kind"], "article-journal"), "title": doc["title"]}
        authors = _authors(doc)
        if authors:
            item["author"] = [{"family": last, "given": first} if first else {"literal": last} for last, first in map(_person, authors)]
        elif doc.get("organisation"):
            item["author"] = [{"literal": doc["organisation"]}]
        if doc.get("journal"):
            item["container-title"] = doc["journal"]
        if doc.get("organisation"):
            item["publisher"] = doc["organisation"]
        if doc.get("year"):
            item["issued"] = {"date-parts": [[doc["year"]]]}
        parts = _parts(doc.get("citation"))
        item.update({"volume": parts.get("volume"), "issue": parts.get("issue"), "page": parts.get("pages")})
        for name, key in (("doi", "DOI"), ("pmid", "PMID"), ("url", "URL")):
            if doc.get(name):
                item[key] = doc[name]
        if doc.get("accessed"):
            item["accessed"] = {"date-parts": [[int(x) for x in str(doc["accessed"]).split("-")]]}
        item["keyword"] = doc["kind"]
        items.append({k: v for k, v in item.items() if v is not None})
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
