"""Pure queries over a knowledge base: filter, search, compare, figures, stats.

Nothing here prints or knows about the command line; every function takes a ``KnowledgeBase`` and
returns models or plain data, so scripts and notebooks use it directly::

    import irkb
    kb = irkb.load()
    ct_not_live = irkb.query.filter_procedures(kb, modality=["CT"], live=False)
"""

from . import figures
from .comparison import Comparison, compare
from .counts import stats
from .figures import complication_rows, outcome_rows
from .filters import ProcedureFilter, filter_procedures, is_live, select_procedures, uses_radiation
from .fulltext import Hit, search

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
