"""The text formats of an export: JSON envelope, JSONL, CSV (one kind), YAML and Markdown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..kinds import BY_NAME
from ..vocab import ExportFormat
from .snapshot import DISCLAIMER, ExportError, Progress, Snapshot, header, ticker

STREAMED = (ExportFormat.JSON, ExportFormat.JSONL, ExportFormat.CSV, ExportFormat.YAML)
"""Formats written a record at a time, straight from the catalog's stored JSON: memory stays flat."""


def render_chunks(snap: Snapshot, fmt: ExportFormat, *, csv_kind: str = "procedure", progress: Progress | None = None) -> Iterator[str]:
    """The export as pieces of text to write in order, for every format but the file-only ones."""
    tick = ticker(snap.counts.get(csv_kind, 0) if fmt == ExportFormat.CSV else snap.count, progress)
    if fmt == ExportFormat.JSON:
        yield from _json(snap, tick)
    elif fmt == ExportFormat.JSONL:
        yield from _jsonl(snap, tick)
    elif fmt == ExportFormat.CSV:
        yield from _csv(snap, csv_kind, tick)
    elif fmt == ExportFormat.YAML:
        yield from _yaml(snap, tick)
    else:
        yield render_text(snap, fmt, csv_kind=csv_kind, progress=progress)


def _json(snap: Snapshot, tick: Callable[[], None]) -> Iterator[str]:
    """``to_json(envelope(snap))`` and a newline, built from the stored texts without parsing them.

    The stored texts are the records as ``to_json`` writes them at the top level; inside the
    envelope each sits two levels deep, so every line gains four spaces.
    """
    from ..view.text import to_json

    head = to_json(header(snap))
    yield head[: -len("\n}")]
    for kind in snap.counts:
        yield f',\n  "{BY_NAME[kind].key}": ['
        first = True
        for text in snap.texts(kind):
            yield ("\n    " if first else ",\n    ") + text.replace("\n", "\n    ")
            first = False
            tick()
        yield "]" if first else "\n  ]"
    yield "\n}\n"


def _jsonl(snap: Snapshot, tick: Callable[[], None]) -> Iterator[str]:
    from .. import jsonio
    from ..view.text import to_json

    for kind in snap.counts:
        for text in snap.texts(kind):
            yield to_json({"record_type": kind, **jsonio.loads(text)}, indent=None) + "\n"
            tick()


def _yaml(snap: Snapshot, tick: Callable[[], None]) -> Iterator[str]:
    """``yaml_text(envelope(snap))``, a record at a time: the header, then each kind's key and its
    records as block-sequence entries (at the top level, where the whole dump puts them)."""
    from .. import jsonio
    from ..view.text import yaml_items, yaml_text

    yield yaml_text(header(snap))
    for kind, count in snap.counts.items():
        key = BY_NAME[kind].key
        if not count:
            yield f"{key}: []\n"
            continue
        yield f"{key}:\n"
        for item in yaml_items(jsonio.loads(text) for text in snap.texts(kind)):
            yield item
            tick()


def _csv(snap: Snapshot, kind: str, tick: Callable[[], None]) -> Iterator[str]:
    """One kind as CSV, its columns those of the records (every field, in canonical order)."""
    from .. import jsonio
    from ..view.text import csv_lines

    docs = (jsonio.loads(text) for text in snap.texts(kind))
    first = next(docs, None)
    names = list(first) if first is not None else _field_names(kind)

    def counted() -> Iterator[dict[str, Any]]:
        for doc in [first] if first is not None else []:
            yield doc
            tick()
        for doc in docs:
            yield doc
            tick()

    yield from csv_lines(counted(), names)


def render_text(snap: Snapshot, fmt: ExportFormat, *, csv_kind: str = "procedure", progress: Progress | None = None) -> str:
    """The export as one text, for every format but the file-only ones."""

    if fmt in STREAMED:
        return "".join(render_chunks(snap, fmt, csv_kind=csv_kind, progress=progress))
    tick = ticker(snap.count, progress)
    if fmt == ExportFormat.MARKDOWN:
        return _markdown(snap, tick)
    raise ExportError(f"{fmt} is not a text format")


def _tick_all(snap: Snapshot, tick: Callable[[], None]) -> None:
    for _ in range(snap.count):
        tick()


def _field_names(kind: str) -> list[str]:
    from ..model import field_order

    return field_order(kind)


def _markdown(snap: Snapshot, tick: Callable[[], None]) -> str:
    from ..view.text import markdown_table, summary_columns

    parts = [
        "# irkb knowledge base\n",
        f"> {DISCLAIMER}\n",
        f"{snap.count} records · schema version {snap.schema_version} · data version `{snap.data_version}` · generated {snap.generated_at}\n",
    ]
    for kind, docs in snap.docs.items():
        parts.append(f"## {BY_NAME[kind].heading} ({len(docs)})\n")
        parts.append(markdown_table(docs, summary_columns(kind)) if docs else "_None._\n")
        for _ in docs:
            tick()
    return "\n".join(parts)
