"""irkb benchmark: wall time and peak memory, as ratios against references measured in the same run.

    .venv/bin/python bench/run.py                 # sizes: shipped, 100, 1000, 10000 procedures
    .venv/bin/python bench/run.py --sizes 100 1000 --repeat 7

For each knowledge base (the shipped one, and synthetic ones of N procedures generated from the
real records: unique ids and aliases, every reference valid) it times, as the median of repeated
runs of a fresh process:

- the headline query ``irkb list --modality ct --no-live --format json`` on a warm cache;
- ``irkb show <id> --format json`` and ``irkb search "lung biopsy" --format json``;
- ``irkb --help``;
- a cold ``irkb validate`` (empty cache) and the next query after editing one file;

against ``python -c pass``, ``python -c "import typer"``, the equivalent ``yq`` query over the same
YAML files and the equivalent ``jq`` query over the same records as one JSON file. It prints each
irkb figure as a ratio of its reference, the targets of issue 7 beside them, and peak memory (max
RSS). References that are not installed are reported and skipped.
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
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
PY = sys.executable
IRKB = [PY, "-m", "irkb"]
if (Path(PY).parent / "irkb").exists():
    IRKB = [str(Path(PY).parent / "irkb")]

YQ_FILTER = (
    "(map(select(.speed != null)) | map({(.id): .speed}) | add) as $speed"
    ' | map(select(.category != null and (.guidance | any(.modality == "ct"))'
    ' and ((.guidance | map(select(.role == "primary" or .role == "adjunct")) | any($speed[.modality] == "live")) | not)))'
)
JQ_FILTER = (
    "(.modalities | map({(.id): .speed}) | add) as $speed"
    ' | .procedures | map(select((.guidance | any(.modality == "ct"))'
    ' and ((.guidance | map(select(.role == "primary" or .role == "adjunct")) | any($speed[.modality] == "live")) | not)))'
)


def timed(cmd: Sequence[str], env: dict[str, str], repeat: int, cwd: Path | None = None, setup: object = None) -> tuple[float, int]:
    """Median wall seconds over ``repeat`` runs, and the largest peak RSS (KiB) of any one run."""
    times = []
    peak = 0
    for _ in range(repeat):
        if callable(setup):
            setup()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = max(peak, usage.ru_maxrss)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return statistics.median(times), peak


def synthetic(target: Path, n: int) -> Path:
    """A valid knowledge base of ``n`` procedures made from the shipped records."""
    from ruamel.yaml import YAML

    import irkb

    kb = irkb.load(DATA)
    for folder in ("modalities", "access-routes", "complications", "sources"):
        shutil.copytree(DATA / folder, target / folder)
    (target / "procedures").mkdir(parents=True)
    yaml = YAML(typ="safe", pure=False)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    originals = kb.catalog.docs("procedure")
    for i in range(n):
        doc = json.loads(json.dumps(originals[i % len(originals)]))
        copy = i // len(originals)
        if copy:
            doc["id"] = f"{doc['id']}-{copy}"
            doc["name"] = f"{doc['name']} ({copy})"
            for alias in doc["aliases"]:
                alias["text"] = f"{alias['text']} {copy}"
            # references to other procedures point at the originals, which a small base may lack
            doc["related"] = []
            doc["family"] = None
            for alt in doc["alternatives"]:
                if alt.get("procedure"):
                    alt["name"], alt["procedure"] = alt["procedure"], None
        elif n < len(originals):
            doc["related"] = []
            doc["family"] = None
            for alt in doc["alternatives"]:
                if alt.get("procedure"):
                    alt["name"], alt["procedure"] = alt["procedure"], None
        clean = {k: v for k, v in doc.items() if v not in (None, [], {})}
        clean["codes"] = doc["codes"] if doc["codes"].get("mesh") or doc["codes"].get("radlex") else None
        clean = {k: v for k, v in clean.items() if v is not None}
        with (target / "procedures" / f"{doc['id']}.yaml").open("w", encoding="utf-8") as handle:
            handle.write("# yaml-language-server: $schema=../../schemas/procedure.schema.json\n")
            yaml.dump(clean, handle)
    return target


def export_json(kb_dir: Path, out: Path) -> None:
    """The records as one JSON file, as jq would read an irkb export."""
    import irkb

    kb = irkb.load(kb_dir)
    out.write_text(json.dumps({"modalities": kb.catalog.docs("modality"), "procedures": kb.catalog.docs("procedure")}))


def bench(name: str, kb_dir: Path, repeat: int, cold_repeat: int, env: dict[str, str], refs: dict[str, float]) -> None:
    cache = Path(env["IRKB_CACHE_DIR"])
    run_env = {**env, "IRKB_DATA_DIR": str(kb_dir)}
    n = len(list((kb_dir / "procedures").glob("*.yaml")))
    files = sorted((kb_dir / "modalities").glob("*.yaml")) + sorted((kb_dir / "procedures").glob("*.yaml"))
    first = sorted((kb_dir / "procedures").glob("*.yaml"))[0].stem

    def clear() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    cold, cold_peak = timed([*IRKB, "validate"], run_env, cold_repeat, setup=clear)
    headline = [*IRKB, "list", "--modality", "ct", "--no-live", "--format", "json"]
    subprocess.run(headline, env=run_env, stdout=subprocess.DEVNULL, check=True)  # warm the cache
    warm, warm_peak = timed(headline, run_env, repeat)
    show, _ = timed([*IRKB, "show", first, "--format", "json"], run_env, repeat)
    search, _ = timed([*IRKB, "search", "lung biopsy", "--format", "json"], run_env, repeat)

    victim = kb_dir / "procedures" / f"{first}.yaml"
    original = victim.read_text(encoding="utf-8")
    edits = iter(range(10_000))

    def edit() -> None:
        victim.write_text(original.replace("name: ", f"name: edit {next(edits)} ", 1), encoding="utf-8")

    edited, _ = timed(headline, run_env, repeat, setup=edit)
    victim.write_text(original, encoding="utf-8")

    lines = [f"\n== {name}: {n} procedures ({len(files)} files for yq) =="]

    jq_time = yq_time = None
    if shutil.which("jq"):
        with tempfile.TemporaryDirectory() as tmp:
            export = Path(tmp) / "export.json"
            export_json(kb_dir, export)
            jq_time, _ = timed(["jq", JQ_FILTER, str(export)], env, repeat)
    if shutil.which("yq") and n <= 1000:
        yq_time, _ = timed(["yq", "-s", YQ_FILTER, *map(str, files)], env, max(1, repeat // 2))
    local = dict(refs)
    if jq_time:
        local["jq"] = jq_time
    if yq_time:
        local["yq"] = yq_time
    refs_for_rows = local

    def row(label: str, seconds: float, ref: str | None, target: float | None = None, extra: str = "") -> None:
        ratio = f"{seconds / refs_for_rows[ref]:5.2f}x {ref}" if ref and refs_for_rows.get(ref) else ""
        goal = f"(target <= {target}x)" if target else ""
        lines.append(f"  {label:<34} {seconds * 1000:8.1f} ms  {ratio:<28} {goal} {extra}")

    row("headline query, warm", warm, "import typer", 1.3 if name == "shipped" else None, f"peak {warm_peak // 1024} MB")
    if yq_time:
        row("headline query, warm", warm, "yq", 1.0 if name == "shipped" else None)
        row("  (yq over the same YAML)", yq_time, None)
    if jq_time:
        row("headline query, warm", warm, "jq", 1.0 if n >= 10_000 else None)
        row("  (jq over the same JSON)", jq_time, None)
    row("show, warm", show, "import typer")
    row("search, warm", search, "import typer")
    edit_goal = " (target <= 1.5x)" if n >= 10_000 else ""
    row("next query after editing one file", edited, None, None, f"= {edited / warm:.2f}x warm{edit_goal}")
    row("validate, cold cache", cold, None, None, f"(target < 15 s at 10,000)  peak {cold_peak // 1024} MB (target < 300 MB)")
    print("\n".join(lines), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[100, 1000, 10_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cold-repeat", type=int, default=2)
    parser.add_argument("--no-shipped", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="irkb-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "IRKB_CACHE_DIR": str(work / "cache"), "NO_COLOR": "1"}
        env.pop("IRKB_NO_FAST_PATH", None)
        # Measure what users run: bytecode cached, as pip and a first import leave it. (Some
        # shells and sandboxes set PYTHONDONTWRITEBYTECODE, which recompiles irkb on every run
        # while typer, compiled by pip at install, is unaffected: an unfair comparison.)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([*IRKB, "--help"], env=env, stdout=subprocess.DEVNULL, check=False)
        subprocess.run([PY, "-c", "import irkb.cli.commands, irkb.fastpath, irkb.reads, irkb.store, irkb.query"], env=env, check=False)
        refs = {
            "python -c pass": timed([PY, "-c", "pass"], env, args.repeat)[0],
            "import typer": timed([PY, "-c", "import typer"], env, args.repeat)[0],
        }
        help_time, _ = timed([*IRKB, "--help"], env, args.repeat)
        # the first --help after an install or upgrade renders the page with Typer (then it is recorded)
        help_render, _ = timed([*IRKB, "--help"], {**env, "IRKB_NO_CACHE": "1"}, args.repeat)
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(f"references: python -c pass {refs['python -c pass'] * 1000:.1f} ms; import typer {refs['import typer'] * 1000:.1f} ms")
        print(f"irkb --help {help_time * 1000:.1f} ms = {help_time / refs['import typer']:.2f}x import typer (target <= 1.2x)")
        print(f"  first --help, rendered by Typer {help_render * 1000:.1f} ms = {help_render / refs['import typer']:.2f}x import typer")
        if not args.no_shipped:
            bench("shipped", DATA, args.repeat, args.cold_repeat, env, refs)
        for size in args.sizes:
            kb_dir = synthetic(work / f"kb{size}", size)
            bench(f"synthetic-{size}", kb_dir, args.repeat, args.cold_repeat if size < 10_000 else 1, env, refs)
            shutil.rmtree(kb_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
