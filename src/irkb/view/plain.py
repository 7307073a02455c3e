"""Records for a pipe (grep-able lines) and as Markdown documents, from the same ``RecordView`` the
terminal shows, so neither leaves out what the rich view has."""

from __future__ import annotations

from ..text import md, one_line
from .figures import FigureLine
from .records import RecordView


def _row(*cells: str) -> str:
    return "\t".join(one_line(c) for c in cells)


def figure_cells(f: FigureLine) -> list[str]:
    """The cells of one figure on a plain line: label, rate, kind, severity, per, what it counts, population, source."""
    return [f.label, f.rate, f.kind, f.severity, f.per, f.counts, f.population, f.source]


def plain_record(view: RecordView) -> str:
    """One line per fact, tab-separated, the first cell saying what the line is (``grep ^complication``)."""
    lines = [_row(view.kind, view.id, view.name)]
    if view.aliases:
        lines.append(_row("aliases", "; ".join(view.aliases)))
    lines.append(_row("facts", view.facts))
    if view.summary:
        lines.append(_row("summary", view.summary))
    for section in view.sections:
        for item in section.items:
            cells = [section.key] + ([item.label] if item.label else []) + [item.text]
            cells += [f"{k}: {v}" for k, v in item.details] + ([f"source: {item.source}"] if item.source else [])
            lines.append(_row(*cells))
        for _, figures in section.figures:
            lines += [_row(section.key, *figure_cells(f)) for f in figures]
    lines.append(_row("reviewed", view.footer))
    return "\n".join(lines) + "\n"


FIGURE_HEADERS = ["figure", "rate", "kind", "severity", "per", "counts", "population", "source"]


def markdown_record(view: RecordView) -> str:
    """The whole record as Markdown: a heading per section, a table of figures."""
    out = [f"# {md(view.name)}", "", f"*{md(view.kind)}* `{view.id}`" + (f" · also: {md(', '.join(view.aliases))}" if view.aliases else ""), ""]
    out += [md(view.facts), ""]
    if view.summary:
        out += [md(view.summary), ""]
    for section in view.sections:
        out += [f"## {md(section.title)}", ""]
        for item in section.items:
            head = f"**{md(item.label)}**: " if item.label else ""
            tail = f" [{md(item.source)}]" if item.source else ""
            out.append(f"- {head}{md(item.text)}{tail}")
            out += [f"  - {md(k)}: {md(v)}" for k, v in item.details]
        if section.figures:
            out.append("| " + " | ".join(FIGURE_HEADERS) + " |")
            out.append("|" + "|".join("---" for _ in FIGURE_HEADERS) + "|")
            for _, figures in section.figures:
                out += ["| " + " | ".join(md(c) for c in figure_cells(f)) + " |" for f in figures]
        out.append("")
    out += [f"*{md(view.footer)}*", ""]
    return "\n".join(out)
