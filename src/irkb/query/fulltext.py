"""Ranked, typo-tolerant search: SQLite's full-text index finds the candidates, rapidfuzz ranks them.

1. Each query word is matched against the index's vocabulary: itself, words it begins (``drain``
   -> ``drainage``), and close spellings (``gallblader`` -> ``gallbladder``); so cost grows with the
   matches, not with the size of the knowledge base.
2. A record is a candidate only when it contains every word of the query (in any field), ranked
   by the index (BM25, names weighted above summaries above the rest); the best few hundred go on.
3. Each candidate is scored 0-100 by rapidfuzz against its names and aliases, and by where the
   words stand in its longer text, discounted for words that only matched by a typo. Below
   ``CUTOFF`` a record is not a hit: a search with no close match returns nothing rather than a
   confident wrong answer. Each hit says which field matched and shows the text around the match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..index.compile import SEARCH_COLUMNS, SEPARATOR
from ..kinds import NAMES
from ..vocab import normalise

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

CUTOFF = 60.0
"""Least score (0-100) of a hit; documented in the README."""

CANDIDATES = 300  # records re-scored by rapidfuzz after the index has ranked them
KEY_SCORE = 85.0  # least rapidfuzz WRatio of a whole name or alias to the whole query
TYPO_SCORE = 80  # least rapidfuzz ratio for a word to stand for a query word it does not equal
STOPWORDS = frozenset({"a", "an", "and", "the", "of", "for", "in", "on", "to", "with", "by", "or", "via"})
_WEIGHTS = {"names": 10.0, "summary": 3.0, "indications": 2.0, "contraindications": 1.0, "pearls": 1.5, "pitfalls": 1.5, "notes": 1.0, "more": 1.0}


@dataclass(frozen=True)
class Hit:
    """One search result: the record, its score, the field that matched and the text around the match."""

    kind: str
    id: str
    name: str
    score: float
    field: str
    snippet: str


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _expansions(kb: KnowledgeBase, word: str, vocabulary: list[str] | None) -> tuple[list[tuple[str, float]], list[str] | None]:
    """Index words that stand for ``word``: (word or prefix pattern, quality 0-1), exact first."""
    from rapidfuzz import fuzz, process

    out: list[tuple[str, float]] = [(_quote(word) + (" *" if len(word) >= 3 else ""), 1.0)]
    if len(word) < 4:
        return out, vocabulary
    if vocabulary is None:
        vocabulary = [r[0] for r in kb.catalog.execute("SELECT term FROM search_terms")]
    for term, score, _ in process.extract(word, vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE, limit=5):
        if term != word and not term.startswith(word):
            out.append((_quote(term), score / 100.0))
    return out, vocabulary


def _candidates(kb: KnowledgeBase, words: list[str], kind: str | None) -> tuple[dict[int, tuple[str, str]], dict[str, float]]:
    """Records holding every word (or a stand-in), best first by BM25: rowid -> (kind, id); and each stand-in's quality."""
    vocabulary: list[str] | None = None
    groups, quality = [], {}
    for word in words:
        expansions, vocabulary = _expansions(kb, word, vocabulary)
        groups.append("(" + " OR ".join(e for e, _ in expansions) + ")")
        for pattern, q in expansions:
            quality[pattern.split('"')[1]] = q
    weights = ", ".join(str(_WEIGHTS[c]) for c in SEARCH_COLUMNS)
    sql = (
        "SELECT r.rowid, r.kind, r.id FROM search_fts JOIN search_rows r ON r.rowid = search_fts.rowid"
        f" WHERE search_fts MATCH ? {'AND r.kind = ?' if kind else ''} ORDER BY bm25(search_fts, {weights}) LIMIT {CANDIDATES}"
    )
    rows = kb.catalog.execute(sql, (" AND ".join(groups), *([kind] if kind else [])))
    return {r[0]: (r[1], r[2]) for r in rows}, quality


def _words(text: str) -> list[str]:
    return [w for w in normalise(text).split() if w not in STOPWORDS] or normalise(text).split()


