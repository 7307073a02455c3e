"""Safe YAML for untrusted data files: YAML 1.2, no tags, no aliases, no duplicate keys, bounded depth.

``compose`` guards and builds in one pass over libyaml's events; anything unusual falls back to
``guard`` then ruamel.yaml's safe loader (``parse_yaml``), whose messages are known. Impossible
dates and numbers become ``ScalarError``s located at their node. Nothing here knows about records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import Any

from ..errors import Problem

# Integers must fit in 64 bits (SQLite's INTEGER, every JSON reader's int64); nothing irkb records
# (counts, years, sizes) comes near the bound, so a longer number is a mistake or an attack.
INT_BOUND = 2**63 - 1


class ScalarError(ValueError):
    """A scalar the YAML resolver typed (a date, a number) whose value is impossible."""

    def __init__(self, code: str, message: str, mark: Any, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problem_mark = mark
        self.hint = hint


def _constructor() -> Any:
    """The safe constructor, made strict where plain YAML would crash or accept nonsense.

    An impossible date (``2026-02-30``) or an integer too long to convert raises a bare
    ``ValueError`` deep inside ruamel.yaml, with no position; ``.inf`` and ``.nan`` are floats
    JSON cannot carry. Each becomes a ``ScalarError`` located at its node.
    """
    from ruamel.yaml.constructor import SafeConstructor

    class StrictConstructor(SafeConstructor):
        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError as exc:
                raise ScalarError("invalid-date", f"'{node.value}' is not a valid date: {exc}", node.start_mark, "write dates as YYYY-MM-DD") from None

        def construct_yaml_int(self, node: Any) -> Any:
            try:
                value = super().construct_yaml_int(node)
            except ValueError:
                raise ScalarError("out-of-range", f"number '{clip(node.value)}' is too long", node.start_mark, _NUMBER_HINT) from None
            if not -INT_BOUND <= value <= INT_BOUND:
                raise ScalarError("out-of-range", f"number '{clip(node.value)}' does not fit in 64 bits", node.start_mark, _NUMBER_HINT)
            return value

        def construct_yaml_float(self, node: Any) -> Any:
            value = super().construct_yaml_float(node)
            if value != value or value in (float("inf"), float("-inf")):
                raise ScalarError("out-of-range", f"'{clip(node.value)}' is not a finite number", node.start_mark, _NUMBER_HINT)
            return value

    StrictConstructor.add_constructor("tag:yaml.org,2002:timestamp", StrictConstructor.construct_yaml_timestamp)
    StrictConstructor.add_constructor("tag:yaml.org,2002:int", StrictConstructor.construct_yaml_int)
    StrictConstructor.add_constructor("tag:yaml.org,2002:float", StrictConstructor.construct_yaml_float)
    return StrictConstructor


_NUMBER_HINT = "quote the value if it is meant as text"


def clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _fast_yaml() -> Any:
    from ruamel.yaml import YAML

    try:
        yaml = YAML(typ="safe", pure=False)
    except Exception:  # pragma: no cover - no C extension: the pure loader is just slower
        yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _constructor()
    yaml.Resolver = _resolver()
    return yaml


def _resolver() -> Any:
    """YAML 1.2 resolution, decided once per document instead of once per scalar.

    ruamel's versioned resolver looks the document's YAML version up again for every scalar,
    which is a third of the parse time; irkb data is YAML 1.2 whatever a ``%YAML`` directive says.
    """
    from ruamel.yaml.resolver import VersionedResolver

    class Yaml12Resolver(VersionedResolver):
        @property
        def processing_version(self) -> Any:
            return (1, 2)

        @property
        def versioned_resolver(self) -> Any:
            table = self.__dict__.get("_irkb_table")
            if table is None:
                table = super().versioned_resolver
                self.__dict__["_irkb_table"] = table
            return table

    return Yaml12Resolver


_FAST: Any = None


def parse_yaml(text: str) -> Any:
    """Parse one YAML document with the safe loader (YAML 1.2, no tags, duplicate keys rejected).

    Call ``guard`` first: the composer recurses, and very deep input crashes the process.
    """
    global _FAST
    if _FAST is None:
        _FAST = _fast_yaml()
    return _FAST.load(text)


def _events(text: str) -> Iterator[Any]:
    """The parser's events for ``text``: libyaml's parser when present (fast), else the pure one.

    Both keep their own stack instead of recursing, so no nesting depth can crash them.
    """
    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - no C extension
        from ruamel.yaml import YAML

        yield from YAML(typ="safe", pure=True).parse(text)
        return
    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


def guard(text: str, max_depth: int, *, aliases: bool = True, tags: bool = True) -> tuple[str, int, int] | None:
    """The first construct irkb refuses before loading: ``(code, line, col)``, or None.

    Codes: ``too-deep`` (collections nested deeper than ``max_depth``), ``yaml-alias`` (an alias:
    expanding them is the "billion laughs" attack), ``yaml-tag`` (an explicit ``!tag``). This walks
    parser events only, never building anything, and stops at the first breach, so it is linear
    in the input and bounded in memory whatever the nesting. A syntax error ends the walk with
    None: the real parse then reports it, and cannot have nested deeper than the walk got.
    """
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent, ScalarEvent

    depth = 0
    try:
        for event in _events(text):
            if aliases and isinstance(event, AliasEvent):
                return "yaml-alias", event.start_mark.line + 1, event.start_mark.column + 1
            if tags and isinstance(event, NodeEvent) and getattr(event, "tag", None) is not None:  # only a written tag sets it
                return "yaml-tag", event.start_mark.line + 1, event.start_mark.column + 1
            if tags and isinstance(event, ScalarEvent) and event.value == "<<" and event.implicit[0]:  # a merge key
                return "yaml-merge", event.start_mark.line + 1, event.start_mark.column + 1
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    return "too-deep", event.start_mark.line + 1, event.start_mark.column + 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except RecursionError:  # pragma: no cover - only the pure fallback could, and it keeps a stack
        return "too-deep", 1, 1
    except Exception:
        return None  # a syntax error: the real parse reports it with its position
    return None


class _Fallback(Exception):
    """Something the one-pass loader leaves to ruamel's own (slower) composer."""


