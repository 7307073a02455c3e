"""Rich renderables for people at a terminal. Returns renderables; never prints.

Every text from the data is a ``Text`` made from ``safe`` text (the console reads no markup), and
every layout is stacked — a label line, then indented detail lines that wrap at spaces — unless a
table fits the width whole, so nothing is cut with '…' or broken mid-word at 80 columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from .figures import FigureLine
from .records import RecordView
from .terminal import one_line
from .text import Column

KIND_STYLE = {"observed": "green", "THRESHOLD": "bold yellow", "upper bound": "magenta"}


def t(text: str, style: str = "") -> Text:
    """Data as rich text: escaped, on one line, never read as markup."""
    return Text(one_line(text), style=style)


def fits(rows: Sequence[Any], columns: Sequence[Column], width: int) -> bool:
    """Whether a table holds every cell whole at ``width``: short columns at full length, long ones at least 20 wide."""
    need = 0
    for c in columns:
        longest = max([len(c.header)] + [len(one_line(c.get(r))) for r in rows])
        need += min(longest, 20) if c.wrap else longest
        need += 2
    return need <= width


def listing(rows: Sequence[Any], columns: Sequence[Column], width: int) -> RenderableType:
    """Rows as a table when it fits the width, else stacked: the first column bold, the rest indented below."""
    if fits(rows, columns, width):
        table = Table(box=box.SIMPLE_HEAVY, header_style="bold", pad_edge=False)
        for i, column in enumerate(columns):
            table.add_column(column.header, style="cyan" if i == 0 else None, no_wrap=not column.wrap, overflow="fold")
        for row in rows:
            table.add_row(*(t(c.get(row)) for c in columns))
        return table
    parts: list[RenderableType] = []
    wide = next((c for c in columns[1:] if c.wrap), None)
    for row in rows:
        head = t(columns[0].get(row), "bold cyan")
        if wide is not None and wide.get(row):
            head.append("  " + one_line(wide.get(row)))
        rest = [f"{c.header}: {one_line(c.get(row))}" for c in columns[1:] if c is not wide and c.get(row)]
        parts.append(head)
        if rest:
            parts.append(Padding(Text(" · ".join(rest), style="dim"), (0, 0, 0, 4)))
    return Group(*parts)


STRIP = 16  # characters of an interval strip


def strip(rate: dict[str, Any], scale: float) -> Text:
    """An observed rate drawn on a 0-``scale`` strip: ● the point, ├─┤ the range or interval."""
    cells = [" "] * STRIP

    def at(v: float) -> int:
        return min(STRIP - 1, max(0, round((STRIP - 1) * v / scale)))

    low, high, point = rate.get("low"), rate.get("high"), rate.get("percent")
    if low is not None and high is not None:
        a, b = at(low), at(high)
        for i in range(a, b + 1):
            cells[i] = "─"
        cells[a], cells[b] = "├", "┤"
    if point is not None:
        cells[at(point)] = "●"
    return Text("".join(cells), style="green")


def _scale(figures: Sequence[FigureLine]) -> float | None:
    """The strip scale of a group: the largest observed value, when two or more observed figures can be compared."""
    observed = [f for f in figures if f.kind == "observed"]
    values = [v for f in observed for v in (f.raw["rate"].get("percent"), f.raw["rate"].get("high")) if v is not None]
    return max(values) if len(observed) >= 2 and values and max(values) > 0 else None


def figure(f: FigureLine, *, label: str | None = None, scale: float | None = None) -> list[RenderableType]:
    """One figure, stacked: an optional label line, the headline (rate · KIND · severity · per), then details.

    With a ``scale``, an observed rate is also drawn as an interval strip; thresholds and upper
    bounds never are (they are not rates to compare with)."""
    out: list[RenderableType] = []
    if label:
        out.append(t(label, "bold"))
    head = Text("  ")
    if scale is not None:
        head.append_text(strip(f.raw["rate"], scale) if f.kind == "observed" else Text(" " * STRIP))
        head.append("  ")
    head.append(one_line(f.rate), style="bold")
    head.append(" · ")
    head.append(f.kind, style=KIND_STYLE.get(f.kind, ""))
    for extra in (f.severity, f.per):
        if extra:
            head.append(" · " + one_line(extra))
    out.append(head)
    for name, value in f.details():
        line = Text(f"{name}: ", style="dim")
        line.append(one_line(value))
        out.append(Padding(line, (0, 0, 0, 6)))
    return out


def figure_groups(groups: Sequence[tuple[str, Sequence[FigureLine]]]) -> list[RenderableType]:
    """Figures grouped under their complication or measure (thresholds first in each group)."""
    out: list[RenderableType] = []
    for label, figures in groups:
        scale = _scale(figures)
        heading = t(label, "bold cyan")
        if scale is not None:
            heading.append(f"  (strips: observed rates on 0-{scale:g}%)", style="dim")
        out.append(heading)
        for f in figures:
            out += figure(f, scale=scale)
    return out


def record(view: RecordView) -> RenderableType:
    """The whole record: a header panel, then each section under a rule."""
    head = t(view.name, "bold")
    head.append(f"  {view.kind}:{view.id}", style="dim")
    if view.aliases:
        head.append("\naka " + one_line(", ".join(view.aliases)), style="italic")
    head.append("\n" + one_line(view.facts))
    if view.summary:
        head.append("\n\n" + one_line(view.summary))
    parts: list[RenderableType] = [Panel(head, box=box.HEAVY, border_style="cyan")]
    for section in view.sections:
        parts.append(Rule(one_line(section.title), align="left", style="dim"))
        for item in section.items:
            line = Text("• " if not item.label else "")
            if item.label:
                line.append(one_line(item.label), style="cyan")
                line.append(": ")
            line.append(one_line(item.text))
            if item.source:
                line.append(f" [{one_line(item.source)}]", style="blue")
            parts.append(Padding(line, (0, 0, 0, 2)))
            for name, value in item.details:
                detail = Text(f"{name}: ", style="dim")
                detail.append(one_line(value))
                parts.append(Padding(detail, (0, 0, 0, 6)))
        parts += figure_groups(section.figures)
    parts.append(Text(one_line(view.footer), style="dim"))
    return Group(*parts)


def figure_rows(rows: Sequence[tuple[str, FigureLine]], group_by_label: bool) -> RenderableType:
    """Figures across records (``complications``, ``outcomes``): 'record — label', then the figure."""
    parts: list[RenderableType] = []
    last = None
    for owner, f in rows:
        key = f.label if group_by_label else owner
        if key != last:
            parts.append(t(key, "bold cyan"))
            last = key
        head = Text("  ")
        head.append(one_line(owner if group_by_label else f.label), style="bold")
        parts.append(head)
        parts += [Padding(r, (0, 0, 0, 2)) for r in figure(f)]
    return Group(*parts)


def _nth(i: int) -> Callable[[Any], str]:
    return lambda row: row[1][i]


def matrix(title: str, labels: Sequence[str], records: Sequence[str], cells: dict[str, dict[str, str]], width: int) -> RenderableType:
    """A compare matrix: rows are complications or measures, columns the records; stacked when narrow.
    A row whose cells differ is marked '≠' (not by colour alone)."""
    columns = [Column(title, lambda r: r[0], wrap=True)] + [Column(rid, _nth(i)) for i, rid in enumerate(records)]
    rows = []
    for label in labels:
        values = [cells[label].get(rid, "") or "—" for rid in records]
        mark = "≠ " if len(set(values)) > 1 else "= "
        rows.append((mark + label, values))
    return listing(rows, columns, width)


def stats(data: dict[str, Any]) -> RenderableType:
    """Counts and coverage as small tables."""
    parts: list[RenderableType] = []
    for key in ("counts", "procedures_by_category", "procedures_by_system", "procedures_by_modality", "sources_by_kind"):
        table = Table(title=key.replace("_", " "), box=box.SIMPLE, title_justify="left", title_style="bold")
        table.add_column("")
        table.add_column("n", justify="right")
        for k, v in data[key].items():
            table.add_row(t(str(k)), str(v))
        parts.append(table)
    parts.append(Rule("coverage", align="left", style="dim"))
    for k, v in data["coverage"].items():
        line = Text(f"{k.replace('_', ' ')}: {len(v)}", style="bold")
        parts.append(line)
        if v:
            parts.append(Padding(t(", ".join(v[:12]) + (f" and {len(v) - 12} more" if len(v) > 12 else "")), (0, 0, 0, 4)))
    figs = data["figures"]
    parts.append(Text(f"figures: {figs['complication_figures']} complication, {figs['outcome_figures']} outcome, {figs['access_route_figures']} access-route"))
    parts.append(Text("by kind: " + ", ".join(f"{k} {v}" for k, v in figs["by_rate_kind"].items())))
    parts.append(Text("counted per: " + ", ".join(f"{k} {v}" for k, v in figs["by_per"].items())))
    return Group(*parts)
