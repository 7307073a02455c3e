"""Procedure filters, declared once: ``ProcedureFilter`` has one field per filter, carrying its
command-line option (names, help, completion) and its predicate (SQL over the shared schema).

The Typer ``list`` command builds its options from these fields, the Python API takes the same
names, and a new filter is one field here with its predicate — nothing else to touch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import UsageError
from ..vocab import BodySystem, Category, Purpose, Role, closed_value

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..model import Procedure

STANDARD_ROLES = ("primary", "adjunct")
"""Roles of the standard guidance: what --live and --radiation look at."""

Predicate = Callable[[Any, "ProcedureFilter"], tuple[str, list[Any]]]


class Option(NamedTuple):
    """How a filter appears on the command line (plain data: the core never imports Typer)."""

    names: tuple[str, ...]  # '--modality', '-m'; a boolean filter gives '--live/--no-live'
    help: str
    complete: str | None = None  # record kind whose ids complete the value
    vocabulary: type[StrEnum] | None = None  # closed values, listed in the help
    resolve: str | None = None  # record kind the values name (ids, names or aliases)


def _filter(default: Any, option: Option, predicate: Predicate) -> Any:
    return field(default=default, metadata={"option": option, "predicate": predicate})


def _each(sql: str) -> Predicate:
    """A predicate that must hold for every value given (repeatable filters: all must match)."""

    def predicate(values: Sequence[str], spec: ProcedureFilter) -> tuple[str, list[Any]]:
        return " AND ".join([sql] * len(values)), list(values)

    return predicate


def _modality(values: Sequence[str], spec: ProcedureFilter) -> tuple[str, list[Any]]:
    role = " AND pm.role = ?" if spec.role else ""
    one = f"EXISTS (SELECT 1 FROM procedure_modalities pm WHERE pm.procedure_id = p.id AND pm.modality_id = ?{role})"
    params: list[Any] = []
    for value in values:
        params += [value, spec.role] if spec.role else [value]
    return " AND ".join([one] * len(values)), params


def _role(value: str, spec: ProcedureFilter) -> tuple[str, list[Any]]:
    if spec.modality:
        return "", []  # it narrows --modality instead
    return "EXISTS (SELECT 1 FROM procedure_modalities pm WHERE pm.procedure_id = p.id AND pm.role = ?)", [value]


def _standard(column: str) -> Predicate:
    def predicate(value: bool, spec: ProcedureFilter) -> tuple[str, list[Any]]:
        sql = (
            "EXISTS (SELECT 1 FROM procedure_modalities pm JOIN modalities m ON m.id = pm.modality_id"
            f" WHERE pm.procedure_id = p.id AND pm.role IN ('primary', 'adjunct') AND {column}) = ?"
        )
        return sql, [int(value)]

    return predicate


@dataclass(frozen=True)
class ProcedureFilter:
    """What ``irkb list`` (and ``query.select_procedures``) filters procedures by; every filter given must match."""

    modality: tuple[str, ...] = _filter(
        (),
        Option(
            ("--modality", "-m"),
            "Guided by this modality, any role (repeatable: all must match). Id or abbreviation: CT, US, MRI...",
            "modality",
            None,
            "modality",
        ),
        _modality,
    )
    role: str | None = _filter(None, Option(("--role",), "With --modality: only guidance entries of this role.", None, Role), _role)
    live: bool | None = _filter(
        None,
        Option(("--live/--no-live",), "Standard guidance (primary + adjunct roles) includes / excludes a live modality (speed == live)."),
        _standard("m.speed = 'live'"),
    )
    radiation: bool | None = _filter(
        None, Option(("--radiation/--no-radiation",), "Standard guidance includes / excludes ionising radiation."), _standard("m.ionising_radiation = 1")
    )
    access: tuple[str, ...] = _filter(
        (),
        Option(("--access", "-a"), "Uses this access route (repeatable: all must match).", "access-route", None, "access-route"),
        _each("EXISTS (SELECT 1 FROM procedure_access_routes pa WHERE pa.procedure_id = p.id AND pa.access_route_id = ?)"),
    )
    complication: tuple[str, ...] = _filter(
        (),
        Option(("--complication", "-c"), "Has a figure for this complication (repeatable: all must match).", "complication", None, "complication"),
        _each("EXISTS (SELECT 1 FROM complication_figures cf WHERE cf.procedure_id = p.id AND cf.complication_id = ?)"),
    )
    category: str | None = _filter(None, Option(("--category",), "Procedure category.", None, Category), lambda v, s: ("p.category = ?", [v]))
    system: str | None = _filter(None, Option(("--system",), "Body system.", None, BodySystem), lambda v, s: ("p.system = ?", [v]))
    purpose: str | None = _filter(
        None,
        Option(("--purpose",), "Why it is done.", None, Purpose),
        lambda v, s: ("EXISTS (SELECT 1 FROM json_each(p.purpose) WHERE value = ?)", [v]),
    )
    family: str | None = _filter(
        None,
        Option(("--family",), "Members of this procedure family (and the family record itself).", "procedure", None, "procedure"),
        lambda v, s: ("(p.family = ? OR p.id = ?)", [v, v]),
    )

    @classmethod
    def of(cls, **values: Any) -> ProcedureFilter:
        """A filter from loose values (None or an empty list for 'not given'; a string for a repeatable one).

        Closed-vocabulary values are checked (American spellings accepted), and a booleans must be
        booleans: anything else raises ``UsageError``, as on the command line.
        """
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise UsageError(f"unknown filter(s): {', '.join(unknown)} (filters: {', '.join(known)})")
        clean: dict[str, Any] = {}
        for name, value in values.items():
            if value is None or value == [] or value == ():
                continue
            option: Option = known[name].metadata["option"]
            default = known[name].default
            if isinstance(default, tuple):
                items = [value] if isinstance(value, str) else list(value)
                if not all(isinstance(v, str) for v in items):
                    raise UsageError(f"{option.names[0]} takes ids or names, not {value!r}")
                clean[name] = tuple(items)
            elif option.vocabulary is not None:
                clean[name] = closed_value(option.vocabulary, str(value), option.names[0])
            elif option.names[0].startswith("--") and "/" in option.names[0]:
                if not isinstance(value, bool):
                    raise UsageError(f"{option.names[0].split('/')[0]} takes true or false, not {value!r}")
                clean[name] = value
            else:
                if not isinstance(value, str):
                    raise UsageError(f"{option.names[0]} takes an id or name, not {value!r}")
                clean[name] = value
        return cls(**clean)

    def given(self) -> bool:
        """Whether any filter is set."""
        return any(getattr(self, f.name) not in (None, ()) for f in fields(self))

    def resolved(self, kb: KnowledgeBase) -> ProcedureFilter:
        """The same filter with every record value (id, name or alias) resolved to its id; unknown ones raise ``NotFound``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            kind = f.metadata["option"].resolve
            if kind is None or value in (None, ()):
                out[f.name] = value
            elif isinstance(value, tuple):
                out[f.name] = tuple(kb.resolve(v, kind)[1] for v in value)
            else:
                out[f.name] = kb.resolve(value, kind)[1]
        return ProcedureFilter(**out)

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on ``procedures p`` (and its parameters) that every given filter adds to."""
        parts, params = [], []
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, ()):
                continue
            sql, args = f.metadata["predicate"](value, self)
            if sql:
                parts.append(sql)
                params += args
        return (" AND ".join(parts) or "1"), params


def select_procedures(kb: KnowledgeBase, spec: ProcedureFilter | None = None, **filters: Any) -> list[str]:
    """Ids of the procedures matching every given filter, in id order (see ``filter_procedures``)."""
    spec = (spec or ProcedureFilter.of(**filters)).resolved(kb)
    where, params = spec.where()
    return [r[0] for r in kb.catalog.execute(f"SELECT p.id FROM procedures p WHERE {where} ORDER BY p.id", params)]


def filter_procedures(kb: KnowledgeBase, **filters: Any) -> list[Procedure]:
    """Procedures matching every given filter, in id order.

    - ``modality``: each must appear in the guidance (any role, or ``role`` only); exact id after
      alias resolution, so ``ct`` does not match ``cbct``.
    - ``live`` / ``radiation``: over the standard guidance (roles primary and adjunct).
    - ``access`` / ``complication``: each must be listed by the procedure.
    - ``category`` / ``system`` / ``purpose`` / ``family``: equality (purpose: membership).

    Values are checked as the command line checks them: an unknown closed value raises ``UsageError``.
    """
    return [kb.procedures[i] for i in select_procedures(kb, **filters)]


def filter_fields() -> Iterable[tuple[str, Option, Any]]:
    """(name, option, default) of every filter, in declaration order (for building the CLI)."""
    return [(f.name, f.metadata["option"], f.default) for f in fields(ProcedureFilter)]


def is_live(flags: dict[str, dict[str, Any]], guidance: Iterable[tuple[str, str]]) -> bool:
    """Whether standard guidance entries ``(modality, role)`` include a live modality."""
    return any(flags.get(m, {}).get("speed") == "live" for m, role in guidance if role in STANDARD_ROLES)


def uses_radiation(flags: dict[str, dict[str, Any]], guidance: Iterable[tuple[str, str]]) -> bool:
    """Whether standard guidance entries ``(modality, role)`` include ionising radiation."""
    return any(flags.get(m, {}).get("ionising_radiation") for m, role in guidance if role in STANDARD_ROLES)
