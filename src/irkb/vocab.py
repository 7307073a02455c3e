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
    """What low..high of a rate mean."""

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


class ValidateFormat(StrEnum):
    """Output formats of ``irkb validate``."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


class ExportFormat(StrEnum):
    """Formats of ``irkb export``."""

    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    YAML = "yaml"
    MARKDOWN = "markdown"
    SQLITE = "sqlite"
    ANKI = "anki"
    BIBTEX = "bibtex"
    CSL_JSON = "csl-json"
    DATAPACKAGE = "datapackage"


def normalise(text: str) -> str:
    """Lookup key of a name or alias: Unicode-normalised (NFKC), case-folded, punctuation and hyphens
    as spaces, spaces collapsed. Equivalent spellings (NFC/NFD, full-width letters, ligatures) give
    one key, so they collide as aliases and find each other in lookups."""
    import unicodedata

    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


# American -> British spellings, applied to a value typed for a closed vocabulary (which is British).
_SPELLINGS = (
    ("ization", "isation"),
    ("izing", "ising"),
    ("ize", "ise"),
    ("hemo", "haemo"),
    ("hema", "haema"),
    ("hemorrh", "haemorrh"),
    ("esoph", "oesoph"),
    ("gyneco", "gynaeco"),
    ("anesth", "anaesth"),
    ("tumor", "tumour"),
    ("edema", "oedema"),
    ("ischemi", "ischaemi"),
    ("leukem", "leukaem"),
    ("pediatric", "paediatric"),
    ("orthoped", "orthopaed"),
)


def british(text: str) -> str:
    """``text`` with common American spellings made British ('embolization' -> 'embolisation')."""
    out = text
    for us, uk in _SPELLINGS:
        out = re.sub(rf"(?<!a){us}" if us.startswith(("hem", "esoph", "edema", "ischemi", "leukem", "pediatric")) else us, uk, out)
    return out


def closed_value(vocabulary: type[StrEnum], text: str, option: str | None = None) -> str:
    """The member of a closed vocabulary that ``text`` names: exact, or ignoring case, separators and
    American spelling. Anything else raises ``UsageError`` with did-you-mean and the allowed values."""
    values = [m.value for m in vocabulary]
    if text in values:
        return text
    wanted = british("-".join(re.sub(r"[\W_]+", " ", text.casefold()).split()))
    if wanted in values:
        return wanted
    import difflib

    from .errors import UsageError

    close = difflib.get_close_matches(wanted, values, n=3, cutoff=0.6)
    what = f"{option} " if option else ""
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise UsageError(f"invalid {what}value '{text}'{hint} (allowed: {', '.join(values)})")
