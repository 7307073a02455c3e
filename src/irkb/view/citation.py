"""A source as a citation: Vancouver style (what ``irkb show SOURCE`` prints, ready to paste), and
its links (DOI, PubMed, the web page)."""

from __future__ import annotations

from typing import Any


def _authors(authors: list[str]) -> str:
    """Vancouver authors: up to six, then 'et al.' (an 'et al.' already in the record is kept once)."""
    names = [a for a in authors if a.strip().rstrip(".").lower() != "et al"]
    more = len(names) > 6 or len(names) < len(authors)
    shown = ", ".join(names[:6])
    return shown + (", et al." if more else ".") if shown else ""


def vancouver(doc: dict[str, Any]) -> str:
    """'Lewis S, Patel U. Major complications after percutaneous nephrostomy. Clin Radiol. 2004;59(2):171-9. doi:...'"""
    parts = []
    authors = _authors(doc.get("authors") or [])
    if authors:
        parts.append(authors)
    elif doc.get("organisation"):
        parts.append(str(doc["organisation"]).rstrip(".") + ".")
    title = str(doc["title"]).rstrip(".")
    parts.append(title + ("" if title.endswith(("?", "!")) else "."))
    venue = doc.get("journal") or (doc.get("organisation") if authors else None)
    year = doc.get("year")
    citation = doc.get("citation")
    if venue:
        tail = str(venue).rstrip(".")
        if year:
            tail += f". {year}"
            if citation:
                tail += f";{citation}" if not str(citation).startswith(str(year)) else f"; {citation}"
        parts.append(tail + ".")
    elif year:
        parts.append(f"{year}.")
    if doc.get("doi"):
        parts.append(f"doi:{doc['doi']}")
    if doc.get("pmid"):
        parts.append(f"PMID: {doc['pmid']}.")
    if not doc.get("doi") and not doc.get("pmid") and doc.get("url"):
        accessed = f" (accessed {doc['accessed']})" if doc.get("accessed") else ""
        parts.append(f"Available from: {doc['url']}{accessed}")
    return " ".join(parts)


def links(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, address) of every link that reaches the source in one click."""
    out = []
    if doc.get("doi"):
        out.append(("doi", f"https://doi.org/{doc['doi']}"))
    if doc.get("pmid"):
        out.append(("pubmed", f"https://pubmed.ncbi.nlm.nih.gov/{doc['pmid']}/"))
    if doc.get("url"):
        out.append(("url", str(doc["url"])))
    return out
