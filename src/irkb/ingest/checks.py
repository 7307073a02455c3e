"""Rules on one valid record: what pydantic cannot say alone (ids, dates, citations, coverage).

Each check yields ``(loc, code, message, level, hint)``; the loader turns ``loc`` into a line and
column. Rules across records (references, aliases) are in ``irkb.index.integrity``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import dotted
from ..shape import DOI_PATTERN, PMID_PATTERN, RECOMMENDED

Check = tuple[tuple[str | int, ...], str, str, str, str | None]


@dataclass(frozen=True)
class Reference:
    """A reference from one record to another, with where it stands in the record."""

    target_kind: str
    target: str
    loc: tuple[str | int, ...]


# Field name -> kind of record it refers to.
REFERENCE_FIELDS: dict[str, str] = {
    "modality": "modality",
    "access_routes": "access-route",
    "complication": "complication",
    "source": "source",
    "sources": "source",
    "related": "procedure",
    "family": "procedure",
    "procedure": "procedure",
}

_PERCENT_IN_TEXT = re.compile(r"\d(?:[.,]\d+)?\s*%")
# Outcome measures that are really a pooled complication rate (any-complication, major-complication-30d, ...).
_POOLED_COMPLICATION = re.compile(r"^(any|all|overall|total|major|minor)-complications?(-[a-z0-9-]+)?$")


Loc = tuple[str | int, ...]


class Nodes(NamedTuple):
    """What the checks look at in a document: its texts and its mappings, each with where it
    stands, parents before their items. A text is kept as (where its parent stands, its key or
    index, the text): its own place, ``(*parent, key)``, is made only for the few a check reports."""

    strings: list[tuple[Loc, str | int | None, str]]
    dicts: list[tuple[Loc, dict[str, Any]]]


def _place(parent: Loc, key: str | int | None) -> Loc:
    """Where a text of ``Nodes.strings`` stands (``()`` for a document that is one text)."""
    return parent if key is None else (*parent, key)


def walk(data: Any) -> Nodes:
    """The texts and mappings of a document (computed once, shared by the checks). Built without
    generators and without keeping numbers or lists: a record holds hundreds of values."""
    strings: list[tuple[Loc, str | int | None, str]] = []
    dicts: list[tuple[Loc, dict[str, Any]]] = []
    add_string, add_dict = strings.append, dicts.append

    def visit(value: Any, loc: Loc) -> None:
        if isinstance(value, dict):
            add_dict((loc, value))
            items: Any = value.items()
        else:
            items = enumerate(value)
        for key, item in items:
            if isinstance(item, str):
                add_string((loc, key, item))
            elif isinstance(item, (dict, list)):
                visit(item, (*loc, key))

    if isinstance(data, str):
        add_string(((), None, data))
    elif isinstance(data, (dict, list)):
        visit(data, ())
    return Nodes(strings, dicts)


def references(kind: str, dump: dict[str, Any], nodes: Nodes | None = None) -> list[Reference]:
    """Every reference a record of ``kind`` (its JSON dump) makes to another record, with where it stands."""
    refs: list[Reference] = []
    fields = REFERENCE_FIELDS
    for parent, key, value in (nodes or walk(dump)).strings:
        field = key if type(key) is str else parent[-1] if parent and key is not None else None  # a list item: its list's field
        # 'procedure' and 'complication' only refer to records inside their own sub-objects.
        if field in fields and not (kind == "procedure" and key == "id" and not parent):
            refs.append(Reference(fields[field], value, _place(parent, key)))
    return refs


def _items(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    return value if isinstance(value, list) else []


def record_checks(kind: str, data: dict[str, Any], stem: str, today: dt.date, *, partial: bool = False, nodes: Nodes | None = None) -> Iterator[Check]:
    """Per-record rules: id equals file stem, characters, cited figures, measures, recommended fields.

    ``data`` is the record's JSON dump, or — ``partial`` — the raw mapping of a file that failed
    validation: every rule that can still be judged is, so one bad field never hides the rest.
    """
    rid = data.get("id")
    if isinstance(rid, str) and rid != stem:
        yield (
            ("id",),
            "id-mismatch",
            f"id '{rid}' does not match the file name '{stem}.yaml'",
            "error",
            f"rename the file to {rid}.yaml or set id: {stem}",
        )
    nodes = nodes if nodes is not None else walk(data)
    yield from _characters(nodes)
    for loc, value in nodes.dicts:
        if ("rate" in value and "rate_kind" in value) or "unit" in value:
            if not value.get("source"):
                what = "rate" if "rate" in value else "figure"
                yield (
                    loc,
                    "rate-without-source",
                    f"{dotted(loc)}: {what} cites no source",
                    "error",
                    "add source: <source id> (and a locator such as 'Table 2')",
                )
        elif set(value) == {"text", "source", "locator"} and not value.get("source") and _PERCENT_IN_TEXT.search(str(value["text"] or "")):
            yield loc, "figure-in-text-without-source", f"{dotted(loc)}: states a figure without a source", "warning", "add source: <source id>"
    for field in ("pearls", "pitfalls", "advantages", "drawbacks"):
        for index, item in enumerate(_items(data, field)):
            if isinstance(item, str) and _PERCENT_IN_TEXT.search(item):
                yield (
                    (field, index),
                    "figure-in-text-without-source",
                    f"{field}[{index}] states a figure without a source",
                    "warning",
                    "write it as {text: ..., source: <source id>}",
                )
    for index, alt in enumerate(_items(data, "alternatives")):
        if isinstance(alt, dict) and isinstance(alt.get("comparison"), str) and _PERCENT_IN_TEXT.search(alt["comparison"]) and not alt.get("source"):
            yield (
                ("alternatives", index),
                "figure-in-text-without-source",
                f"alternatives[{index}].comparison states a figure without a source",
                "warning",
                "add source: <source id>",
            )
    for index, outcome in enumerate(_items(data, "outcomes")):
        measure = outcome.get("measure") if isinstance(outcome, dict) else None
        if isinstance(measure, str) and _POOLED_COMPLICATION.match(measure):
            yield (
                ("outcomes", index, "measure"),
                "complication-as-outcome",
                f"outcomes[{index}]: '{measure}' is a complication rate, which belongs under complications",
                "warning",
                "record it as complications: - complication: any-adverse-event (with severity: major or minor when the source splits them)",
            )
    yield from _measure_checks(data)
    yield from _citation_checks(data, nodes)
    if partial:
        return
    missing = [name for name in RECOMMENDED[kind] if not data.get(name)]
    if missing:
        yield (), "missing-recommended", "recommended fields are empty: " + ", ".join(missing), "warning", None
    if kind == "source":
        yield from _source_checks(data)


def _characters(nodes: Nodes) -> Iterator[Check]:
    """Text may not carry control characters, escape sequences, bidi overrides or a lone CR: a
    terminal would act on them (every human output shows them escaped, but the data is wrong)."""
    from ..text import UNSAFE

    if UNSAFE.search("\n".join([value for _, _, value in nodes.strings])) is None:  # one scan for the common case
        return
    reported = 0
    for parent, key, value in nodes.strings:
        found = UNSAFE.search(value)
        if found is None:
            continue
        loc = _place(parent, key)
        reported += 1
        if reported > 20:
            yield ((), "control-character", "more values hold control characters; not listed", "error", "fix the ones above and run again")
            return
        code = f"U+{ord(found.group()):04X}"
        yield (
            loc,
            "control-character",
            f"{dotted(loc)} holds a control or bidi character ({code}) at position {found.start() + 1}",
            "error",
            "remove it: text holds no escape sequences, bidi overrides or carriage returns",
        )


def _measure_checks(data: dict[str, Any]) -> Iterator[Check]:
    """Outcome measures come from the controlled vocabulary (``vocab.OUTCOME_MEASURES``), with a time point."""
    from ..measures import OUTCOME_MEASURES, measure_base

    for index, outcome in enumerate(_items(data, "outcomes")):
        measure = outcome.get("measure") if isinstance(outcome, dict) else None
        if not isinstance(measure, str) or _POOLED_COMPLICATION.match(measure) or measure_base(measure) in OUTCOME_MEASURES:
            continue
        import difflib

        close = difflib.get_close_matches(measure_base(measure), list(OUTCOME_MEASURES), n=3, cutoff=0.6)
        hint = ("did you mean " + " or ".join(f"'{c}'" for c in close) + "? " if close else "") + "see 'irkb vocab measures'"
        yield (
            ("outcomes", index, "measure"),
            "unknown-measure",
            f"outcomes[{index}]: '{measure}' is not an outcome measure of the vocabulary",
            "warning",
            hint + "; a time point may follow the id (-30d, -12m, -5y)",
        )


def _figure_key(figure: dict[str, Any]) -> tuple[Any, ...]:
    rate = figure.get("rate") or {}
    return (
        figure.get("complication") or figure.get("measure"),
        figure.get("source"),
        tuple(sorted((k, v) for k, v in rate.items() if v is not None)),
        figure.get("population"),
        figure.get("per"),
        figure.get("rate_kind"),
    )


def _citation_checks(data: dict[str, Any], nodes: Nodes) -> Iterator[Check]:
    """A cited source is in the record's ``sources`` list; the same figure is not recorded twice."""
    if isinstance(data.get("sources"), list):
        listed = {s for s in data["sources"] if isinstance(s, str)}
        for loc, value in nodes.dicts:
            if isinstance(value.get("source"), str) and value["source"] not in listed:
                yield (
                    (*loc, "source"),
                    "source-not-listed",
                    f"{dotted(loc)} cites '{value['source']}', which the record's sources list leaves out",
                    "error",
                    f"add '{value['source']}' to sources:",
                )
    for field in ("complications", "outcomes"):
        seen: dict[tuple[Any, ...], tuple[int, Any]] = {}
        for index, figure in enumerate(_items(data, field)):
            if not isinstance(figure, dict) or not isinstance(figure.get("rate"), dict):
                continue
            key = _figure_key(figure)
            severity = figure.get("severity")
            earlier = seen.get(key)
            if earlier is not None and (earlier[1] is None or severity is None or earlier[1] == severity):
                yield (
                    (field, index),
                    "duplicate-figure",
                    f"{field}[{index}] repeats {field}[{earlier[0]}] (same {'complication' if field == 'complications' else 'measure'}, "
                    "source, rate and population)",
                    "warning",
                    "keep one of them (the graded one, where one is graded)",
                )
            elif earlier is None:
                seen[key] = (index, severity)


