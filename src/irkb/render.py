"""Rich renderables for people at a terminal. Returns renderables; never prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .kb import KnowledgeBase, display_name
from .models import AccessRoute, ComplicationFigure, Measure, Modality, Outcome, Procedure, Record
from .output import Column, cell_text
from .serialise import flat_value, record_dict

DISCLAIMER = "Educational reference only; not clinical decision support. Check figures against the cited sources."
KIND_STYLE = {"observed": "green", "threshold": "yellow", "upper-bound": "magenta"}


def list_table(rows: Sequence[Any], columns: Sequence[Column], title: str | None = None) -> Table:
    """A table of records, one row each."""
    table = Table(title=title, box=box.SIMPLE_HEAVY, header_style="bold", title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column.header, style="cyan" if i == 0 else None, overflow="fold")
    for row in rows:
        table.add_row(*(flat_value(c.get(row)) for c in columns))
    return table


def _source_label(kb: KnowledgeBase, source_id: str | None, locator: str | None = None) -> Text:
    if not source_id:
        return Text("uncited", style="red")
    source = kb.sources.get(source_id)
    text = Text(source_id, style="blue")
    if source is not None:
        text.append(f" [{source.kind}]", style="dim")
    if locator:
        text.append(f" {locator}", style="dim")
    return text


def _rate_kind(kind: str) -> Text:
    return Text(kind, style=KIND_STYLE.get(kind, ""))


def figures_table(kb: KnowledgeBase, figures: Sequence[ComplicationFigure | Outcome], title: str) -> Table:
    """Complication or outcome figures with rate, kind, population and source."""
    table = Table(title=title, box=box.SIMPLE, title_justify="left", title_style="bold", expand=True)
    is_complication = bool(figures) and isinstance(figures[0], ComplicationFigure)
    table.add_column("complication" if is_complication else "measure", style="cyan", ratio=2)
    if is_complication:
        table.add_column("severity", ratio=1)
    table.add_column("rate", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("population", ratio=3, overflow="fold")
    table.add_column("source", ratio=2, overflow="fold")
    for f in figures:
        cells: list[RenderableType] = []
        if isinstance(f, ComplicationFigure):
            comp = kb.complications.get(f.complication)
            cells.append(comp.name if comp else f.complication)
            cells.append(f"{f.severity} ({f.severity_scale})" if f.severity else "")
        else:
            cells.append(f.measure)
        cells += [f.rate.display(), _rate_kind(f.rate_kind), f.population or "", _source_label(kb, f.source, f.locator)]
        table.add_row(*cells)
    return table


def measures_table(kb: KnowledgeBase, measures: Sequence[Measure], title: str) -> Table:
    """Cited quantities (sizes, times, doses)."""
    table = Table(title=title, box=box.SIMPLE, title_justify="left", title_style="bold", expand=True)
    table.add_column("what", ratio=2)
    table.add_column("value", no_wrap=True)
    table.add_column("applies to", ratio=3, overflow="fold")
    table.add_column("source", ratio=2, overflow="fold")
    for m in measures:
        table.add_row(m.label or m.note or "", m.display(), m.population or m.note or "", _source_label(kb, m.source, m.locator))
    return table


def _bullets(items: Sequence[Any]) -> Text:
    text = Text()
    for i, item in enumerate(items):
        if i:
            text.append("\n")
        if isinstance(item, str):
            text.append(f"• {item}")
        else:
            text.append(f"• {item.text}")
            if item.source:
                text.append(f" [{item.source}]", style="blue")
    return text


def _section(title: str, body: RenderableType) -> Panel:
    return Panel(body, title=title, title_align="left", box=box.ROUNDED, border_style="dim")


def show(kb: KnowledgeBase, record: Record) -> RenderableType:
    """The whole record as a person reads it: header, then a panel or table per section."""
    parts: list[RenderableType] = []
    head = Text(display_name(record), style="bold")
    head.append(f"  {record.record_type}:{record.id}", style="dim")
    if record.aliases:
        head.append("\naka " + ", ".join(a.text for a in record.aliases), style="italic")
    facts = _facts(kb, record)
    if facts:
        head.append("\n" + facts)
    summary = getattr(record, "summary", None) or getattr(record, "definition", None)
    if summary:
        head.append("\n\n" + summary)
    parts.append(Panel(head, box=box.HEAVY, border_style="cyan"))
    if isinstance(record, Procedure):
        parts += _procedure_sections(kb, record)
    elif isinstance(record, Modality):
        parts += _list_sections(record, ("sees_best", "blind_spots", "classic_uses", "special_kit", "advantages", "drawbacks", "pearls", "pitfalls"))
        if record.key_figures:
            parts.append(measures_table(kb, record.key_figures, "Key figures"))
    elif isinstance(record, AccessRoute):
        parts += _list_sections(record, ("haemostasis", "advantages", "drawbacks"))
        if record.sheath_size:
            parts.append(measures_table(kb, record.sheath_size, "Sheath / device size"))
        if record.time_to_ambulation:
            parts.append(measures_table(kb, record.time_to_ambulation, "Time to ambulation"))
        if record.complications:
            parts.append(figures_table(kb, record.complications, "Access-site complications"))
        parts += _list_sections(record, ("pearls", "pitfalls"))
        if record.key_figures:
            parts.append(measures_table(kb, record.key_figures, "Key figures"))
    elif record.record_type == "source":
        data = record_dict(record)
        lines = [f"{k}: {flat_value(v)}" for k, v in data.items() if v not in (None, [], "") and k not in ("id", "title", "aliases")]
        parts.append(_section("Reference", Text("\n".join(lines))))
        citing = kb.citing(record.id)
        if citing:
            parts.append(_section(f"Cited by ({len(citing)})", Text(", ".join(citing))))
    else:
        key_figures = getattr(record, "key_figures", None)
        if key_figures:
            parts.append(measures_table(kb, key_figures, "Key figures"))
        used_by = sorted({pid for pid, f in kb.catalog.figures() if f["complication"] == record.id})
        if used_by:
            parts.append(_section(f"Procedures with figures ({len(used_by)})", Text(", ".join(used_by))))
    parts += _sources_section(kb, record)
    parts.append(Text(f"last reviewed {record.last_reviewed}   ·   {DISCLAIMER}", style="dim"))
    return Group(*parts)


def _facts(kb: KnowledgeBase, record: Record) -> str:
    if isinstance(record, Procedure):
        from .query import is_live, uses_radiation

        return (
            f"{record.category} · {record.system} · {', '.join(record.purpose)}"
            f" · live guidance: {'yes' if is_live(kb, record) else 'no'}"
            f" · ionising radiation: {'yes' if uses_radiation(kb, record) else 'no'}" + (f" · family: {record.family}" if record.family else "")
        )
    if isinstance(record, Modality):
        return f"speed: {record.speed} · ionising radiation: {'yes' if record.ionising_radiation else 'no'} · bedside: {'yes' if record.bedside else 'no'}"
    if isinstance(record, AccessRoute):
        return f"{record.kind} access"
    if record.record_type == "source":
        return f"{getattr(record, 'kind', '')} · {getattr(record, 'year', '') or 'n.d.'}"
    return f"group: {getattr(record, 'group', '')}"


def _list_sections(record: Record, names: Sequence[str]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for name in names:
        items = getattr(record, name, None)
        if items:
            out.append(_section(name.replace("_", " ").capitalize(), _bullets(items)))
    return out


def _procedure_sections(kb: KnowledgeBase, p: Procedure) -> list[RenderableType]:
    out: list[RenderableType] = []
    if p.guidance:
        table = Table(title="Guidance", box=box.SIMPLE, title_justify="left", title_style="bold", expand=True)
        for header in ("modality", "role", "phases", "speed", "radiation", "note"):
            table.add_column(header, overflow="fold")
        for g in p.guidance:
            m = kb.modalities.get(g.modality)
            table.add_row(
                Text(g.modality, style="cyan"),
                Text(g.role, style="bold" if g.role == "primary" else "dim" if g.role == "alternative" else ""),
                ", ".join(g.phases),
                m.speed if m else "?",
                ("yes" if m.ionising_radiation else "no") if m else "?",
                g.note or "",
            )
        out.append(table)
    how = Text()
    if p.access_routes:
        how.append("Access: ", style="bold").append(", ".join(p.access_routes) + "\n")
    if p.technique:
        how.append("Technique: ", style="bold").append(", ".join(p.technique) + "\n")
    if p.confirmation:
        how.append("Confirm position: ", style="bold").append(p.confirmation + "\n")
    if p.anaesthesia:
        how.append("Anaesthesia: ", style="bold").append(", ".join(p.anaesthesia) + "\n")
    if p.setting:
        how.append("Setting: ", style="bold").append(", ".join(p.setting))
    if how.plain:
        how.rstrip()
        out.append(_section("How it is done", how))
    if p.indications or p.contraindications:
        grid = Table.grid(expand=True, padding=(0, 2))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(Text("Indications", style="bold green"), Text("Contraindications", style="bold red"))
        grid.add_row(_bullets(p.indications), _bullets(p.contraindications))
        out.append(_section("When", grid))
    if p.outcomes:
        out.append(figures_table(kb, p.outcomes, "Outcomes"))
    if p.complications:
        out.append(figures_table(kb, p.complications, "Complications"))
    if p.key_figures:
        out.append(measures_table(kb, p.key_figures, "Key figures"))
    if p.alternatives:
        alt = Text()
        for i, a in enumerate(p.alternatives):
            if i:
                alt.append("\n")
            alt.append(f"• {a.procedure or a.name}", style="cyan")
            if a.comparison:
                alt.append(f": {a.comparison}")
            if a.source:
                alt.append(f" [{a.source}]", style="blue")
        out.append(_section("Alternatives", alt))
    out += _list_sections(p, ("follow_up", "pearls", "pitfalls"))
    if p.related:
        out.append(_section("Related", Text(", ".join(p.related), style="cyan")))
    return out


def _sources_section(kb: KnowledgeBase, record: Record) -> list[RenderableType]:
    from .checks import references

    cited = [r.target for r in references(record) if r.target_kind == "source"]
    ids = list(dict.fromkeys([*getattr(record, "sources", []), *cited]))
    if not ids:
        return []
    text = Text()
    for i, sid in enumerate(ids):
        if i:
            text.append("\n")
        source = kb.sources.get(sid)
        text.append(sid, style="blue")
        if source is not None:
            text.append(f" [{source.kind}{', ' + str(source.year) if source.year else ''}] ", style="dim")
            text.append(source.title)
    return [_section("Sources", text)]


def compare_table(kb: KnowledgeBase, comparison: Any) -> Table:
    """Records side by side, one row per field; differing fields highlighted."""
    table = Table(box=box.SIMPLE_HEAVY, show_lines=True, header_style="bold")
    table.add_column("field", style="bold")
    for doc in comparison.docs:
        table.add_column(display_name(doc), overflow="fold", ratio=1)
    docs = comparison.docs
    for name in docs[0]:
        cells = [cell_text(d, name) for d in docs]
        if all(not c for c in cells):
            continue
        differs = name in comparison.differing_fields
        table.add_row(Text(name, style="yellow" if differs else ""), *(Text(c, style="yellow" if differs else "") for c in cells))
    return table


def complications_table(rows: Sequence[dict[str, Any]], bars: bool = True) -> Table:
    """Complication figures across procedures, with a bar per figure (scaled to the largest)."""
    table = Table(box=box.SIMPLE_HEAVY, header_style="bold", expand=True)
    table.add_column("procedure", style="cyan", overflow="fold", ratio=2)
    table.add_column("complication", overflow="fold", ratio=2)
    table.add_column("rate", justify="right", no_wrap=True)
    if bars:
        table.add_column("", no_wrap=True, min_width=12, ratio=2)
    table.add_column("kind", no_wrap=True)
    table.add_column("severity", overflow="fold")
    table.add_column("source", overflow="fold", ratio=2)
    top = max((r["rate_upper"] for r in rows), default=0.0) or 1.0
    for r in rows:
        cells: list[RenderableType] = [r["procedure"], r["complication_name"], r["rate_display"]]
        if bars:
            width = max(1, round(20 * r["rate_upper"] / top)) if r["rate_upper"] > 0 else 0
            cells.append(Text("█" * width, style=KIND_STYLE.get(r["rate_kind"], "")))
        severity = f"{r['severity']} ({r['severity_scale']})" if r["severity"] else ""
        source = f"{r['source']} [{r['source_kind']}]" if r["source_kind"] else str(r["source"])
        cells += [_rate_kind(r["rate_kind"]), severity, source]
        table.add_row(*cells)
    return table


def stats_view(data: dict[str, Any]) -> RenderableType:
    """Counts and coverage as small tables."""
    parts: list[RenderableType] = []
    grid = Table.grid(padding=(0, 4))
    tables = []
    for key in ("counts", "procedures_by_category", "procedures_by_system", "procedures_by_modality", "sources_by_kind"):
        t = Table(title=key.replace("_", " "), box=box.SIMPLE, title_justify="left", title_style="bold")
        t.add_column("")
        t.add_column("n", justify="right")
        for k, v in data[key].items():
            t.add_row(str(k), str(v))
        tables.append(t)
    grid.add_row(*tables[:3])
    grid.add_row(*tables[3:])
    parts.append(grid)
    cov = Table(title="coverage", box=box.SIMPLE, title_justify="left", title_style="bold", expand=True)
    cov.add_column("")
    cov.add_column("n", justify="right")
    cov.add_column("records", overflow="fold")
    for k, v in data["coverage"].items():
        cov.add_row(k.replace("_", " "), str(len(v)), ", ".join(v[:12]) + (" …" if len(v) > 12 else ""))
    parts.append(cov)
    figs = data["figures"]
    parts.append(
        Text(
            f"figures: {figs['complication_figures']} complication, {figs['outcome_figures']} outcome; "
            + ", ".join(f"{k}: {v}" for k, v in figs["by_rate_kind"].items())
        )
    )
    return Group(*parts)
