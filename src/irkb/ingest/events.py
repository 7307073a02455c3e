"""libyaml's parser events as their arguments, while irkb's one-pass loader reads a file.

ruamel's C parser makes each event by calling a class of ``ruamel.yaml.events``, looked up in its
module at each call; that class's ``__init__`` is Python, and calling it was a third of the time
it takes to load a record. While ``compose`` reads a file, ``positional`` puts in those classes'
place factories written in C (``functools.partial``) that keep the arguments as they are: an
event is then ``partial(ScalarEvent, anchor, tag, implicit, value, ...)``, whose ``func`` is
ruamel's class and whose ``args`` are read by position. ruamel's classes are put back as soon as
the file is read, so every other reader (ruamel's own loader, the guard) gets ruamel's events.

They are used only when a probe document that holds every kind of event gives, read by position,
exactly what ruamel's own events hold; otherwise (another C parser, or none) ``positional`` gives
None and ``compose`` leaves every file to the known two-step route.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from typing import Any

_PROBE = """\
%YAML 1.2
---
# a comment
plain: text
quoted: 'single' # after
double: "with \\t escape"
folded: >
  one
  two
literal: |
  kept
number: 12
list:
  - a
  - {b: 1, c: [2, 3]}
anchored: &x value
alias: *x
tagged: !!str 5
flow: [x, {y: z}]
empty:
...
"""

NAMES = ("ScalarEvent", "MappingStartEvent", "SequenceStartEvent", "MappingEndEvent", "SequenceEndEvent")
"""The events made by position; the others (stream, document, alias) stay ruamel's: a few per file."""

# Where ``compose`` reads each attribute in an event's arguments (the order ruamel's parser passes them).
SCALAR = {"anchor": 0, "ctag": 1, "implicit": 2, "value": 3, "start_mark": 4, "end_mark": 5, "style": 6}
COLLECTION_START = {"anchor": 0, "ctag": 1, "implicit": 2, "start_mark": 3, "end_mark": 4, "flow_style": 5}
COLLECTION_END = {"start_mark": 0, "end_mark": 1}

_decided: list[Any] = []
"""Decided once per process: [the C parser's module] when events by position are the same as
ruamel's there, else [None]."""


def _module() -> Any:
    import importlib

    try:
        return importlib.import_module("_ruamel_yaml")
    except ImportError:  # pragma: no cover - no C extension
        return None


@contextlib.contextmanager
def _installed(module: Any) -> Iterator[None]:
    """The parser makes events by position inside the block; ruamel's classes are put back after."""
    originals = {name: getattr(module, name) for name in NAMES}
    try:
        for name, cls in originals.items():
            setattr(module, name, _factory(cls))
        yield
    finally:
        for name, cls in originals.items():
            setattr(module, name, cls)


_FACTORIES: dict[Any, partial[Any]] = {}


def _factory(cls: Any) -> partial[Any]:
    """``partial(partial, cls)``: called as the class would be, it keeps the arguments (made once per class)."""
    found = _FACTORIES.get(cls)
    if found is None:
        found = _FACTORIES[cls] = partial(partial, cls)
    return found


def _mark(mark: Any) -> Any:
    return None if mark is None else (mark.name, mark.index, mark.line, mark.column)


def _same(event: Any, made: Any) -> bool:
    """Whether ``made`` (an event by position) holds what ruamel's ``event`` holds, where compose reads it."""
    from ruamel.yaml import events

    if type(event).__name__ not in NAMES:
        return made is not None and type(made) is type(event)
    if type(made) is not partial or made.func is not type(event) or made.keywords:
        return False
    where = SCALAR if isinstance(event, events.ScalarEvent) else COLLECTION_END if isinstance(event, events.CollectionEndEvent) else COLLECTION_START
    if len(made.args) != len(where):
        return False
    for name, index in where.items():
        value, expected = made.args[index], getattr(event, name)
        if (_mark(value) != _mark(expected)) if name.endswith("_mark") else (value != expected or type(value) is not type(expected)):
            return False
    return True


def _events_of(parser_class: Any) -> list[Any]:
    parser = parser_class(_PROBE)
    try:
        out = []
        while (event := parser.get_event()) is not None:
            out.append(event)
        return out
    finally:
        parser.dispose()


def _verify(module: Any) -> bool:
    """Whether events by position hold exactly what ruamel's own events hold, on the probe."""
    from ruamel.yaml import events

    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - no C extension
        return False
    if not all(getattr(module, name, None) is getattr(events, name) for name in NAMES):
        return False  # someone else changed the parser's classes: leave them alone
    expected = _events_of(CParser)
    try:
        with _installed(module):
            made = _events_of(CParser)
    except Exception:
        return False
    return len(made) == len(expected) and all(_same(e, m) for e, m in zip(expected, made, strict=True))


def positional() -> contextlib.AbstractContextManager[None] | None:
    """A block in which the C parser makes events by position, or None: when they are not the same
    as ruamel's here (checked once per process, on the probe document: about 0.35 ms), or when the
    process runs other threads, one of which could parse with ruamel while its classes are swapped
    (the CLI and the workers of a cold build run none; a threaded program using irkb's Python API
    gets ruamel's own loader, slower and the same)."""
    import threading

    if threading.active_count() > 1:
        return None
    if not _decided:
        module = _module()
        _decided.append(module if module is not None and _verify(module) else None)
    return None if _decided[0] is None else _installed(_decided[0])
