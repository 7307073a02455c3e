"""Where a value stands in a YAML text: line and column of a path (``('complications', 0, 'rate')``).

Positions come from the parser's events (C speed, no recursion, no tree), built only for files
that have a problem to locate; the common case (a top-level key) needs no parse at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .yaml import _events


def top_level_position(text: str, loc: tuple[str | int, ...]) -> tuple[int, int] | None:
    """Line and column of a top-level key's one-line value, found without parsing; None if unsure.

    Most per-record problems point at a top-level field (``id``, ``last_reviewed``); in a block
    mapping such a key starts a line at column 1, and a value on the same line starts after
    ``key:`` and its spaces. Anything else (nested paths, block values) goes to ``locate``.
    """
    if len(loc) != 1 or not isinstance(loc[0], str):
        return None
    match = re.search(rf"^{re.escape(loc[0])}:[ ]+(?=[^\s#])", text, re.MULTILINE)
    if match is None or "\t" in text[: match.end()]:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return line, match.end() - match.start() + 1


@dataclass
class _Frame:
    """An open collection while indexing positions."""

    path: tuple[Any, ...] | None  # None: inside a complex key, nothing to record
    is_map: bool
    next_index: int = 0
    key: Any = None
    key_mark: tuple[int, int] = (1, 1)
    awaiting_key: bool = True


_COMPLEX_KEY = object()


@dataclass
class _Positions:
    """Where every node of a document starts, by path, and where each mapping key stands."""

    values: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    keys: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    top_keys: list[tuple[int, int]] = field(default_factory=list)


@lru_cache(maxsize=4)  # problems come file by file; a few large indexes at most stay in memory
def _positions(text: str) -> _Positions:
    """Positions of the document's nodes, from the parser's events (C speed, no recursion, no tree).

    Built once per text and only when a problem needs locating. A syntax error part-way leaves
    the positions found before it.
    """
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent, MappingStartEvent, NodeEvent, ScalarEvent

    out = _Positions()
    stack: list[_Frame] = []
    try:
        for event in _events(text):
            if isinstance(event, CollectionEndEvent):
                frame = stack.pop()
                if stack and stack[-1].is_map and stack[-1].key is _COMPLEX_KEY and frame.path is None and stack[-1].awaiting_key:
                    stack[-1].awaiting_key = False
                continue
            if not isinstance(event, NodeEvent):
                continue
            mark = (event.start_mark.line + 1, event.start_mark.column + 1)
            path: tuple[Any, ...] | None
            if not stack:
                path = ()
            else:
                parent = stack[-1]
                if parent.path is None:
                    path = None
                elif not parent.is_map:
                    path = (*parent.path, parent.next_index)
                    parent.next_index += 1
                elif parent.awaiting_key:
                    parent.key_mark = mark
                    if parent.path == ():
                        out.top_keys.append(mark)
                    if isinstance(event, ScalarEvent):
                        parent.key, parent.awaiting_key = event.value, False
                    else:  # a collection as a key: skip it, then expect its value
                        parent.key = _COMPLEX_KEY
                        stack.append(_Frame(None, isinstance(event, MappingStartEvent)))
                    continue
                else:
                    path = (*parent.path, parent.key) if parent.key is not _COMPLEX_KEY else None
                    if path is not None:
                        out.keys.setdefault(path, parent.key_mark)
                    parent.key, parent.awaiting_key = None, True
            if path is not None:
                out.values.setdefault(path, mark)
            if isinstance(event, CollectionStartEvent):
                stack.append(_Frame(path, isinstance(event, MappingStartEvent)))
    except Exception:
        pass  # a syntax error: keep what was found
    return out


def locate(text: str, loc: tuple[str | int, ...], at_key: bool = False) -> tuple[int, int]:
    """1-based line and column of the YAML node at ``loc`` (a pydantic-style path).

    With ``at_key`` the position of the mapping key rather than its value. When the path runs
    out (a missing field), the position of the deepest node that exists.
    """
    found = _positions(text)
    where = found.values.get((), (1, 1))
    for end in range(1, len(loc) + 1):
        path = tuple(loc[:end])
        if path not in found.values:
            break
        where = found.keys.get(path, found.values[path]) if at_key and end == len(loc) else found.values[path]
    return where


def root_position(text: str) -> tuple[int, int]:
    """Line and column where the document's top node starts (after comments and directives)."""
    from ruamel.yaml.events import NodeEvent

    try:
        for event in _events(text):
            if isinstance(event, NodeEvent):
                return event.start_mark.line + 1, event.start_mark.column + 1
    except Exception:
        pass
    return 1, 1


def key_position(text: str, index: int) -> tuple[int, int]:
    """Line and column of the ``index``-th key of the top-level mapping."""
    keys = _positions(text).top_keys
    return keys[index] if index < len(keys) else root_position(text)