_NO_KEY = object()


_PLAIN: dict[str, Any] = {}
"""Plain scalar text -> its value as the YAML 1.2 resolver types it (a string, a number, a boolean,
null, a date). The value depends on the text alone and is immutable, so one table serves every
file; long text is not kept (it rarely comes twice), and the table stops growing at ``_PLAIN_MAX``."""

_TEXT = object()  # not in _PLAIN
_PLAIN_MAX = 65536
_SHORT = 80

_CONSTRUCTOR: Any = None


_RESOLVER: Any = None


def compose(text: str, max_depth: int) -> tuple[str, Any]:
    """Guard and load in one pass over libyaml's events: ``("ok", data)``, ``("refused", (code,
    line, col))`` or ``("fallback", None)``.

    The guard (depth, aliases, explicit tags) and the build share the same event stream, so a
    file is parsed once instead of twice. Plain scalars are typed by ruamel's own YAML 1.2
    resolver and built by ruamel's own constructor methods (with irkb's strict dates and
    numbers), so values are exactly what ``parse_yaml`` gives; duplicate keys are refused like
    ruamel refuses them. Whatever is unusual — a syntax error, several documents, an anchor, a
    merge key, a complex key — returns ``fallback`` and takes the old two-step route, whose
    messages are known.
    """
    global _CONSTRUCTOR, _RESOLVER, _RULE_STARTS
    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - no C extension
        return "fallback", None
    from .events import positional

    by_position = positional()
    if by_position is None:
        return "fallback", None  # pragma: no cover - a C parser that makes its events otherwise
    from ruamel.yaml.events import AliasEvent, DocumentStartEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
    from ruamel.yaml.nodes import ScalarNode

    if _CONSTRUCTOR is None:
        import types

        yaml = _fast_yaml()
        holder = types.SimpleNamespace()  # what ruamel's constructor asks its loader for
        _RESOLVER = holder._resolver = yaml.Resolver(loadumper=holder)
        _CONSTRUCTOR = yaml.Constructor(loader=holder)
        _RULE_STARTS = _rule_starts(_RESOLVER)
    plain = _PLAIN
    made_by_position = partial
    # The open collection and, in a mapping, the key waiting for its value; the outer ones saved.
    top: Any = None
    top_list = False
    key: Any = _NO_KEY
    saved: list[tuple[Any, bool, Any]] = []
    root: Any = None
    documents = 0
    with by_position:  # each event is partial(<ruamel's class>, *its arguments): see irkb.ingest.events
        parser = CParser(text)
        next_event = parser.get_event  # None after the stream's end (one call per event, not two)
        try:
            while (event := next_event()) is not None:
                if type(event) is made_by_position:
                    made = event.func
                    if made is ScalarEvent:
                        anchor, tag, implicit, value, start_mark, end_mark, style = event.args
                        if anchor is not None:
                            return "fallback", None  # anchors are rare in records: ruamel's composer judges them
                        if tag is not None:
                            return "refused", ("yaml-tag", start_mark.line + 1, start_mark.column + 1)
                        if implicit[0]:
                            known = plain.get(value, _TEXT)
                            if known is not _TEXT:
                                value = known
                            elif value == "<<":
                                return "refused", ("yaml-merge", start_mark.line + 1, start_mark.column + 1)
                            else:
                                value = _typed(value, ScalarNode, start_mark, end_mark, style)
                        if key is not _NO_KEY:  # the value of a mapping's waiting key
                            if key in top:
                                return "fallback", None  # a duplicate key: ruamel's message and position
                            top[key] = value
                            key = _NO_KEY
                        elif top_list:
                            top.append(value)
                        elif top is None:
                            root = value
                        else:
                            key = value  # a mapping's next key
                    elif made is MappingStartEvent or made is SequenceStartEvent:
                        anchor, tag, _, start_mark = event.args[:4]
                        if anchor is not None:
                            return "fallback", None
                        if tag is not None:
                            return "refused", ("yaml-tag", start_mark.line + 1, start_mark.column + 1)
                        if len(saved) >= max_depth:
                            return "refused", ("too-deep", start_mark.line + 1, start_mark.column + 1)
                        value = {} if made is MappingStartEvent else []
                        if key is not _NO_KEY:
                            if key in top:
                                return "fallback", None
                            top[key] = value
                        elif top_list:
                            top.append(value)
                        elif top is None:
                            root = value
                        else:
                            return "fallback", None  # a complex key: ruamel decides what to say about it
                        saved.append((top, top_list, _NO_KEY))
                        top, top_list, key = value, made is SequenceStartEvent, _NO_KEY
                    else:  # the end of a mapping or a sequence
                        top, top_list, key = saved.pop()
                elif type(event) is DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        return "fallback", None
                elif type(event) is AliasEvent:
                    return "fallback", None  # the guard refuses it, with its message
        except _Fallback:
            return "fallback", None
        except Exception:
            return "fallback", None  # a syntax error: the known route reports it with its position
        finally:
            parser.dispose()
    return "ok", root


