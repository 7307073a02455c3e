"""Closed vocabularies of irkb (enums), kept free of pydantic so the CLI can list them cheaply."""

from __future__ import annotations

import re
from enum import StrEnum


class Speed(StrEnum):
    """How fast a modality updates its picture."""

    LIVE = "live"
    NEAR_LIVE = "near-live"
    STEP_BY_STEP = "step-by-step"
    SLOW = "slow"


class Role(StrEnum):
    """The part a modality plays in a procedure."""

    PRIMARY = "primary"
    ADJUNCT = "adjunct"
    ALTERNATIVE = "alternative"


class Phase(StrEnum):
    """The image-guided-therapy phases (Helmberger 2013)."""

    PLANNING = "planning"
    TARGETING = "targeting"
    MONITORING = "monitoring"
    CONTROL = "control"


class Purpose(StrEnum):
    """Why a procedure is done."""

    DIAGNOSTIC = "diagnostic"
    THERAPEUTIC = "therapeutic"
    PALLIATIVE = "palliative"


class Category(StrEnum):
    """What kind of procedure it is."""

    BIOPSY = "biopsy"
    DRAINAGE = "drainage"
    PUNCTURE = "puncture"
    INJECTION = "injection"
    NERVE_BLOCK = "nerve-block"
    ABLATION = "ablation"
    EMBOLISATION = "embolisation"
    REVASCULARISATION = "revascularisation"
    STENTING = "stenting"
    ANEURYSM_REPAIR = "aneurysm-repair"
    THROMBECTOMY_THROMBOLYSIS = "thrombectomy-thrombolysis"
    VASCULAR_ACCESS = "vascular-access"
    ENTERAL_ACCESS = "enteral-access"
    DIAGNOSTIC_IMAGING = "diagnostic-imaging"
    SHUNT = "shunt"
    FILTER = "filter"
    VERTEBRAL_AUGMENTATION = "vertebral-augmentation"
    MARKER_PLACEMENT = "marker-placement"
    SCLEROTHERAPY = "sclerotherapy"
    RETRIEVAL = "retrieval"
    DENERVATION = "denervation"
    DILATATION = "dilatation"
    SAMPLING = "sampling"
    CEMENTOPLASTY = "cementoplasty"
    OTHER = "other"


class BodySystem(StrEnum):
    """The body system a procedure works on."""

    ARTERIAL = "arterial"
    VENOUS = "venous"
    NEUROVASCULAR = "neurovascular"
    LYMPHATIC = "lymphatic"
    THORACIC = "thoracic"
    HEPATOBILIARY = "hepatobiliary"
    GASTROINTESTINAL = "gastrointestinal"
    GENITOURINARY = "genitourinary"
    GYNAECOLOGICAL = "gynaecological"
    MUSCULOSKELETAL = "musculoskeletal"
    SPINE = "spine"
    NERVOUS = "nervous"
    BREAST = "breast"
    HEAD_AND_NECK = "head-and-neck"
    MULTI_SYSTEM = "multi-system"
    CARDIAC = "cardiac"
    ENDOCRINE = "endocrine"


class Technique(StrEnum):
    """How a device reaches its target."""

    SELDINGER = "seldinger"
    MODIFIED_SELDINGER = "modified-seldinger"
    TROCAR = "trocar"
    COAXIAL = "coaxial"
    TANDEM = "tandem"
    DIRECT_PUNCTURE = "direct-puncture"
    FREEHAND = "freehand"
    NEEDLE_GUIDE = "needle-guide"
    CATHETER_DIRECTED = "catheter-directed"
    SUPERSELECTIVE = "superselective"
    OVER_THE_WIRE = "over-the-wire"
    TUNNELLED = "tunnelled"
    TRANSPEDICULAR = "transpedicular"
    BALLOON = "balloon"
    STENT = "stent"
    ASPIRATION = "aspiration"
    INJECTION = "injection"
    THERMAL = "thermal"
    NON_THERMAL = "non-thermal"
    MECHANICAL = "mechanical"
    PHARMACOLOGICAL = "pharmacological"


class Anaesthesia(StrEnum):
    """Anaesthesia or sedation used."""

    NONE = "none"
    TOPICAL = "topical"
    LOCAL = "local"
    REGIONAL = "regional"
    MINIMAL_SEDATION = "minimal-sedation"
    MODERATE_SEDATION = "moderate-sedation"
    DEEP_SEDATION = "deep-sedation"
    GENERAL = "general"


