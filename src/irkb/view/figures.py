"""The figure view: what every human format shows of a cited figure, so no two look alike on screen.

A figure is shown as its label (the complication or measure), what it counts (its note), the rate
with counts and interval (and the other arm's, "1.1% vs 4.8% (no filter)"), its kind — a
THRESHOLD or an upper bound never reads as an observed rate — severity and scale, what the rate is
per, the population, and the source with its kind and locator. ``show``, ``complications``,
``outcomes`` and ``compare`` all build their lines here; rich, plain and Markdown only lay them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

KIND_LABEL = {"observed": "observed", "threshold": "THRESHOLD", "upper-bound": "upper bound"}
KIND_ORDER = {"threshold": 0, "observed": 1, "upper-bound": 2}
PER_LABEL = {
    "patient": "per patient",
    "procedure": "per procedure",
    "device": "per device",
    "lesion": "per lesion",
    "vessel": "per vessel",
    "limb": "per limb",
    "study": "across studies",
    "other": "per other unit",
}


def num(value: float) -> str:
    """A number as printed: no trailing zeros."""
    return f"{value:g}"


def rate_text(rate: dict[str, Any]) -> str:
    """A rate as a person reads it: '0.6% (2/318)', '≤4%', '1-3%', '20.5% (95% CI 18-23%)'."""
    parts: list[str] = []
    percent, low, high = rate.get("percent"), rate.get("low"), rate.get("high")
    if percent is not None:
        parts.append(f"{num(percent)}%")
    if low is not None and high is not None:
        span = f"{num(low)}-{num(high)}%"
        label = {"ci95": "95% CI ", "iqr": "IQR ", "range": "range "}.get(str(rate.get("interval") or ""), "")
        parts.append(f"({label}{span})" if parts else (f"{label}{span}" if label != "range " else span))
    elif high is not None:
        parts.append(f"≤{num(high)}%")
    elif low is not None:
        parts.append(f"≥{num(low)}%")
    if rate.get("numerator") is not None:
        parts.append(f"({rate['numerator']}/{rate['denominator']})")
    return " ".join(parts)


def upper(rate: dict[str, Any]) -> float:
    """The value a figure is compared and sorted by: percent, else high, else low."""
    return float(next((v for v in (rate.get("percent"), rate.get("high"), rate.get("low")) if v is not None), 0.0))


def with_comparator(figure: dict[str, Any]) -> str:
    """The rate, and the other arm's when there is one: '1.1% vs 4.8% (no filter)'."""
    text = rate_text(figure["rate"])
    other = figure.get("comparator")
    if other:
        text += f" vs {rate_text(other['rate'])} ({other['label']})"
    return text


def measure_text(m: dict[str, Any]) -> str:
    """A cited quantity as a person reads it: '6-7 Fr (typical)', '<12 mmHg (target)'."""
    if m.get("value") is not None:
        text = num(m["value"])
    elif m.get("low") is not None and m.get("high") is not None:
        text = f"{num(m['low'])}-{num(m['high'])}"
    elif m.get("high") is not None:
        text = f"≤{num(m['high'])}"
    else:
        text = f"≥{num(m.get('low') or 0)}"
    unit = m["unit"]
    text = f"{text}{unit}" if unit == "%" else f"{text} {unit}"
    return text + (f" ({m['qualifier']})" if m.get("qualifier") else "")


@dataclass(frozen=True)
class FigureLine:
    """One figure, every fact a person needs, as short texts (empty when the record says nothing)."""

    label: str  # complication name or measure id
    counts: str  # the note: what exactly is counted
    rate: str  # with counts, interval and comparator
    kind: str  # observed | THRESHOLD | upper bound
    severity: str  # 'major (sir-legacy)'
    per: str  # 'per patient'
    population: str
    source: str  # 'lewis-patel-2004 (primary-study), abstract'
    raw: dict[str, Any]  # the figure itself (JSON data)

    def details(self) -> list[tuple[str, str]]:
        """(label, text) of the detail lines a stacked layout shows under the figure's first line."""
        out = [("counts", self.counts), ("in", self.population), ("source", self.source)]
        return [(k, v) for k, v in out if v]

    def headline(self) -> str:
        """The first line: rate, kind, severity and per, e.g. '0.6% (2/318) · observed · major (sir-legacy) · per procedure'."""
        return " · ".join(p for p in (self.rate, self.kind, self.severity, self.per) if p)


def cited(source: str | None, source_kinds: dict[str, str], locator: str | None = None) -> str:
    """A source as a figure names it: ``id (kind), locator``, or ``uncited``."""
    if not source:
        return "uncited"
    kind = source_kinds.get(source)
    return source + (f" ({kind})" if kind else "") + (f", {locator}" if locator else "")


def figure_line(figure: dict[str, Any], label: str, source_kinds: dict[str, str]) -> FigureLine:
    """The figure view of one complication or outcome figure (``source_kinds``: source id -> kind)."""
    source_text = cited(figure.get("source"), source_kinds, figure.get("locator"))
    severity = figure.get("severity") or ""
    if severity and figure.get("severity_scale") and figure["severity_scale"] != "unspecified":
        severity += f" ({figure['severity_scale']})"
    return FigureLine(
        label=label,
        counts=figure.get("note") or "",
        rate=with_comparator(figure),
        kind=KIND_LABEL.get(figure.get("rate_kind") or "observed", figure.get("rate_kind") or ""),
        severity=severity,
        per=PER_LABEL.get(figure.get("per") or "", ""),
        population=figure.get("population") or "",
        source=source_text,
        raw=figure,
    )


def grouped(figures: Iterable[tuple[str, dict[str, Any]]], source_kinds: dict[str, str]) -> list[tuple[str, list[FigureLine]]]:
    """Figures grouped by label (in first-seen order), thresholds first within a group, then by rate."""
    groups: dict[str, list[FigureLine]] = {}
    for label, figure in figures:
        groups.setdefault(label, []).append(figure_line(figure, label, source_kinds))
    for lines in groups.values():
        lines.sort(key=lambda f: (KIND_ORDER.get(f.raw.get("rate_kind") or "observed", 3), -upper(f.raw["rate"])))
    return list(groups.items())


def span(figures: Sequence[dict[str, Any]]) -> str:
    """The range of several figures' values, for a cell of ``compare``: '0.6-4%', or one rate."""
    values = [v for f in figures for v in (f["rate"].get("percent"), f["rate"].get("low"), f["rate"].get("high")) if v is not None]
    if not values:
        return ""
    low, high = min(values), max(values)
    return f"{num(low)}%" if low == high else f"{num(low)}-{num(high)}%"
