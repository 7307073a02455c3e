"""libyaml's parser events, made cheaper to create.

ruamel's C parser builds every event by calling the event class of ``ruamel.yaml.events``, whose
``__init__`` calls its parents' in turn: three Python calls for each of the ~500 events of a
record (one call instead of three saves about 7% of a worker's instructions). ``lean_events``,
called by each worker of a cold build, gives the parser subclasses that set the same attributes
in one call, and keeps them only when they give exactly the events the originals give
on a probe document that holds every kind of event; otherwise (another ruamel, another C parser,
the pure one) nothing changes. Being subclasses, they pass every ``isinstance`` ruamel and irkb
make.
"""

from __future__ import annotations

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
empty:
...
"""

_cached: dict[str, Any] = {}


def _lean_classes() -> dict[str, type]:
    from ruamel.yaml import events

    class ScalarEvent(events.ScalarEvent):
        __slots__ = ()

        def __init__(
            self, anchor: Any, tag: Any, implicit: Any, value: Any, start_mark: Any = None, end_mark: Any = None, style: Any = None, comment: Any = None
        ) -> None:
            self.anchor, self.ctag, self.implicit, self.value = anchor, tag, implicit, value
            self.start_mark, self.end_mark, self.style, self.comment = start_mark, end_mark, style, comment

    def start_init(
        self: Any,
        anchor: Any,
        tag: Any,
        implicit: Any,
        start_mark: Any = None,
        end_mark: Any = None,
        flow_style: Any = None,
        comment: Any = None,
        nr_items: Any = None,
    ) -> None:
        self.anchor, self.ctag, self.implicit, self.start_mark, self.end_mark = anchor, tag, implicit, start_mark, end_mark
        self.flow_style, self.comment, self.nr_items = flow_style, comment, nr_items

    def end_init(self: Any, start_mark: Any = None, end_mark: Any = None, comment: Any = None) -> None:
        self.start_mark, self.end_mark, self.comment = start_mark, end_mark, comment

    made: dict[str, type] = {"ScalarEvent": ScalarEvent}
    for name, init in (("MappingStartEvent", start_init), ("SequenceStartEvent", start_init), ("MappingEndEvent", end_init), ("SequenceEndEvent", end_init)):
        made[name] = type(name, (getattr(events, name),), {"__slots__": (), "__init__": init, "__module__": __name__})
    return made


def _mark(mark: Any) -> Any:
    return None if mark is None else (mark.name, mark.index, mark.line, mark.column)


def _probe(parser_class: Any) -> list[tuple[Any, ...]]:
    """Every event of the probe document: its original class and every attribute, marks as values."""
    from ruamel.yaml import events

    originals = tuple(getattr(events, n) for n in dir(events) if n.endswith("Event") and isinstance(getattr(events, n), type))
    out = []
    parser = parser_class(_PROBE)
    try:
        while parser.check_event():
            event = parser.get_event()
            base = next(c for c in type(event).__mro__ if c in originals)
            names = sorted({n for c in type(event).__mro__ for n in getattr(c, "__slots__", ())})
            out.append((base.__name__, *((n, _mark(getattr(event, n)) if n.endswith("_mark") else getattr(event, n, None)) for n in names)))
    finally:
        parser.dispose()
    return out


def current() -> dict[str, type]:
    """The event classes the parser makes now, by name: the lean ones once ``lean_events`` chose
    them in this process, else ruamel's own (nothing is probed here)."""
    if _cached:
        return _cached
    from ruamel.yaml import events

    return {name: getattr(events, name) for name in _NAMES}


_NAMES = ("ScalarEvent", "MappingStartEvent", "SequenceStartEvent", "MappingEndEvent", "SequenceEndEvent")


def lean_events() -> dict[str, type]:
    """Give the parser the lean event classes when they prove the same (else keep ruamel's own);
    the classes it makes from now on, by name. Decided once per process, for a process that parses
    many files (the probe costs about a millisecond: more than it saves on one file)."""
    if _cached:
        return _cached
    import importlib

    from ruamel.yaml import events

    chosen = {name: getattr(events, name) for name in _NAMES}
    try:
        module = importlib.import_module("_ruamel_yaml")
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - no C extension: the pure parser is left as it is
        module = None
    if module is not None and all(getattr(module, name, None) is cls for name, cls in chosen.items()):
        lean = _lean_classes()
        expected = _probe(CParser)
        for name, cls in lean.items():
            setattr(module, name, cls)
        try:
            same = _probe(CParser) == expected
        except Exception:
            same = False
        if same:
            chosen = lean
        else:
            for name, cls in chosen.items():
                setattr(module, name, cls)
    _cached.update(chosen)
    return _cached