def _by_name(kb: KnowledgeBase, query: str, kind: str | None) -> dict[tuple[str, str], tuple[float, str, str]]:
    """The short-key layer: (kind, id) -> (score, field) of records one of whose names or aliases is
    close to the whole query (rapidfuzz over every id, name and alias, no index needed)."""
    from rapidfuzz import fuzz, process

    keys = kb.catalog.search_keys()
    out: dict[tuple[str, str], tuple[float, str, str]] = {}
    found = process.extract(query, keys.texts, scorer=fuzz.ratio, processor=None, score_cutoff=KEY_SCORE, limit=CANDIDATES)
    owners = kb.catalog.key_owners([keys.rowids[index] for _, _, index in found])
    for _, score, index in found:
        k, rid, field, shown = owners[keys.rowids[index]]
        if kind not in (None, k):
            continue
        exact = keys.texts[index] == query or keys.texts[index].replace(" ", "") == query.replace(" ", "")
        value = 100.0 if exact else float(score)
        if value > out.get((k, rid), (0.0, "", ""))[0]:
            out[(k, rid)] = (value, field, shown)
    return out


def search(kb: KnowledgeBase, text: str, kind: str | None = None, limit: int = 20, cutoff: float = CUTOFF) -> list[Hit]:
    """Hits for ``text`` (every word must be found, a typo tolerated), best first; at most ``limit`` (0: all)."""
    from rapidfuzz import fuzz

    query = normalise(text)
    words = _words(text)
    if not words:
        return []
    try:
        candidates, quality = _candidates(kb, words, kind)
    except Exception as exc:  # an FTS syntax the quoting missed: no hit rather than a crash
        if type(exc).__name__ in ("OperationalError", "DatabaseError"):
            return []
        raise
    named = _by_name(kb, query, kind)
    marks = ",".join("?" * len(candidates))
    columns = ", ".join(SEARCH_COLUMNS)
    texts = (
        {r[0]: r[1:] for r in kb.catalog.execute(f"SELECT rowid, {columns} FROM search_fts WHERE rowid IN ({marks})", list(candidates))} if candidates else {}
    )
    scored: dict[tuple[str, str], tuple[float, str, str]] = {}
    for rowid, (k, rid) in candidates.items():
        fields = dict(zip(SEARCH_COLUMNS, texts.get(rowid, ()), strict=False))
        scored[(k, rid)] = _score(query, words, quality, fields, fuzz)
    for key, (score, field, shown) in named.items():
        if score > scored.get(key, (0.0, "", ""))[0]:
            scored[key] = (score, field, shown)
    kept = {key: found for key, found in scored.items() if found[0] >= cutoff}
    names = {k: kb.names(k, [rid for kind_, rid in kept if kind_ == k]) for k in NAMES}
    hits = [Hit(k, rid, names[k].get(rid, rid), round(score, 1), field, snippet) for (k, rid), (score, field, snippet) in kept.items()]
    order = {k: i for i, k in enumerate(NAMES)}
    hits.sort(key=lambda h: (-h.score, order[h.kind], h.id))
    return hits[:limit] if limit > 0 else hits


def _word_quality(words: list[str], quality: dict[str, float], haystack: str) -> float:
    """Mean over query words of how well the record's text holds each (1: itself or a longer word)."""
    found = set(haystack.split())
    total = 0.0
    for word in words:
        if word in found or any(w.startswith(word) for w in found):
            total += 1.0
        else:
            total += max((q for term, q in quality.items() if term in found), default=0.0)
    return total / len(words)


def _score(query: str, words: list[str], quality: dict[str, float], fields: dict[str, str], fuzz: object) -> tuple[float, str, str]:
    """(score, matched field, snippet) of one candidate record."""
    best = (0.0, "names", "")
    for column, text in fields.items():
        if not text:
            continue
        for index, piece in enumerate(text.split(SEPARATOR)):
            norm = normalise(piece)
            if column == "names":
                score = 100.0 if norm == query else float(fuzz.ratio(query, norm))  # type: ignore[attr-defined]
                if len(norm) >= len(query):
                    score = max(score, 0.9 * float(fuzz.partial_ratio(query, norm)))  # type: ignore[attr-defined]
                field = ("id", "name")[index] if index < 2 else "aliases"
            elif query in norm:
                score, field = 90.0, column
            else:
                score, field = 0.85 * float(fuzz.partial_ratio(query, norm)), column  # type: ignore[attr-defined]
            if score > best[0]:
                best = (score, field, piece)
    every = normalise(" ".join(fields.values()))
    score = best[0] * _word_quality(words, quality, every)
    return score, best[1], snippet_of(best[2], words)


def snippet_of(text: str, words: list[str], width: int = 90) -> str:
    """The part of ``text`` around the first query word it holds, at most ``width`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    low = flat.casefold()
    at = min((m.start() for w in words if (m := re.search(rf"\b{re.escape(w)}", low))), default=0)
    start = max(0, min(at - width // 3, len(flat) - width))
    piece = flat[start : start + width]
    return ("…" if start else "") + piece.strip() + ("…" if start + width < len(flat) else "")
