"""Declarations of the read commands (what trainees use; first in ``--help``). The work is in
``irkb.commands.read`` and ``irkb.commands.figures``."""

import inspect
from typing import Annotated, Any

import typer

from ..commands import figures, read
from ..kinds import KindFolder, KindName
from ..query.filters import filter_fields
from ..vocab import Format, RateKind
from .app import app, runs

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table (rich on a terminal, plain lines in a pipe), json, jsonl, csv, yaml or markdown.")]
KindOpt = Annotated[KindName | None, typer.Option("--kind", "-k", help="Look only at records of this kind.")]
Many = list[str] | None


def complete(kind: str | None) -> Any:
    """Shell completion of record ids (and one-word aliases) of ``kind``."""

    def words(ctx: typer.Context, incomplete: str) -> list[str]:
        return read.completion_words(ctx.find_root().params.get("data_dir"), kind, incomplete)

    return words


def _filter_parameters() -> list[inspect.Parameter]:
    """One option per field of ``ProcedureFilter``: names, help and completion come from the filter itself."""
    out = []
    for name, option, default in filter_fields():
        help_text = option.help
        if option.vocabulary is not None:
            help_text += " One of: " + ", ".join(m.value for m in option.vocabulary) + " (American spellings accepted)."
        extra: dict[str, Any] = {"help": help_text}
        if option.complete:
            extra["autocompletion"] = complete(option.complete)
        if isinstance(default, tuple):
            annotation: Any = Annotated[Many, typer.Option(*option.names, **extra)]
        elif "/" in option.names[0]:
            annotation = Annotated[bool | None, typer.Option(*option.names, **extra)]
        else:
            annotation = Annotated[str | None, typer.Option(*option.names, metavar="ID" if option.resolve else "VALUE", **extra)]
        out.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=None))
    return out


def _declare_list() -> None:
    def list_(ctx: typer.Context, **params: Any) -> None:
        """List records; procedures can be filtered, and every filter must match.

        --modality matches the guidance in any role (--role narrows it), by exact id after alias
        resolution: CT does not match cbct or ct-fluoroscopy. --live/--no-live and
        --radiation/--no-radiation look at the standard guidance only (roles primary and adjunct;
        alternative entries are other ways to do it). An unknown modality, access route or
        complication exits 3 with suggestions; no match at all is an empty answer (exit 0).

        Example: irkb list --modality ct --no-live
        """

    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter(
            "what",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[KindFolder, typer.Argument(help="What to list.")],
            default=KindFolder("procedures"),
        ),
        *_filter_parameters(),
        inspect.Parameter("fmt", inspect.Parameter.KEYWORD_ONLY, annotation=FormatOpt, default=Format.TABLE),
    ]
    list_.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    list_.__annotations__ = {p.name: p.annotation for p in parameters}
    app.command("list")(runs(read.list_)(list_))


_declare_list()


@app.command()
@runs(read.show)
def show(
    ctx: typer.Context,
    key: Annotated[
        list[str], typer.Argument(help="Id, name, alias or abbreviation (TIPS, UFE, PCN, US...); several words are one name.", autocompletion=complete(None))
    ],
    kind: KindOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Show one record in full: guidance, access, figures with what they count and their sources, pearls.

    Looks in every kind: exact id, then name or alias (case, spaces and hyphens ignored), then a
    unique name that starts with the words given. A shared abbreviation lists its candidates
    (exit 4); an unknown key suggests close ones (exit 3). -f markdown is the whole record.

    Example: irkb show tips
    """


@app.command()
@runs(read.compare)
def compare(
    ctx: typer.Context,
    keys: Annotated[list[str], typer.Argument(help="Two or more ids or aliases of one kind.", autocompletion=complete(None))],
    kind: KindOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Compare records of one kind: fields that differ (marked ≠), figures lined up by complication and outcome.

    JSON: {kind, records: [... in the order given], differing_fields, complications, outcomes},
    where complications and outcomes are {complication or measure: {record id: [figures]}}.

    Example: irkb compare vertebroplasty kyphoplasty
    """


@app.command()
@runs(read.search)
def search(
    ctx: typer.Context,
    text: Annotated[list[str], typer.Argument(help="Words to look for (every word must be found; a typo is tolerated).")],
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="At most this many results (0: all).")] = 20,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Ranked search over names, aliases, summaries, indications, pearls, pitfalls and figure notes.

    Each hit says which field matched and shows the text around the match. Nothing close enough
    is an empty answer ("no close match" on stderr, [] in JSON, exit 0).

    Example: irkb search "gallblader drain"
    """


@app.command()
@runs(figures.complications)
def complications(
    ctx: typer.Context,
    procedure: Annotated[Many, typer.Option("--procedure", "-p", help="Only this procedure (repeatable).", autocompletion=complete("procedure"))] = None,
    complication: Annotated[
        Many, typer.Option("--complication", "-c", help="Only this complication (repeatable).", autocompletion=complete("complication"))
    ] = None,
    access: Annotated[
        Many, typer.Option("--access", "-a", help="Figures of this access route instead (repeatable).", autocompletion=complete("access-route"))
    ] = None,
    of: Annotated[str, typer.Option("--of", help="Whose figures: procedure, access-route or all.")] = "procedure",
    min_rate: Annotated[
        float | None, typer.Option("--min-rate", min=0, max=100, help="Only figures whose upper value (percent, else high) is at least P.")
    ] = None,
    rate_kind: Annotated[RateKind | None, typer.Option("--rate-kind", help="observed, threshold or upper-bound.")] = None,
    sort: Annotated[str, typer.Option("--sort", help="procedure, complication, or rate (highest first).")] = "procedure",
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Complication figures across procedures (or access routes), one per figure, each with what it counts.

    Every figure shows its kind: a threshold or an upper bound never reads as an observed rate.

    Example: irkb complications --complication haemorrhage --sort rate
    """


@app.command()
@runs(figures.outcomes)
def outcomes(
    ctx: typer.Context,
    procedure: Annotated[Many, typer.Option("--procedure", "-p", help="Only this procedure (repeatable).", autocompletion=complete("procedure"))] = None,
    measure: Annotated[
        Many, typer.Option("--measure", "-m", help="Only this measure, with or without its time point (repeatable; see 'irkb vocab measures').")
    ] = None,
    min_value: Annotated[float | None, typer.Option("--min-value", min=0, max=100, help="Only figures whose upper value is at least P.")] = None,
    rate_kind: Annotated[RateKind | None, typer.Option("--rate-kind", help="observed, threshold or upper-bound.")] = None,
    sort: Annotated[str, typer.Option("--sort", help="procedure, measure, or value (highest first).")] = "procedure",
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Outcome figures across procedures (technical success, patency, diagnostic yield...), one per figure.

    Example: irkb outcomes --measure technical-success --sort value
    """


@app.command()
@runs(read.stats)
def stats(ctx: typer.Context, fmt: FormatOpt = Format.TABLE) -> None:
    """Counts by kind, category, system and modality, and coverage gaps of the content.

    Example: irkb stats --format json
    """
