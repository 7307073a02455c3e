"""Pure queries over a knowledge base: filter, search, compare, figures, stats.

Nothing here prints or knows about the command line; every function takes a ``KnowledgeBase`` and
returns models or plain data, so scripts and notebooks use it directly::

    import irkb
    kb = irkb.load()
    ct_not_live = irkb.query.filter_procedures(kb, modality=["CT"], live=False)
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import figures
    from .comparison import Comparison, compare
    from .counts import stats
    from .figures import complication_rows, outcome_rows
    from .filters import ProcedureFilter, filter_procedures, is_live, select_procedures, uses_radiation
    from .fulltext import Hit, search

# Each name is imported when first used: a command that only filters never loads search or stats.
_WHERE = {
    "figures": "",
    "Comparison": "comparison",
    "compare": "comparison",
    "stats": "counts",
    "complication_rows": "figures",
    "outcome_rows": "figures",
    "ProcedureFilter": "filters",
    "filter_procedures": "filters",
    "is_live": "filters",
    "select_procedures": "filters",
    "uses_radiation": "filters",
    "Hit": "fulltext",
    "search": "fulltext",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = import_module(f"{__name__}.{where or name}")
    return module if not where else getattr(module, name)


__all__ = [
    "Comparison",
    "Hit",
    "ProcedureFilter",
    "compare",
    "complication_rows",
    "figures",
    "filter_procedures",
    "is_live",
    "outcome_rows",
    "search",
    "select_procedures",
    "stats",
    "uses_radiation",
]