def _rule_starts(resolver: Any) -> frozenset[str] | None:
    """The first characters the resolver's implicit rules are filed under: a plain scalar that starts
    with none of them is text without asking it (as ``resolve`` would find no rule to try). None
    when some rule applies whatever the first character, or rules by path are set: ask every time."""
    table = resolver.versioned_resolver
    if table.get(None) or getattr(resolver, "yaml_path_resolvers", None):
        return None
    return frozenset(key for key in table if key is not None)


_RULE_STARTS: frozenset[str] | None = None


def _typed(value: str, node_type: Any, start_mark: Any, end_mark: Any, style: Any) -> Any:
    """A plain scalar's value as the YAML 1.2 resolver and irkb's strict constructor make it."""
    if _RULE_STARTS is not None and value[:1] not in _RULE_STARTS:  # most prose: no rule to try
        if len(value) <= _SHORT and len(_PLAIN) < _PLAIN_MAX:
            _PLAIN[value] = value
        return value
    tag = _RESOLVER.resolve(node_type, value, (True, False))
    name = str(tag)
    if name == "tag:yaml.org,2002:str":
        if len(value) <= _SHORT and len(_PLAIN) < _PLAIN_MAX:
            _PLAIN[value] = value
        return value
    if name == "tag:yaml.org,2002:merge":
        raise _Fallback
    node = node_type(tag, value, start_mark, end_mark, style)
    try:
        built = _CONSTRUCTOR.construct_object(node, deep=True)
    finally:
        # ruamel remembers every node it built until its document ends; ours never does, and
        # the nodes hold the parser's marks: forget each one (memory stays flat over 10,000 files).
        _CONSTRUCTOR.constructed_objects.pop(node, None)
    if len(_PLAIN) < _PLAIN_MAX:
        _PLAIN[value] = built  # only reached when the value was built without error
    return built


# code -> (message, hint) of the constructs ``guard`` refuses.
REFUSED = {
    "too-deep": ("nesting is deeper than {depth} levels", "flatten the record, or raise IRKB_MAX_DEPTH if it really needs the depth"),
    "yaml-alias": ("YAML anchors and aliases are not allowed in irkb data", "write the value out in full"),
    "yaml-tag": ("YAML tags (!tag, !!type) are not allowed in irkb data", "remove the tag; a quoted value is always text"),
    "yaml-merge": ("YAML merge keys (<<) are not allowed in irkb data", "write the fields out in full"),
}


def yaml_problem(exc: Exception, display: str) -> Problem:
    if isinstance(exc, ScalarError):
        mark = exc.problem_mark
        return Problem(display, mark.line + 1, mark.column + 1, exc.code, exc.message, "error", exc.hint)
    name = type(exc).__name__
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if name == "DuplicateKeyError":
        match = re.search(r'found duplicate key "([^"]*)"', str(exc))
        key = match.group(1) if match else "?"
        return Problem(display, line, col, "duplicate-key", f"duplicate key '{key}'", "error", "each field may appear once; merge the two")
    if name == "ConstructorError" and "tag" in str(problem):
        return Problem(display, line, col, "yaml-tag", f"YAML tags are not allowed: {problem}", "error", "remove the '!tag'")
    text = " ".join(str(problem).split())
    context = getattr(exc, "context_mark", None)
    context_text = getattr(exc, "context", None)
    if context is not None and context_text and (context.line, context.column) != (line - 1, col - 1):
        text += f" ({' '.join(str(context_text).split())} started at line {context.line + 1}, column {context.column + 1})"
    if "\\t" in text or "tab" in text.lower():
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in text or "expected <block end>" in text or "could not find expected ':'" in text:
        hint = "check the indentation of this line against the one above (2 spaces per level), and quote a value that holds ': '"
    else:
        hint = None
    return Problem(display, line, col, "yaml-syntax", f"YAML syntax error: {text}", "error", hint)
