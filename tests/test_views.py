"""What a trainee reads: every figure says what it counts, in every format, at 60, 80 and 120 columns."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import MINI_KB, ROOT, Run

KB = ("--data-dir", str(MINI_KB))
SHIPPED = ("--data-dir", str(ROOT / "data"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def _shipped_once(shared_cache: None) -> None:
    """The shipped catalog is compiled once for this module."""


def _flat(text: str) -> str:
    """Rendered text with wrapping undone: lines joined, indentation and runs of spaces collapsed."""
    return " ".join(ANSI.sub("", text).split())


@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize(
    "args",
    [
        ("show", "lung-biopsy"),
        ("show", "native-kidney-biopsy"),
        ("complications", "-c", "pneumothorax"),
        ("outcomes", "-p", "tips"),
        ("compare", "vertebroplasty", "kyphoplasty"),
        ("list", "--modality", "ct"),
        ("search", "kidney biopsy"),
    ],
)
def test_rich_views_fit_the_width_and_cut_nothing(run: Run, monkeypatch: pytest.MonkeyPatch, width: int, args: tuple[str, ...]) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    result = run(*SHIPPED, "--color", "always", "--no-pager", *args)
    assert result.exit_code == 0, result
    lines = ANSI.sub("", result.stdout).splitlines()
    assert max(len(line) for line in lines) <= width, f"a line is wider than {width}"
    if args[0] != "search":  # a search snippet is an excerpt by design
        assert "…" not in result.stdout, "nothing is cut"


def test_every_figure_of_a_record_can_be_told_apart_in_every_human_format(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lung biopsy has several pneumothorax figures: each shows what it counts and over whom."""
    monkeypatch.setenv("COLUMNS", "80")
    doc = json.loads(run(*SHIPPED, "show", "lung-biopsy", "-f", "json").stdout)
    pneumothorax = [f for f in doc["complications"] if f["complication"] == "pneumothorax"]
    assert len(pneumothorax) >= 3
    outputs = {
        "rich": _flat(run(*SHIPPED, "--color", "always", "--no-pager", "show", "lung-biopsy").stdout),
        "plain": _flat(run(*SHIPPED, "show", "lung-biopsy").stdout),
        "markdown": _flat(run(*SHIPPED, "show", "lung-biopsy", "-f", "markdown").stdout.replace("\\", "")),
    }
    for name, text in outputs.items():
        for figure in pneumothorax:
            for fact in (figure["population"], figure["note"]):
                if fact:
                    assert _flat(fact) in text, f"{name} lacks {fact!r}"
        assert "THRESHOLD" in text and "per patient" in text and "(systematic-review)" in text, name


def test_plain_show_keeps_every_fact_on_grep_able_lines(run: Run) -> None:
    out = run(*KB, "show", "ct-lung-biopsy").stdout
    lines = out.splitlines()
    assert lines[0].startswith("procedure\tct-lung-biopsy\t")
    complication = [line for line in lines if line.startswith("complication\t")]
    assert complication and all(len(line.split("\t")) >= 8 for line in complication)
    assert any("test" in line and "test-study" in line for line in complication), "population and source on the figure's line"
    assert any(line.startswith("guidance\tct\t") and "use:" in line for line in lines) or any(line.startswith("guidance\tct\t") for line in lines)


def test_markdown_show_is_the_whole_record(run: Run) -> None:
    out = run(*KB, "show", "vertebroplasty", "-f", "markdown").stdout
    assert out.startswith("# Vertebroplasty")
    for heading in ("## Guidance", "## Complications", "## Pearls", "## Sources"):
        assert heading in out
    assert "| figure | rate | kind | severity | per | counts | population | source |" in out


def test_compare_lines_figures_up_and_marks_differences_without_colour(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = run(*KB, "--color", "never", "compare", "vertebroplasty", "kyphoplasty").stdout
    assert "\x1b[" not in out
    assert "field\t≠ name" in out and "field\t= category" in out
    assert re.search(r"complication\t[≠=] Haemorrhage\t", out), "complications lined up across the records"
    data = json.loads(run(*KB, "compare", "vertebroplasty", "kyphoplasty", "-f", "json").stdout)
    assert set(data["complications"]["haemorrhage"]) == {"vertebroplasty", "kyphoplasty"}


def test_compare_ignores_order_only_differences(run: Run, kb_dir: Path) -> None:
    kypho = kb_dir / "procedures" / "kyphoplasty.yaml"
    vert = (kb_dir / "procedures" / "vertebroplasty.yaml").read_text()
    text = kypho.read_text()
    purpose = re.search(r"^purpose: .*$", vert, re.M)
    assert purpose
    kypho.write_text(re.sub(r"^purpose: .*$", "purpose: [palliative, therapeutic]", text, flags=re.M))
    data = json.loads(run("--data-dir", str(kb_dir), "compare", "vertebroplasty", "kyphoplasty", "-f", "json").stdout)
    assert "purpose" not in data["differing_fields"]


def test_search_says_where_it_matched_and_when_nothing_is_close(run: Run) -> None:
    hits = json.loads(run(*SHIPPED, "search", "gallblader drain", "-f", "json").stdout)
    assert hits[0]["id"] == "percutaneous-cholecystostomy" and hits[0]["matched_field"] == "aliases" and "gallbladder" in hits[0]["snippet"]
    for nonsense in ("cataract surgery", "zzzzqqq"):
        result = run(*SHIPPED, "search", nonsense, "-f", "json")
        assert result.exit_code == 0 and json.loads(result.stdout) == [] and "no close match" in result.stderr
    pearls = json.loads(run(*SHIPPED, "search", "same-session lung biopsy", "-f", "json").stdout)
    assert any(h["matched_field"] in ("pearls", "pitfalls", "notes") for h in pearls), "pearls and notes are searched"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("list", "--access", "radial", "-f", "json"), "angioplasty"),
        (("show", "uterine", "fibroid", "embolisation", "-f", "json"), "uterine-fibroid-embolisation"),
        (("show", "tips", "-f", "json", "--color", "never"), "tips"),
        (("list", "--category", "embolization", "-f", "json"), "uterine-fibroid-embolisation"),
    ],
)
def test_lookups_that_used_to_cost_a_retry(run: Run, args: tuple[str, ...], expected: str) -> None:
    result = run(*SHIPPED, *args)
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    ids = [d["id"] for d in data] if isinstance(data, list) else [data["id"]]
    assert expected in ids


