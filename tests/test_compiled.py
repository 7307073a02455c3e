"""The validator built from the models' schemas as data (no pydantic) agrees with the models.

It decides whether an edited file is served, so it may never accept what the models reject, and
what it accepts must be the very record the models would give, key order included.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Discriminator, Tag, field_validator

from irkb.index import modeldata
from irkb.ingest import compiled
from irkb.ingest.yaml import compose
from irkb.kb import load
from irkb.kinds import KINDS
from irkb.model import RECORD_TYPES
from irkb.model import compiled as rewrite
from irkb.model.fields import _Model

from .conftest import MINI_KB, ROOT


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return json.loads(json.dumps(rewrite.validator_schemas()))  # as the catalog stores them: JSON


@pytest.fixture
def installed(schemas: dict[str, Any]) -> Iterator[None]:
    before = dict(compiled._schemas)
    compiled.install(schemas)
    yield
    compiled.install(before)


def _documents(root: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for kind in KINDS:
        for path in sorted((root / kind.folder).glob("*.yaml")):
            outcome, data = compose(path.read_text(encoding="utf-8"), 64)
            assert outcome == "ok", path
            out.append((kind.name, data))
    return out


def _by_models(kind: str, data: Any) -> dict[str, Any] | None:
    try:
        return RECORD_TYPES[kind].model_validate(data).model_dump(mode="json")
    except (ValueError, TypeError, ArithmeticError, LookupError, AttributeError):  # ValidationError is a ValueError
        return None


def _agree(kind: str, data: Any) -> None:
    fast, slow = compiled.dump(kind, data), _by_models(kind, data)
    assert (fast is None) == (slow is None), (kind, data, "compiled" if fast is not None else "models", "accepts alone")
    if fast is not None:
        assert json.dumps(fast) == json.dumps(slow)  # the same record, key order and all


def test_every_shipped_record_compiles_to_what_the_models_give(installed: None) -> None:
    documents = _documents(ROOT / "data")
    assert len(documents) > 1000
    for kind, data in documents:
        _agree(kind, data)
        assert compiled.dump(kind, data) is not None


# --------------------------------------------------------------------------- generated edits

ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 3, 10**10, 0.5, 99.95, 100.0, 100.5, -0.0, float("inf"), float("nan"), "", " ", "  padded  ",
    "ct", "primary", "adjunct", "observed", "upper-bound", "sir-2017", "cirse-2017", "mild", "minor", "3", "range", "ci95", "percent",
    "kebab-id", "Not An Id", "2026-01-01", "2026-02-30", dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, 12, 0), b"ct", [], [None], ["x"],
    ["ct", "ct"], {}, {"text": "a"}, {"text": " ", "source": "x"}, {"text": "a", "source": "Bad Id"}, {"percent": 5},
    {"percent": 25, "numerator": 1, "denominator": 4}, {"percent": 30, "numerator": 1, "denominator": 4}, {"low": 5, "high": 1},
    {"unit": "mm", "value": 5}, {"complication": "haemorrhage", "rate": {"high": 2}}, {"measure": "technical-success", "rate": {"percent": 90}},
    {"modality": "ct", "role": "primary"}, {"name": "surgery"}, {"procedure": None}, "D012345", "RID123",
]  # fmt: skip

BASES = _documents(MINI_KB)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _places(value: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where every value of a document stands, the document's own place first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [loc, *(place for key, item in items for place in _places(item, (*loc, key)))]


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid record with one to three values replaced, removed or added, anywhere in it."""
    kind, base = draw(st.sampled_from(BASES))
    data = _copy(base)
    for _ in range(draw(st.integers(1, 3))):
        place = draw(st.sampled_from(_places(data)[1:]))
        *parent_path, last = place
        parent = data
        for step in parent_path:
            parent = parent[step]
        how = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        if how == "replace":
            parent[last] = _copy(draw(st.sampled_from(ODD_VALUES)))
        elif how == "remove":
            del parent[last]
        elif isinstance(parent[last], dict):
            parent[last][draw(st.sampled_from(["extra", "percent", "source", "severity", "severity_scale", "interval", "note"]))] = _copy(
                draw(st.sampled_from(ODD_VALUES))
            )
        elif isinstance(parent[last], list):
            parent[last].append(_copy(draw(st.sampled_from(ODD_VALUES))))
    return kind, data


@settings(max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=edited())
def test_an_edited_record_gets_the_same_verdict_and_record_from_both(installed: None, case: tuple[str, dict[str, Any]]) -> None:
    _agree(*case)


# --------------------------------------------------------------------------- what the rewrite refuses


def _doubled() -> type[_Model]:
    class Doubled(_Model):
        x: int

        @field_validator("x")
        @classmethod
        def _double(cls, value: int) -> int:
            return value * 2

    return Doubled


def _strict() -> type[_Model]:
    class Strict(_Model):
        model_config = ConfigDict(strict=True)
        x: int

    return Strict


def _open() -> type[BaseModel]:
    class Open(BaseModel):
        model_config = ConfigDict(extra="allow")
        x: int

    return Open


def _other_union() -> type[_Model]:
    class Either(_Model):
        x: Annotated[Annotated[int, Tag("n")] | Annotated[str, Tag("s")], Discriminator(lambda v: "n" if isinstance(v, str) else "s")]

    return Either


