"""The shipped knowledge base: clean, complete enough, and answering the questions it promises."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from irkb import query
from irkb.kb import KnowledgeBase, load

from .conftest import ROOT, Result

DATA = ROOT / "data"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load(DATA)


def test_shipped_data_validates_without_errors(kb: KnowledgeBase) -> None:
    assert [p.format() for p in kb.errors] == []


def test_coverage_targets(kb: KnowledgeBase) -> None:
    counts = query.stats(kb)["counts"]
    assert counts["procedure"] >= 100
    assert counts["access-route"] >= 12
    assert counts["complication"] >= 30
    assert counts["source"] >= 40
    assert set(kb.modalities) >= {"ultrasound", "ct", "ct-fluoroscopy", "fluoroscopy", "dsa", "cbct", "mri"}
    guidelines = [s for s in kb.catalog.docs("source") if s["kind"] == "guideline"]
    assert len(guidelines) >= 15


def test_every_source_has_a_kind_and_a_way_to_find_it(kb: KnowledgeBase) -> None:
    for doc in kb.catalog.docs("source"):
        assert doc["kind"]
        assert doc["doi"] or doc["url"] or doc["citation"], doc["id"]


def test_headline_query_follows_its_documented_semantics(kb: KnowledgeBase) -> None:
    flags = kb.modality_flags()
    got = query.select_procedures(kb, modality=["ct"], live=False)
    expected = []
    for doc in kb.catalog.docs("procedure"):
        standard = [g["modality"] for g in doc["guidance"] if g["role"] in ("primary", "adjunct")]
        if any(g["modality"] == "ct" for g in doc["guidance"]) and not any(flags[m]["speed"] == "live" for m in standard):
            expected.append(doc["id"])
    assert got == expected
    assert "lung-biopsy" in got  # CT-guided lung biopsy
    assert "vertebroplasty" not in got  # fluoroscopy (live) is its primary guidance
    assert "ultrasound-guided-drainage" not in got


def test_modalities_have_the_seed_facts(kb: KnowledgeBase) -> None:
    flags = kb.modality_flags()
    assert flags["ultrasound"] == {"speed": "live", "ionising_radiation": False}
    assert flags["ct"]["speed"] == "step-by-step" and flags["ct"]["ionising_radiation"]
    assert flags["fluoroscopy"]["speed"] == "live" and flags["fluoroscopy"]["ionising_radiation"]
    assert not flags["mri"]["ionising_radiation"]
    assert kb.get("US").id == "ultrasound" and kb.get("MRI").id == "mri" and kb.get("CT").id == "ct"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("TIPS", "tips"),
        ("tare", "tare"),
        ("UAE", "uterine-fibroid-embolisation"),
        ("UFE", "uterine-fibroid-embolisation"),
        ("PCN", "percutaneous-nephrostomy"),
        ("RIG", "radiologically-inserted-gastrostomy"),
        ("TACE", "tace"),
        ("SIRT", "tare"),
        ("EVAR", "evar"),
        ("PAE", None),
        ("uterine artery embolization", "uterine-fibroid-embolisation"),
    ],
)
def test_abbreviations_resolve(kb: KnowledgeBase, key: str, expected: str | None) -> None:
    from irkb.errors import Ambiguous

    if expected is None:
        with pytest.raises(Ambiguous):
            kb.resolve(key)
    else:
        assert kb.resolve(key)[1] == expected


def test_typo_suggests_the_right_record(run: Callable[..., Result]) -> None:
    result = run("--data-dir", str(DATA), "show", "nephrostmy", "-f", "json")
    assert result.exit_code == 3
    assert "percutaneous-nephrostomy" in json.loads(result.stdout)["candidates"]


# Procedures the five seed texts name or describe, with the record a search must find.
SEED_PROCEDURES = {
    "radiologically inserted gastrostomy": "radiologically-inserted-gastrostomy",
    "luminal stenting": "luminal-stenting",
    "oesophageal stent": "oesophageal-stenting",
    "colonic stent": "colonic-stenting",
    "biliary stent": "biliary-stenting",
    "biliary balloon dilation": "biliary-balloon-dilatation",
    "percutaneous transhepatic cholangiography": "percutaneous-transhepatic-cholangiography",
    "cholecystostomy": "percutaneous-cholecystostomy",
    "gallbladder drain internalisation": "gallbladder-drain-internalisation",
    "GUPTAS": "gallbladder-drain-internalisation",
    "nephrostomy": "percutaneous-nephrostomy",
    "ureteric stenting": "antegrade-ureteric-stent",
    "vertebroplasty": "vertebroplasty",
    "kyphoplasty": "kyphoplasty",
    "lumbar puncture": "lumbar-puncture",
    "epidural steroid injection": "epidural-steroid-injection",
    "spinal nerve block": "selective-nerve-root-block",
    "facet joint injection": "facet-joint-injection",
    "tumour embolisation": "tumour-embolisation",
    "ultrasound guided biopsy": "ultrasound-guided-biopsy",
    "ultrasound guided drain": "ultrasound-guided-drainage",
    "CT guided biopsy": "ct-guided-biopsy",
    "angioplasty": "angioplasty",
    "arterial stenting": "peripheral-arterial-stenting",
    "embolisation": "embolisation",
    "endovascular aneurysm repair": "evar",
    "fistuloplasty": "fistuloplasty",
    "venous stenting": "venous-stenting",
    "filter placement": "ivc-filter-placement",
    "carotid stenting": "carotid-artery-stenting",
    "stroke thrombectomy": "stroke-thrombectomy",
    "synovial biopsy": "synovial-biopsy",
    "nerve block": "ultrasound-guided-nerve-block",
    "musculoskeletal injection": "image-guided-joint-injection",
    "breast abscess drainage": "breast-abscess-drainage",
    "plasma cell mastitis": "breast-abscess-drainage",
    "atherectomy": "atherectomy",
    "thrombolysis": "catheter-directed-thrombolysis",
    "thrombectomy": "pharmacomechanical-thrombectomy",
    "ablation of varices": "endovenous-ablation",
    "renal artery radiofrequency ablation": "renal-denervation",
    "TIPS": "tips",
    "transjugular biopsy": "transjugular-liver-biopsy",
    "IVC filter": "ivc-filter-placement",
    "valvuloplasty": "valvuloplasty",
    "fiducial placement": "fiducial-marker-placement",
    "osteoplasty": "osteoplasty",
    "intervertebral disc treatment": "intervertebral-disc-treatment",
    "echinococcal cyst instillation": "pair-hydatid-cyst",
    "chemoembolisation": "tace",
    "radioembolisation": "tare",
    "radiofrequency ablation": "radiofrequency-ablation",
    "microwave ablation": "microwave-ablation",
    "cryoablation": "cryoablation",
    "laser ablation": "laser-ablation",
    "high intensity focused ultrasound": "hifu",
    "irreversible electroporation": "irreversible-electroporation",
    "ethanol injection": "ethanol-ablation",
    "port catheter": "implanted-port",
    "brachytherapy catheter": "brachytherapy-catheter-placement",
    "uterine fibroid embolization": "uterine-fibroid-embolisation",
    "prostate artery embolization": "prostate-artery-embolisation",
    "drug coated balloon": "drug-coated-balloon-angioplasty",
    "deep vein thrombosis": "catheter-directed-thrombolysis",
    "abscess drainage": "abscess-drainage",
    "liver biopsy": "liver-biopsy",
    "lung biopsy": "lung-biopsy",
    "kidney biopsy": "native-kidney-biopsy",
    "thyroid biopsy": "thyroid-fna",
    "lymph node biopsy": "lymph-node-biopsy",
    "bone biopsy": "bone-biopsy",
    "vascular access": "central-venous-access",
    "diagnostic angiography": "diagnostic-angiography",
    "chemoperfusion": "hepatic-arterial-infusion",
    "robotic": "robotic-assisted-endovascular-intervention",
}


@pytest.mark.parametrize(("text", "expected"), sorted(SEED_PROCEDURES.items()))
def test_search_finds_every_procedure_the_seeds_name(kb: KnowledgeBase, text: str, expected: str) -> None:
    hits = [h.id for h in query.search(kb, text, kind="procedure", limit=8)]
    assert expected in hits, f"search {text!r} -> {hits}"
