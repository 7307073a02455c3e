"""The bodies of ``irkb export`` and ``irkb diff``, without Typer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..vocab import ExportFormat
from .output import out
from .runtime import State, warn


def export(state: State, fmt: ExportFormat, kind: str | None = None, output: str | None = None) -> int:
    """``irkb export``: the whole knowledge base for other tools, deterministically, written atomically."""
    from ..export import export as write_export
    from ..export import snapshot
    from ..view.progress import progress

    fmt = ExportFormat(str(fmt))
    state.format = fmt.value
    target = None if output in (None, "-") else Path(str(output))
    if fmt in (ExportFormat.SQLITE, ExportFormat.ANKI, ExportFormat.DATAPACKAGE, ExportFormat.BIBTEX, ExportFormat.CSL_JSON) and kind is not None:
        raise UsageError(f"--kind does not apply to {fmt.value}: it holds what it holds (every kind, or the sources)")
    kinds = [str(kind)] if kind is not None and fmt != ExportFormat.CSV else None
    csv_kind = str(kind) if kind is not None else "procedure"
    kb = state.kb()
    # one read transaction: the data version and the records written come from the same state,
    # even if another irkb refreshes the catalog while this export reads it a page at a time
    with kb.catalog.db.reading():
        snap = snapshot(kb.catalog, kinds if fmt != ExportFormat.CSV else [csv_kind])
        with progress(f"exporting {fmt.value}", minimum=1000) as update:
            written = write_export(kb.catalog, snap, fmt, target, csv_kind=csv_kind, progress=update)
    if written:
        warn(f"wrote {snap.count} records ({fmt.value}) to " + ", ".join(str(p) for p in written))
    return 0


def diff(state: State, old: Path, new: Path, fmt: str = "text") -> int:
    """``irkb diff``: added, removed, changed and invalid records between two knowledge bases or exports."""
    from ..curate.diff import MISSING, load_side
    from ..curate.diff import diff as compare_sides
    from ..view.terminal import one_line

    before, after = load_side(Path(old)), load_side(Path(new))
    result = compare_sides(before, after)
    left_out = sorted((set(before.docs) | set(after.docs)) - set(result.kinds))
    if left_out:
        warn(f"irkb: note: not compared (absent from one side): {', '.join(left_out)}")
    if str(fmt) == "json":
        out(state, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:

        def show(value: Any) -> str:
            if value is MISSING:
                return "(absent)"
            text = json.dumps(value, ensure_ascii=False)
            return one_line(text if len(text) <= 160 else text[:157] + "...")

        lines = [f"added    {kind} {one_line(rid)}" for kind, rid in result.added]
        lines += [f"removed  {kind} {one_line(rid)}" for kind, rid in result.removed]
        for item in result.invalid:
            lines.append(f"invalid  {item.kind} {one_line(item.id)} ({item.side}: {len(item.problems)} problem(s))")
            lines += [f"  {one_line(p)}" for p in item.problems[:10]]
        for change in result.changed:
            lines.append(f"changed  {change.kind} {one_line(change.id)}")
            lines += [f"  {one_line(f.path)}: {show(f.old)} -> {show(f.new)}" for f in change.fields]
        out(state, "".join(line + "\n" for line in lines))
    summary = f"{len(result.added)} added, {len(result.removed)} removed, {len(result.changed)} changed"
    warn(summary + (f", {len(result.invalid)} invalid" if result.invalid else ""))
    return 0