def test_a_misspelt_closed_value_suggests_the_right_one(run: Run) -> None:
    result = run(*KB, "list", "--category", "embolisaton")
    assert result.exit_code == 2 and "did you mean: embolisation" in result.stderr


def test_ambiguous_abbreviations_list_names_with_ids(run: Run) -> None:
    result = run(*SHIPPED, "show", "PTA")
    assert result.exit_code == 4
    assert re.search(r"angioplasty \(Angioplasty", result.stderr)


def test_outcomes_mirror_complications_in_every_format(run: Run) -> None:
    rows = json.loads(run(*SHIPPED, "outcomes", "--measure", "technical-success", "--sort", "value", "-f", "json").stdout)
    assert rows and all(r["measure"].startswith("technical-success") for r in rows)
    values = [r["rate"]["percent"] or r["rate"]["high"] or r["rate"]["low"] for r in rows]
    assert values == sorted(values, reverse=True)
    assert {"procedure", "procedure_name", "measure", "rate", "rate_kind", "per", "comparator", "population", "note", "source", "source_kind"} <= set(rows[0])
    for fmt in ("table", "csv", "markdown", "yaml", "jsonl"):
        assert run(*SHIPPED, "outcomes", "-p", "tips", "-f", fmt).exit_code == 0, fmt
    thresholds = json.loads(run(*SHIPPED, "outcomes", "--rate-kind", "threshold", "-f", "json").stdout)
    assert thresholds and {r["rate_kind"] for r in thresholds} == {"threshold"}


def test_complications_cover_access_routes_too(run: Run) -> None:
    rows = json.loads(run(*SHIPPED, "complications", "--access", "radial-artery", "-f", "json").stdout)
    assert rows and {r["access_route"] for r in rows} == {"radial-artery"} and all(r["procedure"] is None for r in rows)
    every = json.loads(run(*SHIPPED, "complications", "--of", "all", "-f", "json").stdout)
    assert any(r["access_route"] for r in every) and any(r["procedure"] for r in every)


def test_complication_rows_carry_per_comparator_note_and_population(run: Run) -> None:
    rows = json.loads(run(*SHIPPED, "complications", "-f", "json").stdout)
    assert any(r["comparator"] for r in rows) and any(r["per"] for r in rows)
    plain = run(*SHIPPED, "complications", "-c", "pneumothorax").stdout.splitlines()
    assert all(len(line.split("\t")) == 9 for line in plain), "record, figure, rate, kind, severity, per, counts, population, source"
    with_comparator = next(r for r in rows if r["comparator"])
    shown = run(*SHIPPED, "complications", "-p", with_comparator["procedure"] or "", "-c", with_comparator["complication"]).stdout
    assert " vs " in shown and with_comparator["comparator"]["label"] in shown


def _pty_run(args: list[str], env: dict[str, str]) -> str:
    """Run irkb with stdout on a pseudo-terminal 80x24; what the terminal received."""
    main, child = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "irkb", *args], stdout=child, stderr=subprocess.DEVNULL, env=env)
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_long_output_on_a_terminal_goes_through_the_pager(tmp_path: Path) -> None:
    marker = tmp_path / "paged.txt"
    env = {**os.environ, "IRKB_PAGER": f"sh -c 'cat > {marker}'", "COLUMNS": "80"}
    env.pop("NO_COLOR", None)
    _pty_run([*SHIPPED, "show", "lung-biopsy"], env)
    assert marker.exists() and "CT-guided lung biopsy" in marker.read_text()
    marker.unlink()
    _pty_run([*SHIPPED, "--no-pager", "show", "lung-biopsy"], env)
    assert not marker.exists(), "--no-pager prints straight to the terminal"
    piped = subprocess.run([sys.executable, "-m", "irkb", *SHIPPED, "show", "lung-biopsy"], capture_output=True, env=env, timeout=60)
    assert not marker.exists() and piped.stdout, "never when piped"
