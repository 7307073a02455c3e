"""Counts by kind, category, system, purpose and modality, and coverage gaps of the content."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..index.integrity import STALE_AFTER_DAYS
from ..kinds import KINDS

if TYPE_CHECKING:
    from ..kb import KnowledgeBase


def _counts(kb: KnowledgeBase, sql: str) -> dict[str, int]:
    return {str(k): int(n) for k, n in kb.catalog.execute(sql + " GROUP BY 1 ORDER BY 1")}


def _ids(kb: KnowledgeBase, sql: str) -> list[str]:
    return [r[0] for r in kb.catalog.execute(sql + " ORDER BY 1")]


def stats(kb: KnowledgeBase, today: dt.date | None = None) -> dict[str, Any]:
    """Counts and coverage of the knowledge base (what ``irkb stats`` prints)."""
    today = today or kb.today
    cutoff = (today - dt.timedelta(days=STALE_AFTER_DAYS)).isoformat()
    stale = sorted(rid for k in KINDS for rid in _ids(kb, f"SELECT id FROM [{k.key}] WHERE last_reviewed < '{cutoff}'"))
    problems = kb.problems
    errors = sum(p.level == "error" for p in problems)
    has = "EXISTS (SELECT 1 FROM {table} f WHERE f.procedure_id = p.id)"
    return {
        "counts": {k.name: kb.catalog.count(k.name) for k in KINDS},
        "procedures_by_category": _counts(kb, "SELECT category, count(*) FROM procedures"),
        "procedures_by_system": _counts(kb, "SELECT system, count(*) FROM procedures"),
        "procedures_by_purpose": _counts(kb, "SELECT j.value, count(*) FROM procedures p, json_each(p.purpose) j"),
        "procedures_by_modality": _counts(kb, "SELECT modality_id, count(DISTINCT procedure_id) FROM procedure_modalities"),
        "procedures_by_primary_modality": _counts(kb, "SELECT modality_id, count(DISTINCT procedure_id) FROM procedure_modalities WHERE role = 'primary'"),
        "sources_by_kind": _counts(kb, "SELECT kind, count(*) FROM sources"),
        "figures": {
            "complication_figures": int(kb.catalog.execute("SELECT count(*) FROM complication_figures WHERE procedure_id IS NOT NULL").fetchone()[0]),
            "access_route_figures": int(kb.catalog.execute("SELECT count(*) FROM complication_figures WHERE access_route_id IS NOT NULL").fetchone()[0]),
            "outcome_figures": int(kb.catalog.execute("SELECT count(*) FROM outcome_figures").fetchone()[0]),
            "by_rate_kind": _counts(
                kb, "SELECT rate_kind, count(*) FROM (SELECT rate_kind FROM complication_figures UNION ALL SELECT rate_kind FROM outcome_figures)"
            ),
            "by_per": _counts(
                kb,
                "SELECT coalesce(per, 'unstated'), count(*) FROM (SELECT per FROM complication_figures UNION ALL SELECT per FROM outcome_figures)",
            ),
        },
        "coverage": {
            "procedures_without_figures": _ids(
                kb, f"SELECT id FROM procedures p WHERE NOT {has.format(table='complication_figures')} AND NOT {has.format(table='outcome_figures')}"
            ),
            "procedures_without_outcomes": _ids(kb, f"SELECT id FROM procedures p WHERE NOT {has.format(table='outcome_figures')}"),
            "procedures_with_only_pooled_complications": _ids(
                kb,
                f"SELECT id FROM procedures p WHERE {has.format(table='complication_figures')} AND NOT EXISTS "
                "(SELECT 1 FROM complication_figures f WHERE f.procedure_id = p.id AND f.complication_id != 'any-adverse-event')",
            ),
            "procedures_without_thresholds": _ids(
                kb,
                "SELECT id FROM procedures p WHERE NOT EXISTS (SELECT 1 FROM complication_figures f WHERE f.procedure_id = p.id AND f.rate_kind = 'threshold')"
                " AND NOT EXISTS (SELECT 1 FROM outcome_figures f WHERE f.procedure_id = p.id AND f.rate_kind = 'threshold')",
            ),
            "procedures_without_pearls": _ids(kb, "SELECT id FROM procedures WHERE pearls = '[]'"),
            "procedures_without_sources": _ids(kb, "SELECT id FROM procedures WHERE sources = '[]'"),
            "reviewed_over_three_years_ago": stale,
        },
        "problems": {"errors": errors, "warnings": len(problems) - errors},
    }
