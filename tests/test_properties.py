"""Properties over generated input: the loader never raises, and the filters mean what PRODUCT.md says.

Every test has a fixed example budget and ``derandomize=True``, so CI runs the same examples each
time and the file stays well under a minute on two cores.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from ruamel.yaml import YAML

from irkb import model as models
from irkb.errors import NotFound
from irkb.ingest.limits import Limits
from irkb.ingest.record import LoadedFile, load_file, load_text
from irkb.ingest.yaml import compose, parse_yaml
from irkb.kb import load
from irkb.kinds import folder
from irkb.model import RECORD_TYPES
from irkb.query import select_procedures

from .conftest import MINI_KB, ROOT

KINDS = sorted(RECORD_TYPES)
CODE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
VALID = {kind: [p.read_text(encoding="utf-8") for p in sorted((MINI_KB / folder(kind)).glob("*.yaml"))] for kind in KINDS}
# A procedure using most of the schema: counts checked against percents, outcomes, alternatives.
VALID["procedure"].append(
    """id: sample
name: Everything procedure
aliases: [{text: EVP, kind: abbreviation}]
category: biopsy
system: thoracic
purpose: [diagnostic, therapeutic]
summary: Uses most of the schema.
guidance: [{modality: ct, role: primary, phases: [planning, targeting]}, {modality: ultrasound, role: adjunct}]
access_routes: [direct-percutaneous]
complications:
  - {complication: haemorrhage, severity: minor, severity_scale: sir-legacy, rate: {percent: 25, numerator: 1, denominator: 4}, rate_kind: observed, source: test-study}
  - {complication: pneumothorax, rate: {low: 1, high: 3, interval: range}, rate_kind: threshold, source: test-study, locator: Table 1}
outcomes:
  - {measure: technical-success, rate: {percent: 99.5, low: 98, high: 100, interval: ci95}, source: test-study}
alternatives: [{name: surgery, comparison: more invasive, source: test-study}]
pearls: [{text: a cited pearl, source: test-study}]
sources: [test-study]
last_reviewed: 2026-01-01
"""
)
BUDGET = settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(loaded: LoadedFile, display: str) -> None:
    """What every load must give: a record or an error, well-formed problems, JSON-clean data."""
    assert isinstance(loaded, LoadedFile)
    if loaded.record is None:
        assert any(p.level == "error" for p in loaded.problems), "a file without a record says why"
    for problem in loaded.problems:
        assert problem.path == display
        assert problem.line >= 0 and problem.col >= 0 and (problem.line == 0) == (problem.col == 0)
        assert CODE.fullmatch(problem.code), problem.code
        assert problem.message and "\n" not in problem.format()
        json.dumps(problem.to_dict())
    if loaded.record is not None:
        # a loaded record is plain JSON data: no NaN, no infinity, nothing a script cannot read
        json.dumps(loaded.record.model_dump(mode="json"), allow_nan=False)


# --------------------------------------------------------------------------- arbitrary bytes

TOKENS = [
    "[", "]", "{", "}", "- ", "? ", ": ", ":", ", ", "\n", "  ", "\t", "&a ", "*a", "!!python/object/apply:os.system ", "!x ", "!!str ",
    "'", '"', "# c", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,1:\n", "id", "name", "last_reviewed", "complications", "rate",
    "percent", "2026-02-30", "2026-01-01", "9" * 30, "0x1F", ".nan", "-.inf", "-1", "1e999", "|\n", ">-\n", "\ufeff", "\\u0000",
    "\x00", "\x85", "é", "\u2028", "\U0001f600", "~", "null", "true", "no", "<<", "x", "\r\n", "\r",
]  # fmt: skip
yamlish = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid record's bytes with a few random insertions, deletions and overwrites."""
    data = bytearray(draw(st.sampled_from(VALID[draw(st.sampled_from(KINDS))])).encode("utf-8"))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        chunk = draw(st.one_of(st.binary(max_size=8), yamlish.map(lambda s: s.encode("utf-8", "surrogatepass"))))
        how = draw(st.sampled_from(["insert", "delete", "overwrite"]))
        if how == "insert":
            data[at:at] = chunk
        elif how == "delete":
            del data[at : at + len(chunk) + 1]
        else:
            data[at : at + len(chunk)] = chunk
    return bytes(data)


