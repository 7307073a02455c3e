"""Records as plain data: one canonical key order for JSON, YAML, CSV and the formatter."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Record

_FIRST = ("id", "name", "title", "aliases")
_LAST = ("sources", "last_reviewed")


def field_order(model: type[Record]) -> list[str]:
    """Field names of a model in canonical order: id, name/title, aliases, the rest, sources, last_reviewed."""
    names = list(model.model_fields)
    head = [n for n in _FIRST if n in names]
    tail = [n for n in _LAST if n in names]
    return head + [n for n in names if n not in head and n not in tail] + tail


def record_dict(record: Record, record_type: bool = False, dump: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every field of the record (null or [] when empty), JSON-ready, in canonical order.

    With ``record_type`` the record's kind is added first (for output that mixes kinds);
    ``dump`` is the record's ``model_dump(mode="json")`` when the caller already has it.
    """
    data = dump if dump is not None else record.model_dump(mode="json")
    out: dict[str, Any] = {"record_type": record.record_type} if record_type else {}
    for name in field_order(type(record)):
        out[name] = data[name]
    return out


def to_json(value: Any, indent: int | None = 2) -> str:
    """Deterministic JSON text (UTF-8 kept as is)."""
    return json.dumps(value, indent=indent, ensure_ascii=False)


def flat_value(value: Any) -> str:
    """A cell for CSV or TSV: text as is, lists of text joined with '; ', objects as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float, dt.date)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return "; ".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _num(value: float) -> str:
    return f"{value:g}"


def rate_upper(rate: dict[str, Any]) -> float:
    """The figure used to compare rates: percent, else high, else low."""
    return float(next((v for v in (rate.get("percent"), rate.get("high"), rate.get("low")) if v is not None), 0.0))


def rate_display(rate: dict[str, Any]) -> str:
    """A rate as a person reads it, e.g. '0.6% (2/318)', '≤4%', '1-3%', '20.5% (95% CI 18-23%)'."""
    parts: list[str] = []
    percent, low, high = rate.get("percent"), rate.get("low"), rate.get("high")
    if percent is not None:
        parts.append(f"{_num(percent)}%")
    if low is not None and high is not None:
        span = f"{_num(low)}-{_num(high)}%"
        label = {"ci95": "95% CI ", "iqr": "IQR "}.get(str(rate.get("interval") or ""), "")
        parts.append(f"({label}{span})" if parts else span)
    elif high is not None:
        parts.append(f"≤{_num(high)}%")
    elif low is not None:
        parts.append(f"≥{_num(low)}%")
    if rate.get("numerator") is not None:
        parts.append(f"({rate['numerator']}/{rate['denominator']})")
    return " ".join(parts)
