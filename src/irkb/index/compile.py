"""One data file compiled into plain data the catalog stores: its problems, references, canonical
document, lookup keys and search texts. Runs in worker processes on a cold build (picklable in and
out); reading the result needs neither the YAML parser nor pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import jsonio
from ..vocab import normalise

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..ingest.checks import Reference
    from ..ingest.limits import Limits

SEARCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "names": ("id", "name", "title", "aliases"),
    "summary": ("summary", "definition"),
    "indications": ("indications",),
    "contraindications": ("contraindications",),
    "pearls": ("pearls",),
    "pitfalls": ("pitfalls",),
    "notes": ("complications.note", "outcomes.note", "key_figures.label"),
    "more": ("classic_uses", "sees_best", "blind_spots", "advantages", "drawbacks", "follow_up", "confirmation", "special_kit"),
}
"""Columns of the search index -> the record fields whose text they hold (names first)."""

SEPARATOR = " \u2029 "  # between the texts of one column: a paragraph separator, never in the data's words


def display_name_of(doc: dict[str, Any]) -> str:
    """``name``, or a source's ``title``, or the id."""
    return str(doc.get("name") or doc.get("title") or doc["id"])


def lookup_keys(doc: dict[str, Any]) -> list[tuple[str, bool, list[str | int], str]]:
    """(normalised key, ambiguous, where in the record, the text as written) for the id, the name and every alias."""
    name_field = "name" if "name" in doc else "title"
    name = display_name_of(doc)
    keys: list[tuple[str, bool, list[str | int], str]] = [(normalise(doc["id"]), False, ["id"], doc["id"]), (normalise(name), False, [name_field], name)]
    keys += [(normalise(a["text"]), bool(a.get("ambiguous")), ["aliases", i, "text"], a["text"]) for i, a in enumerate(doc.get("aliases") or [])]
    return keys


def _texts(doc: dict[str, Any], name: str) -> list[str]:
    if "." in name:
        parent, child = name.split(".")
        return [str(item[child]) for item in doc.get(parent) or [] if isinstance(item, dict) and item.get(child)]
    if name == "aliases":
        return [a["text"] for a in doc.get("aliases") or []]
    value = doc.get(name)
    out = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append(str(item["text"]))
    return out


def search_document(doc: dict[str, Any]) -> dict[str, str]:
    """The record's text for each column of the search index (``SEARCH_COLUMNS``)."""
    return {column: SEPARATOR.join(t for f in fields for t in _texts(doc, f)) for column, fields in SEARCH_COLUMNS.items()}


KeyRow = tuple[str, int, str, str]
"""A lookup key as the catalog stores it: (normalised key, ambiguous 0/1, where in the record as
JSON, the text as written)."""


def key_rows(doc: dict[str, Any]) -> list[KeyRow]:
    """``lookup_keys`` of a document, in the form the catalog stores."""
    return [(key, int(ambiguous), jsonio.dumps(loc, indent=False), text) for key, ambiguous, loc, text in lookup_keys(doc)]


def grouped_refs(refs: Iterable[Reference]) -> dict[str, dict[str, list[list[str | int]]]]:
    """References as the catalog stores them: target kind -> target id -> where each one stands.

    Grouped so that the checks across records ask once per distinct target whether it exists
    (most records cite the same few modalities and sources many times over)."""
    grouped: dict[str, dict[str, list[list[str | int]]]] = {}
    for ref in refs:
        grouped.setdefault(ref.target_kind, {}).setdefault(ref.target, []).append(list(ref.loc))
    return grouped


def compile_file(kind: str, path: str, data_dir: str, limits: Limits | None = None) -> dict[str, Any]:
    """Parse, validate and compile one file into plain data (picklable, for worker processes).

    Everything the catalog stores comes out as it is stored (JSON text, key rows), so the main
    process writes it without parsing anything. A file whose own checks found an error gives no
    document: records with errors are never served.
    """
    from ..ingest.limits import Limits
    from ..ingest.record import load_file
    from ..shape import canonical

    loaded = load_file(kind, Path(path), Path(data_dir), limits or Limits.from_env())
    errors = sum(p.level == "error" for p in loaded.problems)
    dump = loaded.dump
    doc = canonical(dump) if dump is not None and not errors else None
    return {
        "problems": jsonio.dumps([p.to_dict() for p in loaded.problems], indent=False),
        "errors": errors,
        "refs": jsonio.dumps(grouped_refs(loaded.refs), indent=False),
        "id": loaded.record_id,  # claimed even when the file has errors
        "doc": jsonio.dumps(doc) if doc is not None else None,
        "keys": key_rows(doc) if doc is not None else None,
        "last_reviewed": doc.get("last_reviewed") if doc is not None else None,  # what the checks across records read
        "doi": doc.get("doi") if doc is not None else None,
        "sha256": loaded.sha256,  # of the bytes the loader read: never a second, unbounded read
    }


def compile_job(job: tuple[str, str, str, Limits]) -> dict[str, Any]:
    """``compile_file`` for ``Pool.imap``."""
    return compile_file(*job)