any_bytes = st.one_of(st.binary(max_size=400), yamlish.map(lambda s: s.encode("utf-8", "surrogatepass")), mutated())


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory the byte-level examples are written into, one file at a time."""
    root = tmp_path_factory.mktemp("scratch-kb")
    for kind in KINDS:
        (root / folder(kind)).mkdir()
    return root


@BUDGET
@given(raw=any_bytes, kind=st.sampled_from(KINDS))
def test_arbitrary_bytes_give_a_record_or_problems(scratch: Path, raw: bytes, kind: str) -> None:
    path = scratch / folder(kind) / "sample.yaml"
    path.write_bytes(raw)
    loaded = load_file(kind, path, scratch, Limits(max_depth=16), today=dt.date(2026, 6, 1))
    check(loaded, loaded.display)


@BUDGET
@given(text=st.one_of(yamlish, st.text(max_size=200)), kind=st.sampled_from(KINDS))
def test_arbitrary_text_gives_a_record_or_problems(text: str, kind: str) -> None:
    check(load_text(text, kind, "t.yaml", "sample", Limits(max_depth=16), today=dt.date(2026, 6, 1)), "t.yaml")


# --------------------------------------------------------------------------- arbitrary YAML documents


def _field_names() -> list[str]:
    names: set[str] = set()
    for value in vars(models).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            names.update(value.model_fields)
    return sorted(names)


FIELDS = _field_names()
WORDS = ["ct", "ultrasound", "primary", "adjunct", "biopsy", "thoracic", "diagnostic", "observed", "test-study", "haemorrhage", "sir-2017", "minor", "range"]

extreme = st.sampled_from([0, -1, 100, 100.0001, 1e-300, 5e-324, 2**63 - 1, 2**63, -(2**63), 2**64, 10**30, 10**400, 1e308])
numbers = st.one_of(extreme, st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    numbers.map(str),  # quoted numbers: pydantic converts them in lax mode, past the YAML parser's checks
    st.text(max_size=12),
    st.sampled_from(WORDS),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=6))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=25)


def _dump(data: Any, flow: bool | None) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _valid(text: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(text)
    return data


RATE_KEYS = ("percent", "low", "high", "numerator", "denominator")
rates = st.fixed_dictionaries(
    {}, optional={**dict.fromkeys(RATE_KEYS, st.one_of(numbers, numbers.map(str))), "interval": st.sampled_from(["range", "ci95", "x"])}
)


def _paths(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*here, index))


@st.composite
def near_valid(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid record of some kind with one to three values replaced by generated ones."""
    kind = draw(st.sampled_from(KINDS))
    data = _valid(draw(st.sampled_from(VALID[kind])))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([p for p in _paths(data) if p]))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        # a value of the shape the schema wants (where there is one) reaches the deeper checks
        shaped = rates if path[-1] == "rate" else numbers if path[-1] in RATE_KEYS else documents
        parent[path[-1]] = draw(st.one_of(shaped, documents))
    return kind, data


@BUDGET
@given(
    doc=st.one_of(st.tuples(st.sampled_from(KINDS), st.one_of(documents, st.dictionaries(keys, documents, max_size=8))), near_valid()),
    flow=st.sampled_from([None, True, False]),
)
def test_arbitrary_yaml_documents_give_a_record_or_problems(doc: tuple[str, Any], flow: bool | None) -> None:
    kind, data = doc
    text = _dump(data, flow)
    check(load_text(text, kind, "d.yaml", "sample", Limits(), today=dt.date(2026, 6, 1)), "d.yaml")


# --------------------------------------------------------------------------- filters against a reference


@dataclass(frozen=True)
class Proc:
    id: str
    guidance: tuple[tuple[str, str], ...]  # (modality, role)
    access: tuple[str, ...]
    complications: tuple[str, ...]
    category: str
    purpose: tuple[str, ...]


@dataclass(frozen=True)
class World:
    modalities: dict[str, tuple[str, bool]]  # id -> (speed, ionising_radiation)
    procedures: tuple[Proc, ...]


