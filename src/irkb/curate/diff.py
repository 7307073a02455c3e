"""``irkb diff``: records added, removed, changed and invalid between two knowledge bases or exports.

List items are matched by what identifies them, not by position: a figure by its complication (or
measure), source and population; an alias by its text; a guidance entry by its modality; a note by
its text. So inserting one figure at the top of a list is one change, and a reordered list is no
change at all. A record that fails validation on one side is reported as ``invalid``, with its
problems — never as removed or added.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fmt import same_value


class _Missing:
    """Marks a value present on one side of a diff only."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()

# list field -> the item fields that identify an item (first found wins for plain lists of objects)
IDENTITY: dict[str, tuple[str, ...]] = {
    "complications": ("complication", "source", "population"),
    "outcomes": ("measure", "source", "population"),
    "key_figures": ("label", "source", "population", "unit"),
    "sheath_size": ("label", "source", "population", "unit"),
    "time_to_ambulation": ("label", "source", "population", "unit"),
    "aliases": ("text",),
    "guidance": ("modality",),
    "alternatives": ("procedure", "name"),
}


@dataclass(frozen=True)
class FieldChange:
    """One changed value: its path (``complications[haemorrhage · lewis-patel-2004].rate.percent``), old and new."""

    path: str
    old: Any
    new: Any


@dataclass
class RecordChange:
    """A record present on both sides whose fields differ."""

    kind: str
    id: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass(frozen=True)
class Invalid:
    """A record that fails validation on one side (``old`` or ``new``), with its problems."""

    kind: str
    id: str
    side: str
    problems: list[str]


@dataclass
class Side:
    """One side of a diff: valid documents by kind, and the records whose files fail validation."""

    docs: dict[str, list[dict[str, Any]]]
    invalid: dict[tuple[str, str], list[str]] = field(default_factory=dict)


@dataclass
class Diff:
    """Records added, removed, changed and invalid between two knowledge bases (kinds compared: ``kinds``)."""

    kinds: list[str]
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[RecordChange] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{added: [{kind, id}], removed: [...], changed: [{kind, id, fields: [{path, old, new}]}], invalid: [{kind, id, side, problems}]}``."""

        def plain(value: Any) -> Any:
            return None if value is MISSING else value

        return {
            "added": [{"kind": k, "id": i} for k, i in self.added],
            "removed": [{"kind": k, "id": i} for k, i in self.removed],
            "changed": [
                {"kind": c.kind, "id": c.id, "fields": [{"path": f.path, "old": plain(f.old), "new": plain(f.new)} for f in c.fields]} for c in self.changed
            ],
            "invalid": [{"kind": i.kind, "id": i.id, "side": i.side, "problems": i.problems} for i in self.invalid],
        }


def load_side(path: Path) -> Side:
    """One side from a knowledge-base directory (its invalid files too) or an export file (JSON envelope or JSONL)."""
    from ..export import UnreadableExport, read_export
    from ..kinds import BY_FOLDER, NAMES

    if path.is_dir():
        from ..kb import load

        kb = load(path)
        side = Side({kind: kb.catalog.docs(kind) for kind in NAMES})
        for row in kb.catalog.execute("SELECT path, kind, record_id, problems FROM files ORDER BY path"):
            rel, kind, rid, problems = row
            errors = [f"{p['code']}: {p['message']}" for p in json.loads(problems) if p["level"] == "error"]
            folder = rel.split("/")[0]
            if errors and folder in BY_FOLDER:
                side.invalid[(kind, rid or Path(rel).stem)] = errors
        for rel in kb.skipped():
            row = kb.catalog.execute("SELECT kind, record_id FROM files WHERE path = ?", (rel,)).fetchone()
            if row is not None and row[1] and (row[0], row[1]) not in side.invalid:
                side.invalid[(row[0], row[1])] = [f"duplicate-id: another file claims the id '{row[1]}'"]
        return side
    if path.exists():
        return Side(read_export(path))
    raise UnreadableExport(f"'{path}' does not exist")


def diff(old: Side, new: Side) -> Diff:
    """What changed from ``old`` to ``new``, for the kinds both sides hold."""
    from ..kinds import NAMES

    result = Diff([k for k in NAMES if k in old.docs and k in new.docs])
    for kind in result.kinds:
        before = {d["id"]: d for d in old.docs[kind]}
        after = {d["id"]: d for d in new.docs[kind]}
        for rid in sorted(after.keys() - before.keys()):
            if (kind, rid) in old.invalid:
                result.invalid.append(Invalid(kind, rid, "old", old.invalid[(kind, rid)]))
            else:
                result.added.append((kind, rid))
        for rid in sorted(before.keys() - after.keys()):
            if (kind, rid) in new.invalid:
                result.invalid.append(Invalid(kind, rid, "new", new.invalid[(kind, rid)]))
            else:
                result.removed.append((kind, rid))
        for rid in sorted(before.keys() & after.keys()):
            changes = field_changes(before[rid], after[rid])
            if changes:
                result.changed.append(RecordChange(kind, rid, changes))
    return result


def _key(item: Any, fields: tuple[str, ...]) -> str:
    if isinstance(item, dict):
        parts = [str(item[f]) for f in fields if item.get(f) not in (None, "")]
        if parts:
            return " · ".join(parts)
        if "text" in item:
            return str(item["text"])
    return item if isinstance(item, str) else json.dumps(item, sort_keys=True, ensure_ascii=False)


def _keyed(old: list[Any], new: list[Any], fields: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides' items by identity: the first two identifying fields when they tell items apart
    ('haemorrhage · lewis-patel-2004'), every identifying field when not, then '#n' for exact repeats."""
    short = fields[:2]
    clash = {k for items in (old, new) for k, n in Counter(_key(i, short) for i in items).items() if n > 1}

    def keyed(items: list[Any]) -> dict[str, Any]:
        seen: Counter[str] = Counter()
        out = {}
        for item in items:
            key = _key(item, short)
            key = _key(item, fields) if key in clash else key
            seen[key] += 1
            out[key if seen[key] == 1 else f"{key} #{seen[key]}"] = item
        return out

    return keyed(old), keyed(new)


def _plain(values: list[Any]) -> bool:
    return all(not isinstance(v, (dict, list)) for v in values)


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Changed values, deep: mappings by key, lists of objects by identity, plain lists as a whole (order aside)."""
    if same_value(old, new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for key in list(old) + [k for k in new if k not in old]:
            out += field_changes(old.get(key, MISSING), new.get(key, MISSING), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(old, list) and isinstance(new, list):
        if _plain(old) and _plain(new):
            if Counter(map(str, old)) == Counter(map(str, new)) and [type(v) for v in sorted(old, key=str)] == [type(v) for v in sorted(new, key=str)]:
                return []  # the same values in another order
            return [FieldChange(path or "(record)", old, new)]
        name = path.rsplit(".", 1)[-1]
        fields = IDENTITY.get(name, ())
        before, after = _keyed(old, new, fields)
        out = []
        for key in list(before) + [k for k in after if k not in before]:
            out += field_changes(before.get(key, MISSING), after.get(key, MISSING), f"{path}[{key}]")
        return out
    return [FieldChange(path or "(record)", old, new)]
