"""The text formats of an export: JSON envelope, JSONL, CSV (one kind), YAML and Markdown."""

from __future__ import annotations

from collections.abc import Callable

from ..kinds import BY_NAME
from ..vocab import ExportFormat
from .snapshot import DISCLAIMER, ExportError, Progress, Snapshot, envelope, ticker


def render_text(snap: Snapshot, fmt: ExportFormat, *, csv_kind: str = "procedure", progress: Progress | None = None) -> str:
    """The export as text, for every format but sqlite."""
    from ..view import text as output

    tick = ticker(snap.count, progress)
    if fmt == ExportFormat.JSON:
        text = output.to_json(envelope(snap)) + "\n"
        _tick_all(snap, tick)
        return text
    if fmt == ExportFormat.YAML:
        text = output.yaml_text(envelope(snap))
        _tick_all(snap, tick)
        return text
    if fmt == ExportFormat.JSONL:
        lines = []
        for kind, docs in snap.docs.items():
            for doc in docs:
                lines.append(output.to_json({"record_type": kind, **doc}, indent=None) + "\n")
                tick()
        return "".join(lines)
    if fmt == ExportFormat.CSV:
        docs = snap.docs.get(csv_kind, [])
        header = list(docs[0]) if docs else _field_names(csv_kind)
        tick = ticker(len(docs), progress)
        rows = []
        for doc in docs:
            rows.append(doc)
            tick()
        return output.csv_text(rows, header)
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