MODALITY_IDS = ["m-us", "m-ct", "m-fluoro", "m-mri"]
ROUTES = ["r-one", "r-two", "r-three"]
COMPLICATIONS = ["c-bleed", "c-leak", "c-sepsis"]
ROLES = ["primary", "adjunct", "alternative"]
SPEEDS = ["live", "near-live", "step-by-step", "slow"]
CATEGORIES = ["biopsy", "drainage"]
PURPOSES = ["diagnostic", "therapeutic", "palliative"]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    modalities = {m: (draw(st.sampled_from(SPEEDS)), draw(st.booleans())) for m in MODALITY_IDS}
    procedures = []
    for index in range(draw(st.integers(1, 6))):
        guidance = draw(st.lists(st.tuples(st.sampled_from(MODALITY_IDS), st.sampled_from(ROLES)), max_size=4, unique_by=lambda g: g[0]))
        procedures.append(
            Proc(
                f"p-{index}",
                tuple(guidance),
                tuple(draw(st.lists(st.sampled_from(ROUTES), max_size=3, unique=True))),
                tuple(draw(st.lists(st.sampled_from(COMPLICATIONS), max_size=3, unique=True))),
                draw(st.sampled_from(CATEGORIES)),
                tuple(draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=2, unique=True))),
            )
        )
    return World(modalities, tuple(procedures))


filters = st.fixed_dictionaries(
    {},
    optional={
        "modality": st.lists(st.sampled_from(MODALITY_IDS), min_size=1, max_size=2),
        "role": st.sampled_from(ROLES),
        "live": st.booleans(),
        "radiation": st.booleans(),
        "access": st.lists(st.sampled_from(ROUTES), min_size=1, max_size=2),
        "complication": st.lists(st.sampled_from(COMPLICATIONS), min_size=1, max_size=2),
        "category": st.sampled_from(CATEGORIES),
        "purpose": st.sampled_from(PURPOSES),
    },
)


def reference(world: World, f: dict[str, Any]) -> list[str]:
    """PRODUCT.md, read literally, over the generated data."""
    out = []
    for p in world.procedures:
        standard = [m for m, role in p.guidance if role in ("primary", "adjunct")]
        checks = [
            # --modality: appears in the guidance, any role, or the role given (exact ids)
            all(any(m == want and f.get("role") in (None, role) for m, role in p.guidance) for want in f.get("modality", [])),
            # --role alone: some guidance entry has that role
            bool(f.get("modality")) or f.get("role") is None or any(role == f["role"] for _, role in p.guidance),
            # --live / --radiation: over the standard guidance (primary + adjunct)
            f.get("live") is None or any(world.modalities[m][0] == "live" for m in standard) == f["live"],
            f.get("radiation") is None or any(world.modalities[m][1] for m in standard) == f["radiation"],
            # --access / --complication: all must match
            all(r in p.access for r in f.get("access", [])),
            all(c in p.complications for c in f.get("complication", [])),
            f.get("category") in (None, p.category),
            f.get("purpose") is None or f["purpose"] in p.purpose,
        ]
        if all(checks):
            out.append(p.id)
    return sorted(out)