@pytest.mark.parametrize(
    ("make", "why"),
    [(_doubled, "not a rule"), (_strict, "strict"), (_open, "extra"), (_other_union, "tagged union")],
)
def test_what_the_data_cannot_say_stops_the_rewrite(make: Any, why: str) -> None:
    """A validator that is not a shared rule, a strict model, extra fields allowed, a union whose
    discriminator is not the note's: each would let the two validators disagree, so none is kept."""
    model = make()
    model.model_rebuild()
    with pytest.raises(rewrite.Unsupported, match=why):
        rewrite._rewrite(model.__pydantic_core_schema__)


def test_when_the_models_cannot_be_rewritten_pydantic_validates_everything(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = load(kb_dir)
    reference = ({k: [expected.doc(k, rid) for rid in v] for k, v in expected.records.items()}, [p.format() for p in expected.problems])

    def refuse() -> dict[str, Any]:
        raise rewrite.Unsupported("a node from a newer pydantic")

    monkeypatch.setenv("IRKB_CACHE_DIR", str(kb_dir.parent / "other-cache"))
    monkeypatch.setattr(rewrite, "validator_schemas", refuse)
    monkeypatch.setattr(modeldata, "MODEL_FILE", kb_dir.parent / "no-models.json")  # made from the models, here and now
    monkeypatch.setattr(modeldata, "_loaded", None)
    before = dict(compiled._schemas)
    try:
        kb = load(kb_dir)
        assert not compiled.installed()
        assert ({k: [kb.doc(k, rid) for rid in v] for k, v in kb.records.items()}, [p.format() for p in kb.problems]) == reference
    finally:
        compiled.install(before)


def test_models_json_is_what_the_models_give_today() -> None:
    """``models.json`` is current (regenerate with 'python -m irkb.index.modeldata'), and what it
    holds is what the models make in this process: the definitions' names included."""
    assert modeldata.MODEL_FILE.read_text(encoding="utf-8") == modeldata.render()
    stored = json.loads(modeldata.MODEL_FILE.read_text(encoding="utf-8"))
    made = modeldata.made_from_models()
    assert json.dumps([stored["public_sql"], stored["validators"]]) == json.dumps([made["public_sql"], made["validators"]])  # key order too
    assert "irkb/model/fields.py" in stored["sources"] and "pydantic/version.py" in stored["sources"]


def test_models_json_is_used_only_while_its_sources_are_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stored = json.loads(modeldata.MODEL_FILE.read_text(encoding="utf-8"))
    made = {"public_sql": "-- made from the models", "validators": {}}
    monkeypatch.setattr(modeldata, "made_from_models", lambda: made)
    copy = tmp_path / "models.json"
    monkeypatch.setattr(modeldata, "MODEL_FILE", copy)

    copy.write_text(json.dumps(stored), encoding="utf-8")
    monkeypatch.setattr(modeldata, "_loaded", None)
    assert modeldata.generated()["public_sql"] == stored["public_sql"]  # unchanged sources: the file

    for name in ("irkb/model/fields.py", "pydantic/version.py"):  # an edited model; another pydantic
        copy.write_text(json.dumps({**stored, "sources": {**stored["sources"], name: "0" * 64}}), encoding="utf-8")
        monkeypatch.setattr(modeldata, "_loaded", None)
        assert modeldata.generated() is made
    copy.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(modeldata, "_loaded", None)
    assert modeldata.generated() is made


def test_stored_schemas_that_are_not_json_are_made_again(kb_dir: Path) -> None:
    import sqlite3

    first = load(kb_dir)
    expected = {k: [first.doc(k, rid) for rid in v] for k, v in first.records.items()}
    (catalog,) = (Path(os.environ["IRKB_CACHE_DIR"])).glob("*.sqlite")
    with sqlite3.connect(catalog) as db:
        db.execute("UPDATE meta SET value = 'not json {' WHERE key = 'validators'")
    path = kb_dir / "procedures" / "tips.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nname: ", "\nname: Edited ", 1), encoding="utf-8")
    kb = load(kb_dir)
    assert kb.doc("procedure", "tips")["name"].startswith("Edited ")
    assert {k: [kb.doc(k, rid) for rid in v] for k, v in kb.records.items() if k != "procedure"} == {k: v for k, v in expected.items() if k != "procedure"}
    with sqlite3.connect(catalog) as db:
        assert json.loads(db.execute("SELECT value FROM meta WHERE key = 'validators'").fetchone()[0]).keys() == {k.name for k in KINDS}


def test_spawned_workers_compile_what_one_process_does(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows start workers by spawning (nothing inherited): they get the stored schemas
    from the pool's set-up and compile every file as a single process does."""
    from irkb.index import refresh

    alone = load(kb_dir)
    expected = ({k: [alone.doc(k, rid) for rid in v] for k, v in alone.records.items()}, [p.format() for p in alone.problems])
    monkeypatch.setenv("IRKB_CACHE_DIR", str(kb_dir.parent / "spawned-cache"))
    monkeypatch.setattr(refresh, "PARALLEL_FROM", 1)
    monkeypatch.setattr(refresh, "START_METHOD", "spawn")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    kb = load(kb_dir)
    assert ({k: [kb.doc(k, rid) for rid in v] for k, v in kb.records.items()}, [p.format() for p in kb.problems]) == expected


def test_a_worker_is_set_up_with_the_schemas_in_use(schemas: dict[str, Any]) -> None:
    import signal

    from irkb.index import refresh

    before, handlers = compiled.current(), {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    procedure = next(data for kind, data in BASES if kind == "procedure")
    try:
        compiled.install({})
        assert compiled.dump("procedure", procedure) is None  # nothing installed: ask the models
        refresh._worker_start(schemas)
        assert compiled.dump("procedure", procedure) == _by_models("procedure", procedure)
    finally:
        compiled.install(before)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
