"""irkb: an open, cited knowledge base of image-guided (interventional radiology) procedures.

Educational reference only, not clinical decision support.

Python use (see the README):

    import irkb
    kb = irkb.load()
    ct_not_live = irkb.query.filter_procedures(kb, modality=["CT"], live=False)
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.2.0"

__all__ = ["KnowledgeBase", "Problem", "__version__", "load", "model", "models", "query"]

TYPE_CHECKING = False  # not typing's: `import irkb` (and `irkb --help`) should not import typing
if TYPE_CHECKING:
    from typing import Any

    from . import model, query
    from . import model as models
    from .errors import Problem
    from .kb import KnowledgeBase, load


def __getattr__(name: str) -> Any:
    # Lazy so that `import irkb` (and `irkb --help`) stay cheap.
    if name == "load":
        return import_module(".kb", __name__).load
    if name == "KnowledgeBase":
        return import_module(".kb", __name__).KnowledgeBase
    if name == "Problem":
        return import_module(".errors", __name__).Problem
    if name in ("model", "models"):  # 'models': the name before the package split, kept for scripts
        return import_module(".model", __name__)
    if name == "query":
        return import_module(".query", __name__)
    raise AttributeError(name)