def write_world(world: World, root: Path) -> None:
    """The generated knowledge base as YAML files, as a curator would write them."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False  # ruamel's flow style leaves "https://..." unquoted, which it cannot read back
    records: list[tuple[str, dict[str, Any]]] = [("sources", {"id": "s-one", "title": "A source", "url": "https://example.org", "kind": "guideline"})]
    records += [("modalities", {"id": m, "name": f"Modality {m}", "speed": speed, "ionising_radiation": rad}) for m, (speed, rad) in world.modalities.items()]
    records += [("access-routes", {"id": r, "name": f"Route {r}", "kind": "arterial"}) for r in ROUTES]
    records += [("complications", {"id": c, "name": f"Complication {c}"}) for c in COMPLICATIONS]
    for p in world.procedures:
        records.append(
            (
                "procedures",
                {
                    "id": p.id,
                    "name": f"Procedure {p.id}",
                    "category": p.category,
                    "system": "thoracic",
                    "purpose": list(p.purpose),
                    "guidance": [{"modality": m, "role": role} for m, role in p.guidance],
                    "access_routes": list(p.access),
                    "complications": [{"complication": c, "rate": {"percent": 1}, "source": "s-one"} for c in p.complications],
                    "sources": ["s-one"],
                },
            )
        )
    for kind_folder, data in records:
        (root / kind_folder).mkdir(exist_ok=True)
        with (root / kind_folder / f"{data['id']}.yaml").open("w", encoding="utf-8") as handle:
            yaml.dump({**data, "last_reviewed": dt.date(2026, 1, 1)}, handle)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), combos=st.lists(filters, min_size=1, max_size=25))
def test_filters_agree_with_a_reference_implementation(world: World, combos: list[dict[str, Any]]) -> None:
    root = Path(tempfile.mkdtemp(prefix="irkb-world-"))
    try:
        write_world(world, root)
        kb = load(root)
        assert not kb.errors, [p.format() for p in kb.errors]
        for f in combos:
            assert select_procedures(kb, **f) == reference(world, f), f
    finally:
        shutil.rmtree(root)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_a_modality_no_record_uses_is_not_found_but_an_unused_one_is_an_empty_answer(world: World) -> None:
    root = Path(tempfile.mkdtemp(prefix="irkb-world-"))
    try:
        write_world(world, root)
        kb = load(root)
        used = {m for p in world.procedures for m, _ in p.guidance}
        for m in MODALITY_IDS:
            assert select_procedures(kb, modality=[m.upper()]) == select_procedures(kb, modality=[m]), "ids resolve ignoring case"
            if m not in used:
                assert select_procedures(kb, modality=[m]) == []
        with pytest.raises(NotFound):
            select_procedures(kb, modality=["m-unknown-modality"])
    finally:
        shutil.rmtree(root)


def test_the_sample_records_are_valid() -> None:
    """The generators start from valid records, so a problem found is one the changes made."""
    for kind in KINDS:
        for index, text in enumerate(VALID[kind]):
            loaded = load_text(text, kind, "v.yaml", _valid(text)["id"], Limits(), today=dt.date(2026, 6, 1))
            assert loaded.record is not None and not [p for p in loaded.problems if p.level == "error"], (kind, index, [p.format() for p in loaded.problems])


# --------------------------------------------------------------------------- positions


def _rt_position(node: Any, loc: tuple[Any, ...], at_key: bool) -> tuple[int, int]:
    """Where ruamel.yaml's round-trip parser put the node at ``loc``: the reference for ``locate``."""
    where = (node.lc.line + 1, node.lc.col + 1) if hasattr(node, "lc") else (1, 1)
    for i, step in enumerate(loc):
        if isinstance(node, list) and isinstance(step, int) and step < len(node):
            line, col = node.lc.item(step)
        elif isinstance(node, dict) and step in node:
            line, col = node.lc.key(step) if at_key and i == len(loc) - 1 else node.lc.value(step)
        else:
            break
        where, node = (line + 1, col + 1), node[step]
    return where


def _non_empty_paths(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if value is None:
        return  # an empty value has no position of its own (the parsers disagree, and irkb points at its key)
    yield here
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _non_empty_paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_empty_paths(item, (*here, index))


text_keyed = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=5)), max_leaves=25
)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.sampled_from([t for kind in KINDS for t in VALID[kind]]),
        st.tuples(st.dictionaries(st.sampled_from(FIELDS), text_keyed, min_size=1, max_size=6), st.sampled_from([None, True, False]))
        .map(lambda d: _dump(*d))
        # NEL, LS and PS end a line for one parser and not the other; editors do not break lines there
        .filter(lambda t: not any(c in t for c in "\x85\u2028\u2029")),
    ),
    at_key=st.booleans(),
)
def test_locate_agrees_with_the_round_trip_parser(text: str, at_key: bool) -> None:
    from irkb.ingest.positions import locate

    try:
        data = YAML(typ="safe", pure=False).load(text)  # the parser irkb uses (stricter than the pure one)
    except Exception:
        assume(False)
    tree = YAML(typ="rt", pure=True).load(text)
    for loc in [*_non_empty_paths(data), ("no-such-field",)]:
        assert locate(text, loc, at_key) == _rt_position(tree, loc, at_key), loc


# --------------------------------------------------------------------------- the one-pass loader

_RUAMEL = None


def _ruamel_load(text: str) -> tuple[str, Any]:
    from irkb.ingest.yaml import parse_yaml

    try:
        return "ok", parse_yaml(text)
    except Exception as exc:
        return "error", type(exc).__name__