class Setting(StrEnum):
    """Where and how the patient is looked after."""

    OUTPATIENT = "outpatient"
    DAY_CASE = "day-case"
    INPATIENT = "inpatient"
    BEDSIDE = "bedside"
    EMERGENCY = "emergency"


class AliasKind(StrEnum):
    """What sort of other name an alias is."""

    ABBREVIATION = "abbreviation"
    SYNONYM = "synonym"
    SPELLING = "spelling"
    EPONYM = "eponym"
    FORMER = "former"
    BRAND = "brand"


class RateKind(StrEnum):
    """Whether a figure is an observed rate, a quality threshold, or an upper bound ("as high as")."""

    OBSERVED = "observed"
    THRESHOLD = "threshold"
    UPPER_BOUND = "upper-bound"


class Interval(StrEnum):
    """What ``low``..``high`` of a rate mean."""

    RANGE = "range"
    CI95 = "ci95"
    IQR = "iqr"


class SeverityScale(StrEnum):
    """The adverse-event classification a severity grade belongs to."""

    SIR_2017 = "sir-2017"
    SIR_LEGACY = "sir-legacy"
    CIRSE_2017 = "cirse-2017"
    UNSPECIFIED = "unspecified"


SEVERITY_GRADES: dict[str, tuple[str, ...]] = {
    "sir-2017": ("mild", "moderate", "severe", "life-threatening", "death"),
    "sir-legacy": ("minor", "major", "a", "b", "c", "d", "e", "f"),
    "cirse-2017": ("1", "2", "3", "4", "5", "6"),
    "unspecified": ("any", "minor", "major", "severe", "fatal"),
}


class Per(StrEnum):
    """What the denominator of a rate counts."""

    PATIENT = "patient"
    PROCEDURE = "procedure"
    DEVICE = "device"
    LESION = "lesion"
    VESSEL = "vessel"
    LIMB = "limb"
    STUDY = "study"
    OTHER = "other"


class SourceKind(StrEnum):
    """Where a source comes from, so a reader can weigh its figures."""

    GUIDELINE = "guideline"
    CONSENSUS = "consensus"
    SYSTEMATIC_REVIEW = "systematic-review"
    RCT = "rct"
    REGISTRY = "registry"
    PRIMARY_STUDY = "primary-study"
    NARRATIVE_REVIEW = "narrative-review"
    WHITE_PAPER = "white-paper"
    TEXTBOOK = "textbook"
    EDUCATIONAL = "educational"
    COMMERCIAL = "commercial"


class RouteKind(StrEnum):
    """Which space an access route enters."""

    ARTERIAL = "arterial"
    VENOUS = "venous"
    NON_VASCULAR = "non-vascular"


class Unit(StrEnum):
    """Units of a measured quantity."""

    FR = "Fr"
    MM = "mm"
    CM = "cm"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    ML = "mL"
    GY = "Gy"
    MSV = "mSv"
    MGY = "mGy"
    SECONDS = "seconds"
    YEARS = "years"
    PERCENT = "%"
    GBQ = "GBq"
    COUNT = "count"
    MMHG = "mmHg"
    MICROMETRE = "µm"
    GAUGE = "G"
    RATIO = "ratio"
    HU = "HU"
    MG = "mg"
    MG_PER_KG = "mg/kg"
    ML_PER_MIN = "mL/min"
    INR = "INR"
    PER_NANOLITRE = "×10⁹/L"
    CM_PER_SECOND = "cm/s"


class ComplicationGroup(StrEnum):
    """Broad family of a complication type."""

    BLEEDING = "bleeding"
    INFECTION = "infection"
    ORGAN_INJURY = "organ-injury"
    VASCULAR = "vascular"
    THROMBOEMBOLIC = "thromboembolic"
    DEVICE = "device"
    NEUROLOGICAL = "neurological"
    SYSTEMIC = "systemic"
    PAIN = "pain"
    RADIATION = "radiation"
    OTHER = "other"


class Format(StrEnum):
    """Output formats of the read commands."""

    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    YAML = "yaml"
    MARKDOWN = "markdown"


class ExportFormat(StrEnum):
    """Formats of ``irkb export``."""

    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    YAML = "yaml"
    MARKDOWN = "markdown"
    SQLITE = "sqlite"


