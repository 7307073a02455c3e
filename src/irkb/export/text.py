"""The text formats of an export: JSON envelope, JSONL, CSV (one kind), YAML and Markdown."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from ..kinds import BY_NAME
from ..vocab import ExportFormat
from .snapshot import DISCLAIMER, ExportError, Progress, Snapshot, header, ticker

T = TypeVar("T")


def render_chunks(snap: Snapshot, fmt: ExportFormat, *, csv_kind: str = "procedure", progress: Progress | None = None) -> Iterator[str]:
    """The export as pieces of text to write in order, for every format but the file-only ones.

    Each is written a record at a time from the catalog's stored JSON (read a page at a time), so
    memory stays flat however large the knowledge base.
    """
    tick = ticker(snap.counts.get(csv_kind, 0) if fmt == ExportFormat.CSV else snap.count, progress)
    if fmt == ExportFormat.JSON:
        yield from _json(snap, tick)
    elif fmt == ExportFormat.JSONL:
        yield from _jsonl(snap, tick)
    elif fmt == ExportFormat.CSV:
        yield from _csv(snap, csv_kind, tick)
    elif fmt == ExportFormat.YAML:
        yield from _yaml(snap, tick)
    elif fmt == ExportFormat.MARKDOWN:
        yield from _markdown(snap, tick)
    else:
        raise ExportError(f"{fmt} is not a text format")


def _json(snap: Snapshot, tick: Callable[[], None]) -> Iterator[str]:
    """``to_json(envelope(snap))`` and a newline, built from the stored texts without parsing them.

    The stored texts are the records as ``to_json`` writes them at the top level; inside the
    envelope each sits two levels deep, so every line gains four spaces.
    """
    from ..view.text import json_array_chunks, to_json

    head = to_json(header(snap))
    yield head[: -len("\n}")]
    for kind in snap.counts:
        yield f',\n  "{BY_NAME[kind].key}": '
        yield from json_array_chunks(([text] for text in _counted(snap.texts(kind), tick)), depth=1)
    yield "\n}\n"


def _jsonl(snap: Snapshot, tick: Callable[[], None]) -> Iterator[str]:
    from ..view.text import to_json

    for kind in snap.counts:
        for doc in _records(snap, kind, tick):
            yield to_json({"record_type": kind, **doc}, indent=None) + "\n"


def _yaml(snap: Snapshot, tick: Callable[[], None]) -> Iterator[str]:
    """``yaml_text(envelope(snap))``, a record at a time: the header, then each kind's key and its
    records as block-sequence entries (at the top level, where the whole dump puts them)."""
    from ..view.text import yaml_items, yaml_text

    yield yaml_text(header(snap))
    for kind, count in snap.counts.items():
        key = BY_NAME[kind].key
        yield f"{key}:\n" if count else f"{key}: []\n"
        yield from yaml_items(_records(snap, kind, tick))


def _csv(snap: Snapshot, kind: str, tick: Callable[[], None]) -> Iterator[str]:
    """One kind as CSV, its columns those of the records (every field, in canonical order)."""
    from ..view.text import csv_lines

    docs = _records(snap, kind, tick)
    first = next(docs, None)
    if first is None:
        yield from csv_lines([], _field_names(kind))
        return
    yield from csv_lines(itertools.chain([first], docs), list(first))


def render_text(snap: Snapshot, fmt: ExportFormat, *, csv_kind: str = "procedure", progress: Progress | None = None) -> str:
    """``render_chunks`` as one text."""
    return "".join(render_chunks(snap, fmt, csv_kind=csv_kind, progress=progress))


def _field_names(kind: str) -> list[str]:
    from ..model import field_order

    return field_order(kind)


def _markdown(snap: Snapshot, tick: Callable[[], None]) -> Iterator[str]:
    """A title, the disclaimer, the versions, then a table of each kind, a record at a time."""
    from ..view.text import markdown_lines, summary_columns

    yield "# irkb knowledge base\n"
    yield f"\n> {DISCLAIMER}\n"
    yield f"\n{snap.count} records · schema version {snap.schema_version} · data version `{snap.data_version}` · generated {snap.generated_at}\n"
    for kind, count in snap.counts.items():
        yield f"\n## {BY_NAME[kind].heading} ({count})\n\n"
        if count:
            yield from markdown_lines(_records(snap, kind, tick), summary_columns(kind))
        else:
            yield "_None._\n"


def _records(snap: Snapshot, kind: str, tick: Callable[[], None]) -> Iterator[dict[str, Any]]:
    """The records of one kind, parsed one at a time, counted as they are taken."""
    return _counted(snap.records(kind), tick)


def _counted(items: Iterable[T], tick: Callable[[], None]) -> Iterator[T]:
    for item in items:
        yield item
        tick()