@BUDGET
@given(text=st.one_of(yamlish, st.text(max_size=200), near_valid().map(lambda d: d[0])))
def test_one_pass_loader_builds_what_ruamel_builds(text: str) -> None:
    """compose() either hands the text back (fallback), refuses it, or builds exactly ruamel's value."""
    from irkb.ingest.yaml import compose

    outcome, data = compose(text, 64)
    if outcome != "ok":
        return
    expected = _ruamel_load(text)
    assert expected[0] == "ok", f"compose accepted what ruamel refuses ({expected[1]}): {text!r}"
    assert repr(data) == repr(expected[1])


def test_one_pass_loader_matches_ruamel_on_every_shipped_file() -> None:
    from irkb.ingest.yaml import compose, parse_yaml

    from .conftest import ROOT

    for path in sorted((ROOT / "data").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8-sig")
        outcome, data = compose(text, 64)
        assert outcome == "ok", path
        assert repr(data) == repr(parse_yaml(text)), path


def test_events_by_position_hold_what_ruamels_events_hold_and_are_put_back() -> None:
    import _ruamel_yaml  # type: ignore[import-not-found]
    from ruamel.yaml import events as ruamel_events
    from ruamel.yaml.cyaml import CParser

    from irkb.ingest import events

    block = events.positional()
    assert block is not None, "used with this ruamel"
    expected = events._events_of(CParser)
    with block:
        made = events._events_of(CParser)
        assert type(_ruamel_yaml.ScalarEvent) is functools.partial
    assert all(events._same(e, m) for e, m in zip(expected, made, strict=True))
    assert all(getattr(_ruamel_yaml, name) is getattr(ruamel_events, name) for name in events.NAMES), "ruamel's own put back"
    text = (ROOT / "data" / "procedures" / "tips.yaml").read_text(encoding="utf-8")
    assert compose(text, 64) == ("ok", parse_yaml(text))
    assert all(getattr(_ruamel_yaml, name) is getattr(ruamel_events, name) for name in events.NAMES), "after compose too"


def test_events_by_position_are_not_used_while_another_thread_runs(tmp_path: Path) -> None:
    """Another thread could parse with ruamel while its classes are swapped: with one running,
    files take ruamel's own loader (the same records), and ruamel's classes are never touched."""
    import threading

    import _ruamel_yaml
    from ruamel.yaml import events as ruamel_events

    from irkb.ingest import events

    text = (ROOT / "data" / "procedures" / "tips.yaml").read_text(encoding="utf-8")
    path = tmp_path / "tips.yaml"
    path.write_text(text, encoding="utf-8")
    alone = load_file("procedure", path, tmp_path, Limits())
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        assert events.positional() is None
        assert compose(text, 64) == ("fallback", None)
        assert load_file("procedure", path, tmp_path, Limits()).dump == alone.dump is not None
        assert all(getattr(_ruamel_yaml, name) is getattr(ruamel_events, name) for name in events.NAMES)
    finally:
        done.set()
        other.join()
    assert events.positional() is not None


def test_events_by_position_are_not_used_when_the_parser_passes_them_otherwise(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A C parser that passed an event's arguments in another order would be read wrongly: the probe
    finds it, and every file takes the known two-step route, with the same answers."""
    from irkb.ingest import events

    monkeypatch.setattr(events, "_decided", [])
    monkeypatch.setitem(events.SCALAR, "value", 1)  # as if the value came where the tag does
    monkeypatch.setitem(events.SCALAR, "ctag", 3)
    assert events.positional() is None
    text = (ROOT / "data" / "procedures" / "tips.yaml").read_text(encoding="utf-8")
    assert compose(text, 64) == ("fallback", None)
    path = tmp_path / "tips.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_file("procedure", path, tmp_path, Limits())
    assert loaded.dump is not None and loaded.dump["id"] == "tips"


def test_top_level_positions_agree_with_the_parser_on_every_shipped_file() -> None:
    from irkb.ingest.positions import locate, top_level_position

    from .conftest import ROOT

    checked = 0
    for path in sorted((ROOT / "data").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8-sig")
        for key in ("id", "name", "title", "last_reviewed", "summary", "kind", "year", "doi", "category"):
            fast = top_level_position(text, (key,))
            if fast is not None:
                assert fast == locate(text, (key,)), (path, key)
                checked += 1
    assert checked > 1000
