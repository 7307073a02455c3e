"""Filter, search, compare, complication-figure and stats semantics on the test knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from irkb import query
from irkb.errors import Ambiguous, NotFound
from irkb.kb import KnowledgeBase, load
from irkb.view.text import to_json

from .conftest import MINI_KB, Run


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load(MINI_KB)


def ids(records: list) -> list[str]:  # type: ignore[type-arg]
    return [r.id for r in records]


def test_headline_query_ct_without_live_imaging(kb: KnowledgeBase) -> None:
    # CT lung biopsy: CT primary, CT fluoroscopy only as an alternative -> not live.
    # US drain: CT only as alternative, but US (live) is its standard guidance -> live.
    # Vertebroplasty: CT adjunct, fluoroscopy (live) primary -> live.
    # CBCT lung biopsy: no 'ct' at all (ct does not match cbct).
    assert ids(query.filter_procedures(kb, modality=["ct"], live=False)) == ["ct-lung-biopsy"]


def test_modality_matches_any_role_and_role_narrows(kb: KnowledgeBase) -> None:
    assert ids(query.filter_procedures(kb, modality=["ct"])) == ["ct-lung-biopsy", "liver-rfa", "us-drain", "vertebroplasty"]
    assert ids(query.filter_procedures(kb, modality=["ct"], role="alternative")) == ["us-drain"]
    assert ids(query.filter_procedures(kb, modality=["ct"], role="adjunct")) == ["liver-rfa", "vertebroplasty"]


def test_modality_alias_resolves_and_is_exact(kb: KnowledgeBase) -> None:
    assert query.filter_procedures(kb, modality=["CT"]) == query.filter_procedures(kb, modality=["ct"])
    assert "cbct-lung-biopsy" not in ids(query.filter_procedures(kb, modality=["CT"]))
    assert ids(query.filter_procedures(kb, modality=["CBCT"])) == ["cbct-lung-biopsy"]


def test_repeated_modalities_must_all_match(kb: KnowledgeBase) -> None:
    assert ids(query.filter_procedures(kb, modality=["fluoroscopy", "ct"])) == ["vertebroplasty"]


def test_live_uses_standard_guidance_only(kb: KnowledgeBase) -> None:
    live = ids(query.filter_procedures(kb, live=True))
    assert "us-drain" in live and "vertebroplasty" in live
    assert "ct-lung-biopsy" not in live  # ct-fluoroscopy is only an alternative
    assert ids(query.filter_procedures(kb, live=False)) == ["cbct-lung-biopsy", "ct-lung-biopsy", "mri-prostate-biopsy"]


def test_radiation_filter(kb: KnowledgeBase) -> None:
    no_radiation = ids(query.filter_procedures(kb, radiation=False))
    assert no_radiation == ["mri-prostate-biopsy", "us-drain", "venous-rfa"]  # us-drain: CT only alternative
    assert "liver-rfa" in ids(query.filter_procedures(kb, radiation=True))  # CT adjunct counts


def test_access_complication_category_system_purpose(kb: KnowledgeBase) -> None:
    assert ids(query.filter_procedures(kb, access=["CFA"])) == ["tips", "venous-rfa"]
    assert ids(query.filter_procedures(kb, complication=["bleeding"])) == ["ct-lung-biopsy", "vertebroplasty"]
    assert ids(query.filter_procedures(kb, category="vertebral-augmentation")) == ["kyphoplasty", "vertebroplasty"]
    assert ids(query.filter_procedures(kb, system="thoracic")) == ["cbct-lung-biopsy", "ct-lung-biopsy"]
    assert ids(query.filter_procedures(kb, purpose="palliative")) == ["vertebroplasty"]


def test_filter_that_fits_nothing_is_empty(kb: KnowledgeBase) -> None:
    assert query.filter_procedures(kb, modality=["mri"], live=True) == []


def test_unknown_filter_value_is_not_found_with_suggestions(kb: KnowledgeBase) -> None:
    with pytest.raises(NotFound) as err:
        query.filter_procedures(kb, modality=["ctt"])
    assert "ct" in err.value.candidates


def test_lookup_order(kb: KnowledgeBase) -> None:
    assert kb.get("tips").id == "tips"
    assert kb.get("TIPSS").id == "tips"
    assert kb.get("Transjugular Intrahepatic Portosystemic-Shunt").id == "tips"
    assert kb.get("us").id == "ultrasound"
    with pytest.raises(Ambiguous) as amb:
        kb.get("RFA")
    assert amb.value.candidates == ["liver-rfa", "venous-rfa"]
    with pytest.raises(NotFound) as nf:
        kb.get("vertebroplsty")
    assert nf.value.candidates[0] == "vertebroplasty"


def test_search_ranks_names_and_tolerates_typos(kb: KnowledgeBase) -> None:
    hits = query.search(kb, "vertebroplsty")
    assert hits[0].id == "vertebroplasty"
    assert query.search(kb, "lung biopsy")[0].id in ("ct-lung-biopsy", "cbct-lung-biopsy")
    assert query.search(kb, "femoral")[0].kind == "access-route"
    assert query.search(kb, "zzzzqqq") == []


def test_complication_rows(kb: KnowledgeBase) -> None:
    rows = query.complication_rows(kb, sort="rate")
    uppers = [query.figures.upper(r["rate"]) for r in rows]
    assert uppers == sorted(uppers, reverse=True)
    assert all("procedure" in r for r in rows)
    high = query.complication_rows(kb, min_rate=10)
    assert {(r["procedure"], r["complication"]) for r in high} == {
        ("ct-lung-biopsy", "pneumothorax"),
        ("us-drain", "sepsis"),
        ("vertebroplasty", "cement-leakage"),
    }
    thresholds = query.complication_rows(kb, rate_kind="threshold")
    assert [(r["procedure"], r["rate"]["high"]) for r in thresholds] == [("vertebroplasty", 4.0)]
    assert {r["procedure"] for r in query.complication_rows(kb, complication=["hemorrhage"])} == {"ct-lung-biopsy", "vertebroplasty"}


def test_compare(kb: KnowledgeBase) -> None:
    comparison = query.compare(kb, ["vertebroplasty", "BKP"])
    assert [r.id for r in comparison.records] == ["vertebroplasty", "kyphoplasty"]
    assert "guidance" in comparison.differing_fields and "category" not in comparison.differing_fields
    data = comparison.to_dict()
    assert list(data) == ["kind", "records", "differing_fields", "complications", "outcomes"] and data["kind"] == "procedure"
    # figures lined up by complication across the records: {complication: {record: [figures]}}
    for by_record in data["complications"].values():
        assert list(by_record) == ["vertebroplasty", "kyphoplasty"]


def test_compare_rejects_mixed_kinds(kb: KnowledgeBase) -> None:
    from irkb.errors import UsageError

    with pytest.raises(UsageError):
        query.compare(kb, ["vertebroplasty", "ultrasound"])


def test_stats(kb: KnowledgeBase) -> None:
    data = query.stats(kb)
    assert data["counts"]["procedure"] == 9
    assert data["procedures_by_category"]["biopsy"] == 3
    assert "tips" in data["coverage"]["procedures_without_figures"]


def test_kb_loads_from_path_objects(tmp_path: Path) -> None:
    assert load(Path(MINI_KB)).count() == load(str(MINI_KB)).count()


@pytest.mark.parametrize("command", [["complications", "--of", "all"], ["complications", "--sort", "rate"], ["complications", "--sort", "complication"]])
def test_figures_are_written_a_page_at_a_time_as_the_whole_answer_would_be(run: Run, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    """Machine formats stream the figures a page at a time: pages of one row give what one page of
    every row gives, in every format, and JSON is still one JSON list."""
    from irkb.query import figures

    def output(page: int, fmt: str, *extra: str) -> str:
        monkeypatch.setattr(figures, "PAGE", page)
        result = run("--data-dir", str(MINI_KB), *command, *extra, "-f", fmt)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    whole = output(10**6, "json")
    rows = json.loads(whole)
    assert len(rows) >= 3 and whole == to_json(rows) + "\n"
    assert [(r["procedure"] or r["access_route"], r["complication"]) for r in rows] == [
        (r["procedure"] or r["access_route"], r["complication"])
        for r in query.complication_rows(
            load(MINI_KB), of="all" if "all" in command else "procedure", sort=command[-1] if command[1] == "--sort" else "procedure"
        )
    ]
    for fmt in ("json", "jsonl", "csv", "yaml", "markdown", "table"):
        assert output(1, fmt) == output(10**6, fmt), fmt
    assert output(1, "json", "--min-rate", "100") == "[]\n" and output(1, "yaml", "--min-rate", "100") == "[]\n"  # no figure that high
