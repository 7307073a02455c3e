"""One data file in, one record and its located problems out: the steps every file goes through.

read (``files``) -> guard and parse (``yaml``) -> validate (pydantic, ``problems``) -> check
(``checks``). Nothing here raises for bad data: every failure is a ``Problem``, and a file with
errors yields no record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..text import printable
from . import compiled
from .checks import Check, Reference, record_checks, references, walk
from .files import ALLOWED_SUFFIX, data_path, decode, read_bytes
from .limits import Limits
from .positions import key_position, locate, root_position, top_level_position
from .problems import validation_problems
from .yaml import REFUSED, clip, compose, guard, parse_yaml, yaml_problem

if TYPE_CHECKING:
    from ..model import Record


@dataclass
class LoadedFile:
    """What loading one file gave: a record (when valid), its problems and its references.

    A valid record is always there as ``dump`` (its JSON form, what the catalog stores); the
    pydantic model (``record``) is built from it only when asked for.
    """

    path: Path
    display: str
    kind: str
    built: Record | None
    problems: list[Problem] = field(default_factory=list)
    refs: list[Reference] = field(default_factory=list)
    sha256: str | None = None  # of the bytes read; None when the file was not read
    dump: dict[str, Any] | None = None  # record.model_dump(mode="json"), computed once and shared

    @property
    def record(self) -> Record | None:
        """The record as its model (None when the file did not validate)."""
        if self.built is None and self.dump is not None:
            from ..model import RECORD_TYPES

            self.built = RECORD_TYPES[self.kind].model_validate(self.dump)
        return self.built

    @property
    def record_id(self) -> str | None:
        """The id a valid record claims (also when other checks found errors)."""
        return None if self.dump is None else str(self.dump["id"])


def load_text(text: str, kind: str, display: str, stem: str, limits: Limits, today: dt.date | None = None) -> LoadedFile:
    """Load one record of ``kind`` from YAML text. Never raises for bad data."""
    return _printable_problems(_load_text(text, kind, display, stem, limits, today))


def _load_text(text: str, kind: str, display: str, stem: str, limits: Limits, today: dt.date | None) -> LoadedFile:
    result = LoadedFile(Path(display), display, kind, None)
    outcome, data = compose(text, limits.max_depth)
    refused = data if outcome == "refused" else guard(text, limits.max_depth) if outcome == "fallback" else None
    if refused:
        code, line, col = refused
        what, fix = REFUSED[code]
        result.problems.append(Problem(display, line, col, code, what.format(depth=limits.max_depth), "error", fix))
        return result
    if outcome == "fallback":
        try:
            data = parse_yaml(text)
        except RecursionError:  # pragma: no cover - guard bounds the depth first
            result.problems.append(Problem(display, 1, 1, "too-deep", "nesting is too deep to parse", "error"))
            return result
        except Exception as exc:  # ruamel raises many error classes; all are problems in the file
            result.problems.append(yaml_problem(exc, display))
            return result
    if data is None:
        result.problems.append(Problem(display, 1, 1, "empty-file", "file holds no record", "error", f"run 'irkb new {kind} {stem}' for a template"))
        return result
    if not isinstance(data, dict):
        line, col = root_position(text)
        result.problems.append(
            Problem(
                display,
                line,
                col,
                "not-a-mapping",
                f"a record must be a mapping of field: value, not a {_yaml_type(data)}",
                "error",
                "write one 'field: value' per line",
            )
        )
        return result
    for index, key in enumerate(data):
        if not isinstance(key, str):
            line, col = key_position(text, index)
            result.problems.append(Problem(display, line, col, "invalid-key", f"field names must be text, not {clip(repr(key))}", "error"))
            return result
    dump = compiled.dump(kind, data)  # without pydantic, when the catalog gave us its schemas
    record = None
    if dump is None:
        from pydantic import ValidationError

        from ..model import RECORD_TYPES

        model = RECORD_TYPES[kind]
        try:
            record = model.model_validate(data)
            dump = record.model_dump(mode="json")
        except ValidationError as exc:
            result.problems.extend(validation_problems(exc, model, text, display, data))
            _partial_checks(result, kind, data, stem, text, today)
            return result
        except (ValueError, TypeError, ArithmeticError, LookupError, AttributeError) as exc:
            return _unjudged(result, exc)
    try:
        nodes = walk(dump)
        refs = references(kind, dump, nodes)
        found = list(record_checks(kind, dump, stem, today or dt.date.today(), nodes=nodes))
    except (ValueError, TypeError, ArithmeticError, LookupError, AttributeError) as exc:
        return _unjudged(result, exc)
    result.built = record
    result.refs = refs
    result.dump = dump
    _add_checks(result, text, found)
    return result


def _add_checks(result: LoadedFile, text: str, checks: Iterable[Check]) -> None:
    """Each check found as a problem, located in the file's text (at the record's id when it names no field)."""
    for loc, code, message, level, hint in checks:
        line, col = top_level_position(text, loc or ("id",)) or locate(text, loc or ("id",))
        result.problems.append(Problem(result.display, line, col, code, message, "error" if level == "error" else "warning", hint))


def _partial_checks(result: LoadedFile, kind: str, data: dict[str, Any], stem: str, text: str, today: dt.date | None) -> None:
    """One bad field never hides the rest: the rules that can still be judged are."""
    with contextlib.suppress(ValueError, TypeError, ArithmeticError, LookupError, AttributeError):
        _add_checks(result, text, record_checks(kind, data, stem, today or dt.date.today(), partial=True))


def _unjudged(result: LoadedFile, exc: Exception) -> LoadedFile:
    """A rule that trips over a value nobody foresaw (a count too large to divide, say) costs this
    file, never the run: the curator still gets every other problem."""
    result.problems.append(
        Problem(
            result.display,
            1,
            1,
            "invalid-record",
            f"record could not be checked: {type(exc).__name__}: {clip(str(exc), 120)}",
            "error",
            "look for an extreme value",
        )
    )
    return result


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "text value"
    if isinstance(value, bool):
        return "true/false value"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (dt.date, dt.datetime)):
        return "date"
    return type(value).__name__


def _printable_problems(result: LoadedFile) -> LoadedFile:
    from dataclasses import replace

    result.problems = [
        p if p.message.isprintable() and (p.hint or "").isprintable() else replace(p, message=printable(p.message), hint=p.hint and printable(p.hint))
        for p in result.problems
    ]
    return result


def load_file(kind: str, path: Path, data_dir: Path, limits: Limits, today: dt.date | None = None) -> LoadedFile:
    """Load one data file of ``kind``; every failure becomes a problem, whose path is relative to ``data_dir``."""
    return _printable_problems(_load_file(kind, path, data_dir, limits, today))


def _load_file(kind: str, path: Path, data_dir: Path, limits: Limits, today: dt.date | None) -> LoadedFile:
    display = data_path(path, data_dir)
    try:
        is_directory = stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        is_directory = False  # gone or unreadable: reading it below says which
    if is_directory:
        return LoadedFile(
            path,
            display,
            kind,
            None,
            [Problem(display, 0, 0, "unexpected-directory", "directories are not read here", "warning", "records live directly in the kind's folder")],
        )
    if path.suffix != ALLOWED_SUFFIX:
        hint = f"rename it to {path.stem}.yaml" if path.suffix.lower() in (".yml", ".yaml") else "only .yaml files are records"
        return LoadedFile(path, display, kind, None, [Problem(display, 0, 0, "wrong-extension", f"'{path.name}' is not a .yaml file", "error", hint)])
    raw, problem = read_bytes(path, display, data_dir, limits)
    if raw is None:
        assert problem is not None
        return LoadedFile(path, display, kind, None, [problem])
    digest = hashlib.sha256(raw).hexdigest()
    text, problem = decode(raw, display)
    if text is None:
        assert problem is not None
        return LoadedFile(path, display, kind, None, [problem], sha256=digest)
    result = load_text(text, kind, display, path.stem, limits, today)
    result.path = path
    result.sha256 = digest
    return result
