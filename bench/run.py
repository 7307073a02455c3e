"""irkb benchmark: wall time and peak memory, as ratios against references measured in the same run.

    .venv/bin/pip install -e '.[bench]'           # check-jsonschema, the reference for validate
    .venv/bin/python bench/run.py                 # shipped, then 100, 1,000, 10,000, 50,000 procedures
    .venv/bin/python bench/run.py --sizes 100 1000 --repeat 7

For the shipped knowledge base and for synthetic ones of N procedures (generated from the real
records: unique ids and aliases, every reference valid) it times, as the median of repeated runs
of a fresh process, each irkb command and the reference it is judged against:

| irkb                                                   | reference (same run, same data)             |
|--------------------------------------------------------|---------------------------------------------|
| ``list --modality ct --no-live --format json``, warm    | ``jq`` over the JSON export; ``yq`` over    |
|                                                        | the YAML files; ``python -c "import typer"`` |
| ``search "lung biopsy" --format json``, warm           | ``jq`` matching both words in name, aliases |
|                                                        | and summary over the JSON export            |
| the headline query after editing one file              | the warm headline query                     |
| ``validate`` with an empty cache                       | ``check-jsonschema`` over the same files    |
|                                                        | with irkb's own schemas                     |

and the peak memory (max RSS) of every irkb process, the ``export -f json`` that jq reads (timed
once) included. Each line prints the ratio and the target
of the scale issue beside it, with ``ok`` or ``MISSED``. A reference that is not installed is
reported and skipped; nothing here is a test (tests never time anything).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SCHEMAS = ROOT / "schemas"
PY = sys.executable
BIN = Path(PY).parent
IRKB = [str(BIN / "irkb")] if (BIN / "irkb").exists() else [PY, "-m", "irkb"]
CHECK_JSONSCHEMA = str(BIN / "check-jsonschema") if (BIN / "check-jsonschema").exists() else shutil.which("check-jsonschema")
FOLDERS = {"procedures": "procedure", "modalities": "modality", "access-routes": "access-route", "complications": "complication", "sources": "source"}

HEADLINE = ["list", "--modality", "ct", "--no-live", "--format", "json"]
SEARCH = ["search", "lung biopsy", "--format", "json"]
# The same question for jq (one JSON export) and yq (the YAML files): CT among the guidance, and no
# primary or adjunct modality that images live.
JQ_HEADLINE = (
    "(.modalities | map({(.id): .speed}) | add) as $speed"
    ' | .procedures | map(select((.guidance | any(.modality == "ct"))'
    ' and ((.guidance | map(select(.role == "primary" or .role == "adjunct")) | any($speed[.modality] == "live")) | not)))'
)
YQ_HEADLINE = (
    "(map(select(.speed != null)) | map({(.id): .speed}) | add) as $speed"
    ' | map(select(.category != null and (.guidance | any(.modality == "ct"))'
    ' and ((.guidance | map(select(.role == "primary" or .role == "adjunct")) | any($speed[.modality] == "live")) | not)))'
)
JQ_SEARCH = (
    '.procedures | map(select(([.name, (.aliases[]?.text), (.summary // "")] | join(" ") | ascii_downcase)'
    ' as $t | ($t | contains("lung")) and ($t | contains("biopsy"))))'
)


class Timer:
    """Runs commands as whole processes; keeps the largest peak RSS of any irkb process."""

    def __init__(self, env: dict[str, str], repeat: int) -> None:
        self.env, self.repeat, self.irkb_peak_kib = env, repeat, 0

    def __call__(self, cmd: Sequence[str], *, repeat: int | None = None, setup: Callable[[], None] | None = None, env: dict[str, str] | None = None) -> float:
        """Median wall seconds over the runs of ``cmd`` (after ``setup``, untimed, before each)."""
        times = []
        for _ in range(repeat or self.repeat):
            if setup is not None:
                setup()
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env or self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            assert proc.stderr is not None
            err = proc.stderr.read()
            _, status, usage = os.wait4(proc.pid, 0)
            times.append(time.perf_counter() - start)
            code = os.waitstatus_to_exitcode(status)
            if code not in (0, 1):
                raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({code}): {err.decode(errors='replace')[-2000:]}")
            if list(cmd[: len(IRKB)]) == IRKB:
                self.irkb_peak_kib = max(self.irkb_peak_kib, usage.ru_maxrss)
        return statistics.median(times)


def synthetic(target: Path, n: int) -> Path:
    """A valid knowledge base of ``n`` procedures made from the shipped records (other kinds copied)."""
    from ruamel.yaml import YAML

    import irkb

    originals = irkb.load(DATA).catalog.docs("procedure")
    for folder in FOLDERS:
        if folder != "procedures":
            shutil.copytree(DATA / folder, target / folder)
    (target / "procedures").mkdir(parents=True)
    yaml = YAML(typ="safe", pure=False)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    for i in range(n):
        doc = json.loads(json.dumps(originals[i % len(originals)]))
        copy = i // len(originals)
        if copy:
            doc["id"] = f"{doc['id']}-{copy}"
            doc["name"] = f"{doc['name']} ({copy})"
            for alias in doc["aliases"]:
                alias["text"] = f"{alias['text']} {copy}"
        if copy or n < len(originals):
            # references to other procedures point at the originals, which a small base may lack
            doc["related"], doc["family"] = [], None
            for alt in doc["alternatives"]:
                if alt.get("procedure"):
                    alt["name"], alt["procedure"] = alt["procedure"], None
        clean = {k: v for k, v in doc.items() if v not in (None, [], {})}
        if not (doc["codes"] or {}).get("mesh") and not (doc["codes"] or {}).get("radlex"):
            clean.pop("codes", None)
        with (target / "procedures" / f"{doc['id']}.yaml").open("w", encoding="utf-8") as handle:
            handle.write("# yaml-language-server: $schema=../../schemas/procedure.schema.json\n")
            yaml.dump(clean, handle)
    return target


def check_jsonschema(kb_dir: Path, timer: Timer, repeat: int) -> float | None:
    """check-jsonschema over every file of the knowledge base, one run per kind with its schema, summed."""
    if CHECK_JSONSCHEMA is None:
        return None
    total = 0.0
    for folder, kind in FOLDERS.items():
        files = sorted(str(p) for p in (kb_dir / folder).glob("*.yaml"))
        if files:
            total += timer([CHECK_JSONSCHEMA, "--schemafile", str(SCHEMAS / f"{kind}.schema.json"), *files], repeat=repeat)
    return total


class Report:
    def __init__(self, title: str) -> None:
        self.lines = [f"\n== {title} =="]
        self.missed = 0

    def row(self, label: str, seconds: float, ref: tuple[str, float | None] | None = None, target: float | None = None) -> None:
        ratio = verdict = ""
        if ref is not None and ref[1]:
            value = seconds / ref[1]
            ratio = f"{value:6.2f}x {ref[0]}"
            if target is not None:
                met = value <= target
                self.missed += not met
                verdict = f"target <= {target}x  {'ok' if met else 'MISSED'}"
        elif ref is not None:
            ratio = f"(no {ref[0]} here)"
        self.lines.append(f"  {label:<38} {seconds * 1000:9.1f} ms  {ratio:<30} {verdict}")

    def note(self, text: str) -> None:
        self.lines.append(f"  {text}")

    def print(self) -> None:
        print("\n".join(self.lines), flush=True)


def bench(name: str, kb_dir: Path, args: argparse.Namespace, env: dict[str, str], typer_s: float) -> int:
    n = len(list((kb_dir / "procedures").glob("*.yaml")))
    files = sum(len(list((kb_dir / f).glob("*.yaml"))) for f in FOLDERS)
    shipped = name == "shipped"
    at_scale = n >= 10_000
    cache = Path(env["IRKB_CACHE_DIR"]) / name
    run_env = {**env, "IRKB_DATA_DIR": str(kb_dir), "IRKB_CACHE_DIR": str(cache)}
    timer = Timer(run_env, args.repeat)
    cold_repeat = 1 if n > 10_000 else args.cold_repeat
    report = Report(f"{name}: {n} procedures, {files} files")

    cold = timer([*IRKB, "validate"], repeat=cold_repeat, setup=lambda: shutil.rmtree(cache, ignore_errors=True))
    reference = check_jsonschema(kb_dir, timer, 1) if n <= 10_000 else None
    report.row("validate, cold cache", cold, ("check-jsonschema", reference), 0.1 if at_scale else None)
    if reference is None and n > 10_000:
        report.note("(check-jsonschema skipped above 10,000 procedures: it takes minutes)")

    subprocess.run([*IRKB, *HEADLINE], env=run_env, stdout=subprocess.DEVNULL, check=True)  # warm
    warm = timer([*IRKB, *HEADLINE])
    search = timer([*IRKB, *SEARCH])
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export.json"
        exported = timer([*IRKB, "export", "-f", "json", "-o", str(export)], repeat=1)  # what jq reads; its memory counts too
        jq = timer(["jq", JQ_HEADLINE, str(export)]) if shutil.which("jq") else None
        jq_search = timer(["jq", JQ_SEARCH, str(export)]) if shutil.which("jq") else None
    yq = None
    if shutil.which("yq") and n <= 1000:
        paths = [str(p) for f in ("modalities", "procedures") for p in sorted((kb_dir / f).glob("*.yaml"))]
        yq = timer(["yq", "-s", YQ_HEADLINE, *paths], repeat=max(1, args.repeat // 2))

    report.row("headline query, warm", warm, ("jq", jq), 0.1 if at_scale else None)
    if yq is not None:
        report.row("headline query, warm", warm, ("yq", yq), 0.5 if shipped else None)
    if shipped:  # measured again here, beside the query it is compared with
        typer_s = timer([PY, "-c", "import typer"])
    report.row("headline query, warm", warm, ("import typer", typer_s), 1.3 if shipped else None)
    report.row("search, warm", search, ("jq", jq_search), 0.1 if at_scale else None)

    victim = sorted((kb_dir / "procedures").glob("*.yaml"))[len(list((kb_dir / "procedures").glob("*.yaml"))) // 2]
    original = victim.read_bytes()
    edits = iter(range(1_000_000))

    def edit() -> None:
        victim.write_bytes(original.replace(b"\nname: ", f"\nname: edit {next(edits)} ".encode(), 1))

    try:
        edited = timer([*IRKB, *HEADLINE], setup=edit)
    finally:
        victim.write_bytes(original)
    report.row("headline query after editing one file", edited, ("warm", warm), 1.5 if at_scale else None)
    report.row("export -f json (once)", exported)
    for label, seconds in (("  jq, headline", jq), ("  jq, search", jq_search), ("  yq, headline", yq), ("  check-jsonschema", reference)):
        if seconds is not None:
            report.row(label, seconds)
    peak = timer.irkb_peak_kib / 1024
    report.note(f"peak memory of any irkb process: {peak:.0f} MB  (target < 300 MB)  {'ok' if peak < 300 else 'MISSED'}")
    report.missed += peak >= 300
    report.print()
    shutil.rmtree(cache, ignore_errors=True)
    return report.missed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[100, 1000, 10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (the median is shown)")
    parser.add_argument("--cold-repeat", type=int, default=2, help="runs of a cold validate (one above 10,000)")
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped knowledge base")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="irkb-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "IRKB_CACHE_DIR": str(work / "cache"), "NO_COLOR": "1"}
        for name in ("IRKB_NO_FAST_PATH", "IRKB_NO_CACHE", "IRKB_NO_PARALLEL", "IRKB_DATA_DIR"):
            env.pop(name, None)
        # Measure what users run: bytecode cached, as pip and a first import leave it.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "src" / "irkb")], env=env, check=False)
        timer = Timer(env, args.repeat)
        python_s = timer([PY, "-c", "pass"])
        typer_s = timer([PY, "-c", "import typer"])
        print(
            f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; jq {'yes' if shutil.which('jq') else 'missing'}, "
            f"yq {'yes' if shutil.which('yq') else 'missing'}, check-jsonschema {'yes' if CHECK_JSONSCHEMA else 'missing'}"
        )
        print(f"references: python -c pass {python_s * 1000:.1f} ms; import typer {typer_s * 1000:.1f} ms")
        missed = 0
        if not args.no_shipped:
            missed += bench("shipped", DATA, args, env, typer_s)
        for size in args.sizes:
            start = time.perf_counter()
            kb_dir = synthetic(work / f"kb{size}", size)
            print(f"\n(generated {size} procedures in {time.perf_counter() - start:.0f} s)", flush=True)
            missed += bench(f"synthetic-{size}", kb_dir, args, env, typer_s)
            shutil.rmtree(kb_dir, ignore_errors=True)
        print(f"\n{missed} target(s) missed")


if __name__ == "__main__":
    main()