def normalise(text: str) -> str:
    """Lookup key of a name or alias: case-folded, punctuation and hyphens as spaces, spaces collapsed."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


# Outcome measures: the controlled vocabulary of ``outcomes[].measure``. A measure is one of these
# ids, optionally followed by a time point: ``-30d``, ``-6m``, ``-12m``, ``-5y`` (h, d, w, m, y).
# An unknown measure is a warning (``unknown-measure``) with did-you-mean, not an error: the list
# grows by pull request, here, with a one-line definition.
OUTCOME_MEASURES: dict[str, str] = {
    # doing it
    "technical-success": "The procedure achieved its technical aim (target reached, device placed, vessel treated) as the source defines it.",
    "technical-failure": "The procedure did not achieve its technical aim.",
    "immediate-technical-failure": "Technical failure evident at the end of the procedure.",
    "primary-success": "Success after the first procedure alone, without a repeat.",
    "overall-success": "Success after all planned or repeated procedures.",
    "first-attempt-clearance": "Target cleared (stones, clot, debris) at the first attempt.",
    "conversion-to-surgery": "Procedure abandoned for open surgery.",
    "correct-tip-position": "Catheter or device tip in the intended position on imaging.",
    "needle-placement-accuracy": "Needle reached the intended target.",
    "injection-accuracy": "Injectate reached the intended space or structure.",
    "successful-localisation": "A lesion localised for surgery was removed with the marker.",
    "complete-embolisation": "Target vessel or lesion fully embolised on final imaging.",
    "retrieval-success": "A device (filter, foreign body) was retrieved as intended.",
    "mechanical-retrieval-failure": "Retrieval failed for mechanical reasons.",
    # does it work
    "clinical-success": "The clinical aim was met (symptom resolved, drainage achieved, bleeding stopped) as the source defines it.",
    "clinical-failure": "The clinical aim was not met.",
    "symptom-relief": "Patients reporting relief of the target symptom.",
    "pain-relief": "Patients reporting a meaningful reduction in pain as the source defines it.",
    "functional-independence": "Good functional outcome, usually modified Rankin Scale 0-2.",
    "death-or-dependency": "Death or dependency (e.g. modified Rankin Scale 3-6).",
    "treatment-failure": "Treatment did not achieve its aim, needing further treatment.",
    "primary-treatment-failure": "Failure after the first treatment.",
    "secondary-treatment-failure": "Failure after repeat treatment.",
    "stone-free": "No residual stone on follow-up imaging.",
    "residual-abscess": "Collection persisting after drainage.",
    "cyst-diameter-reduction": "Reduction in cyst size after sclerotherapy.",
    "complete-regression": "Lesion no longer seen on follow-up imaging.",
    "complete-elimination-of-reflux": "Venous reflux abolished on duplex ultrasound.",
    "ulcer-healing": "Ulcer healed at follow-up.",
    "lactation-resumed": "Lactation resumed after treatment.",
    "conception": "Pregnancy achieved after treatment.",
    "hysterectomy": "Hysterectomy needed during follow-up.",
    "further-height-loss": "Further loss of vertebral body height after augmentation.",
    "insufficient-hypertrophy": "Future liver remnant did not grow enough for resection.",
    "future-liver-remnant-hypertrophy": "Growth of the future liver remnant after portal vein embolisation.",
    "resection-cancelled-tumour-progression": "Planned resection cancelled because the tumour progressed.",
    "oesophageal-varix-worsening": "Oesophageal varices worse on follow-up endoscopy.",
    "recurrent-biliary-disease": "Biliary disease recurring after treatment.",
    "forgotten-stent": "Stent left in place beyond its planned exchange or removal.",
    # vessels
    "patency": "Treated vessel, stent, shunt or access open at follow-up (type unspecified).",
    "primary-patency": "Open without any further intervention since the index procedure.",
    "assisted-primary-patency": "Open with intervention only to keep a narrowing vessel from occluding.",
    "secondary-patency": "Open, including after interventions to reopen an occlusion.",
    "target-lesion-primary-patency": "Treated lesion open without further intervention.",
    "target-lesion-revascularisation": "Repeat intervention on the treated lesion.",
    "occlusion": "Treated vessel or device occluded at follow-up.",
    "aneurysm-occlusion": "Aneurysm completely occluded on follow-up imaging.",
    "recanalisation": "Flow restored in an occluded vessel (e.g. TICI 2b-3 after thrombectomy).",
    "recanalisation-with-reflux": "Treated vein reopened with reflux after ablation.",
    "complete-thrombosis-after-first-injection": "Complete thrombosis of the target after the first injection.",
    "limb-salvage": "Limb kept without major amputation.",
    "freedom-from-major-amputation": "No major amputation during follow-up.",
    "amputation-free-survival": "Alive without major amputation.",
    "freedom-from-rupture": "No aneurysm rupture during follow-up.",
    "rebleeding": "Bleeding recurring after treatment.",
    "recurrent-vte": "New venous thromboembolism during follow-up.",
    "post-thrombotic-syndrome": "Post-thrombotic syndrome at follow-up.",
    "moderate-severe-post-thrombotic-syndrome": "Moderate or severe post-thrombotic syndrome at follow-up.",
    "portosystemic-gradient-reduction": "Portosystemic pressure gradient brought below the target.",
    # tumours
    "complete-ablation": "No residual enhancing tumour after ablation.",
    "complete-ablation-single-session": "Complete ablation after one session.",
    "local-control": "No progression at the treated site.",
    "local-tumour-progression": "Tumour growth at the edge of the treated zone.",
    "local-tumour-control-failure": "Tumour not controlled at the treated site.",
    "local-recurrence": "Recurrence at the treated site.",
    "recurrence": "Disease recurring after treatment.",
    "ipsilateral-breast-tumour-recurrence": "Recurrence in the treated breast.",
    "objective-response": "Complete or partial response by the named criteria (mRECIST, RECIST, EASL).",
    "complete-response": "Complete response by the named criteria.",
    "disease-control": "Response or stable disease by the named criteria.",
    "positive-margin": "Tumour at the resection margin.",
    "survival": "Patients alive at the time point (overall survival).",
    # diagnosis
    "diagnostic-yield": "Procedures giving a specific diagnosis.",
    "diagnostic-accuracy": "Diagnoses confirmed correct against the reference standard.",
    "diagnostic-adequacy": "Samples adequate for diagnosis.",
    "specimen-adequacy": "Specimens adequate for the pathologist.",
    "histological-representativeness": "Samples representative of the lesion on histology.",
    "actionable-diagnosis": "A diagnosis that changed management.",
    "sensitivity": "True positives among those with the condition.",
    "specificity": "True negatives among those without the condition.",
    "sensitivity-for-malignancy": "Sensitivity for malignancy.",
    "specificity-for-malignancy": "Specificity for malignancy.",
    "false-negative-rate": "Negative results in patients who have the condition.",
    "false-positive-rate": "Positive results in patients who do not have the condition.",
    "non-diagnostic-rate": "Procedures that gave no diagnosis.",
    "lateralisation-concordance": "Sampling lateralisation agreeing with the surgical or imaging result.",
    "traumatic-tap": "Blood-stained cerebrospinal fluid from the puncture itself.",
    # afterwards
    "mortality": "Deaths from any cause by the time point (30-day unless a time point is given).",
    "all-cause-mortality": "Deaths from any cause by the time point.",
    "in-hospital-mortality": "Deaths during the admission.",
    "procedure-related-mortality": "Deaths attributed to the procedure.",
    "aneurysm-related-mortality": "Deaths attributed to the aneurysm or its treatment.",
    "mortality-during-follow-up": "Deaths during the study's follow-up.",
    "stroke-or-death": "Stroke or death by the time point.",
    "in-hospital-stroke-or-death": "Stroke or death during the admission.",
    "stroke-death-or-procedural-mi": "Stroke, death or procedural myocardial infarction by the time point.",
    "composite-cardiovascular-renal-events": "Composite of cardiovascular and renal events as the trial defines it.",
    "primary-composite": "The trial's primary composite end point, as it defines it.",
    "reintervention": "Further intervention needed on the same problem.",
    "reoperation": "Further surgery needed.",
    "surgery-required": "Surgery needed after the procedure.",
    "readmission": "Readmission to hospital by the time point.",
    "readmission-tube-complication": "Readmission for a problem with the tube.",
    "readmission-recurrent-cholecystitis": "Readmission for recurrent cholecystitis.",
    "hospitalisation": "Admission to hospital because of the condition or its treatment.",
    "any-new-symptom": "Any new symptom reported after the procedure.",
}

MEASURE_TIME_POINT = re.compile(r"-(\d+)(h|d|w|m|y)$")
"""A time point at the end of a measure id: ``-30d``, ``-12m``, ``-5y`` (hours, days, weeks, months, years)."""


def measure_base(measure: str) -> str:
    """The vocabulary id of an outcome measure, without its time point (``primary-patency-12m`` -> ``primary-patency``)."""
    return MEASURE_TIME_POINT.sub("", measure)