JOURNAL_KINDS = frozenset({"rct", "systematic-review", "primary-study", "registry", "narrative-review"})
"""Source kinds published in journals: each should carry a DOI or a PMID."""


def mirror_hosts() -> list[str]:
    """The hosts of ``mirrors.txt`` (document mirrors, aggregators, preview and staging copies)."""
    from pathlib import Path

    text = (Path(__file__).with_name("mirrors.txt")).read_text(encoding="utf-8")
    return [line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def is_mirror(url: str) -> bool:
    """Whether ``url`` points at a mirror, aggregator, preview or staging host."""
    from fnmatch import fnmatch
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return any(fnmatch(host, pattern) if "*" in pattern else host == pattern or host.endswith("." + pattern) for pattern in mirror_hosts())


def _source_checks(data: dict[str, Any]) -> Iterator[Check]:
    """A source can be found in one click: a DOI or PMID (journal kinds), well formed; no mirror link."""
    doi, pmid, url = data.get("doi"), data.get("pmid"), data.get("url")
    if doi and not re.match(DOI_PATTERN, doi):
        yield ("doi",), "malformed-identifier", f"DOI '{doi}' is not of the form 10.NNNN/suffix", "warning", "write the DOI alone, without https://doi.org/"
    if pmid and not re.match(PMID_PATTERN, pmid):
        yield ("pmid",), "malformed-identifier", f"PMID '{pmid}' is not a number", "warning", "a PMID is digits only, e.g. pmid: '15147726'"
    if url and is_mirror(url):
        yield (
            ("url",),
            "mirror-url",
            f"url points at a document mirror, aggregator or staging copy ({url.split('/')[2]})",
            "warning",
            "link the DOI, PubMed/PMC, the publisher or the society's own page instead (the host list: src/irkb/ingest/mirrors.txt)",
        )
    if data.get("kind") in JOURNAL_KINDS and not (doi or pmid):
        yield (), "source-without-identifier", f"a {data['kind']} source has neither a DOI nor a PMID", "warning", "add doi: or pmid: (search PubMed by title)"
    elif not (doi or pmid or url):
        yield (), "source-without-link", "source has no DOI, PMID or URL", "warning", "add doi:, pmid: or url: so readers can find it"
