"""Typer wiring of the read commands; the work is in ``irkb.reads``."""

from enum import StrEnum
from typing import Annotated, Any

import typer

from ..runtime import State
from ..vocab import BodySystem, Category, Format, Purpose, RateKind, Role
from . import app


class Kind(StrEnum):
    """Record kinds."""

    PROCEDURE = "procedure"
    MODALITY = "modality"
    ACCESS_ROUTE = "access-route"
    COMPLICATION = "complication"
    SOURCE = "source"


class ListKind(StrEnum):
    """What ``list`` lists."""

    PROCEDURES = "procedures"
    MODALITIES = "modalities"
    ACCESS_ROUTES = "access-routes"
    COMPLICATIONS = "complications"
    SOURCES = "sources"


class SortBy(StrEnum):
    """Sort orders of ``complications``."""

    PROCEDURE = "procedure"
    COMPLICATION = "complication"
    RATE = "rate"


def _complete(kind: str | None) -> Any:
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        from .. import reads

        return reads.completion_words(ctx.find_root().params.get("data_dir"), kind, incomplete)

    return complete


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table (rich on a terminal, tab-separated in a pipe), json, jsonl, csv, yaml or markdown.")]
KindOpt = Annotated[Kind | None, typer.Option("--kind", "-k", help="Look only at records of this kind.")]
Many = list[str] | None


def _value(enum: StrEnum | None) -> str | None:
    return enum.value if enum is not None else None


@app.command("list")
def list_(
    ctx: typer.Context,
    what: Annotated[ListKind, typer.Argument(help="What to list.")] = ListKind.PROCEDURES,
    modality: Annotated[
        Many,
        typer.Option(
            "--modality",
            "-m",
            help="Guided by this modality, any role (repeatable: all must match). Id or abbreviation: CT, US, MRI...",
            autocompletion=_complete("modality"),
        ),
    ] = None,
    role: Annotated[Role | None, typer.Option("--role", help="With --modality: only guidance entries of this role.")] = None,
    live: Annotated[
        bool | None, typer.Option("--live/--no-live", help="Standard guidance (primary + adjunct roles) includes / excludes a live modality (speed == live).")
    ] = None,
    radiation: Annotated[bool | None, typer.Option("--radiation/--no-radiation", help="Standard guidance includes / excludes ionising radiation.")] = None,
    access: Annotated[
        Many, typer.Option("--access", "-a", help="Uses this access route (repeatable: all must match).", autocompletion=_complete("access-route"))
    ] = None,
    complication: Annotated[
        Many,
        typer.Option("--complication", "-c", help="Has a figure for this complication (repeatable: all must match).", autocompletion=_complete("complication")),
    ] = None,
    category: Annotated[Category | None, typer.Option("--category", help="Procedure category.")] = None,
    system: Annotated[BodySystem | None, typer.Option("--system", help="Body system.")] = None,
    purpose: Annotated[Purpose | None, typer.Option("--purpose", help="diagnostic, therapeutic or palliative.")] = None,
    family: Annotated[
        str | None, typer.Option("--family", help="Members of this procedure family (and the family record).", autocompletion=_complete("procedure"))
    ] = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """List records; procedures can be filtered, and every filter must match.

    --modality matches the guidance in any role (--role narrows it), by exact id after alias
    resolution: CT does not match cbct or ct-fluoroscopy. --live/--no-live and
    --radiation/--no-radiation look at the standard guidance only (roles primary and adjunct;
    alternative entries are other ways to do it). An unknown modality, access route or
    complication exits 3 with suggestions; no match at all is an empty answer (exit 0).

    Example: irkb list --modality ct --no-live
    """
    from .. import reads

    reads.run_list(
        ctx.obj,
        what.value,
        modality=modality or [],
        role=_value(role),
        live=live,
        radiation=radiation,
        access=access or [],
        complication=complication or [],
        category=_value(category),
        system=_value(system),
        purpose=_value(purpose),
        family=family,
        fmt=fmt,
    )


@app.command()
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Id, name, alias or abbreviation (TIPS, UFE, PCN, US...).", autocompletion=_complete(None))],
    kind: KindOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Show one record in full: guidance, access, complications with rates and sources, pearls.

    Looks in every kind: exact id, then name or alias (case, spaces and hyphens ignored). A shared
    abbreviation lists its candidates (exit 4); an unknown key suggests close ones (exit 3).

    Example: irkb show tips
    """
    from .. import reads

    reads.run_show(ctx.obj, key, _value(kind), fmt)


@app.command()
def compare(
    ctx: typer.Context,
    keys: Annotated[list[str], typer.Argument(help="Two or more ids or aliases of one kind.", autocompletion=_complete(None))],
    kind: KindOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Compare records of one kind side by side; fields that differ are highlighted.

    JSON output: {kind, records: [... in the order given], differing_fields: [...]}.

    Example: irkb compare vertebroplasty kyphoplasty
    """
    from .. import reads

    reads.run_compare(ctx.obj, keys, _value(kind), fmt)


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words to look for; typos are tolerated.")],
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="At most this many results (0: all).")] = 20,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Ranked search over names, aliases, summaries and indications (typo tolerant).

    Each result carries record_type in JSON, since results mix kinds.

    Example: irkb search "gallblader drain"
    """
    from .. import reads

    reads.run_search(ctx.obj, text, _value(kind), limit, fmt)


@app.command()
def complications(
    ctx: typer.Context,
    procedure: Annotated[Many, typer.Option("--procedure", "-p", help="Only this procedure (repeatable).", autocompletion=_complete("procedure"))] = None,
    complication: Annotated[
        Many, typer.Option("--complication", "-c", help="Only this complication (repeatable).", autocompletion=_complete("complication"))
    ] = None,
    min_rate: Annotated[
        float | None, typer.Option("--min-rate", min=0, max=100, help="Only figures whose upper value (percent, else high) is at least P.")
    ] = None,
    rate_kind: Annotated[RateKind | None, typer.Option("--rate-kind", help="observed, threshold or upper-bound.")] = None,
    sort: Annotated[SortBy, typer.Option("--sort", help="procedure, complication, or rate (highest first).")] = SortBy.PROCEDURE,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Complication figures across procedures, one row per figure, with its kind and source.

    A threshold or an upper bound is labelled as such, never shown as an observed rate. On a
    terminal each figure gets a bar, scaled to the largest shown.

    Example: irkb complications --complication haemorrhage --sort rate
    """
    from .. import reads

    reads.run_complications(
        ctx.obj, procedure=procedure or [], complication=complication or [], min_rate=min_rate, rate_kind=_value(rate_kind), sort=sort.value, fmt=fmt
    )


@app.command()
def stats(ctx: typer.Context, fmt: FormatOpt = Format.TABLE) -> None:
    """Counts by kind, category, system and modality, and coverage gaps of the content.

    Example: irkb stats --format json
    """
    state: State = ctx.obj
    from .. import reads

    reads.run_stats(state, fmt)
