"""The compiled cache: an edit shows in the very next query; nothing stale is ever served."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from irkb import catalog as catalog_module
from irkb.catalog import Catalog
from irkb.store import load

from .conftest import MINI_KB, Result, Run


def _bump(path: Path) -> None:
    """Make sure the mtime moves even on coarse file systems."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_an_edit_shows_in_the_next_load(kb_dir: Path) -> None:
    assert load(kb_dir).get("tips").name == "Transjugular intrahepatic portosystemic shunt"
    target = kb_dir / "procedures" / "tips.yaml"
    target.write_text(target.read_text().replace("name: Transjugular intrahepatic portosystemic shunt", "name: TIPS edited"))
    _bump(target)
    assert load(kb_dir).get("tips").name == "TIPS edited"


def test_only_changed_files_are_reloaded(kb_dir: Path) -> None:
    Catalog.open(kb_dir)
    target = kb_dir / "procedures" / "kyphoplasty.yaml"
    target.write_text(target.read_text() + "# a comment\n")
    _bump(target)
    catalog = Catalog.open(kb_dir)
    assert catalog.refresh() == 0  # already refreshed on open
    _bump(target)  # touched, same content: no reparse, stat updated
    assert Catalog.open(kb_dir).refresh() == 0


def test_added_and_removed_files(kb_dir: Path) -> None:
    assert "kyphoplasty" in load(kb_dir).procedures
    (kb_dir / "procedures" / "kyphoplasty.yaml").unlink()
    shutil.copy(MINI_KB / "procedures" / "vertebroplasty.yaml", kb_dir / "procedures" / "vertebroplasty-copy.yaml")
    kb = load(kb_dir)
    assert "kyphoplasty" not in kb.procedures
    assert any(p.code == "id-mismatch" for p in kb.problems)


def test_duplicate_id_winner_changes_when_the_first_file_goes(kb_dir: Path) -> None:
    copy = kb_dir / "procedures" / "zz-tips.yaml"
    shutil.copy(kb_dir / "procedures" / "tips.yaml", copy)
    kb = load(kb_dir)
    assert any(p.code == "duplicate-id" and p.path.endswith("zz-tips.yaml") for p in kb.problems)
    (kb_dir / "procedures" / "tips.yaml").unlink()
    kb = load(kb_dir)
    assert "tips" in kb.procedures  # the copy now provides it (and says its name is wrong)
    assert not any(p.code == "duplicate-id" for p in kb.problems)


def test_cache_in_memory_when_disabled(kb_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IRKB_NO_CACHE", "1")
    catalog = Catalog.open(kb_dir)
    assert catalog.location is None and catalog.count("procedure") == 9
    assert not list((tmp_path / "cache").glob("*.sqlite")) if (tmp_path / "cache").exists() else True


def test_unwritable_cache_dir_falls_back_to_memory(kb_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("IRKB_CACHE_DIR", str(blocker / "cache"))
    catalog = Catalog.open(kb_dir)
    assert catalog.location is None and catalog.count() > 0


def test_another_data_dir_gets_its_own_catalog(kb_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(kb_dir, other)
    (other / "procedures" / "tips.yaml").unlink()
    assert "tips" in load(kb_dir).procedures
    assert "tips" not in load(other).procedures
    assert Catalog.open(kb_dir).location != Catalog.open(other).location


def test_readme_python_api_example_runs() -> None:
    """The README's Python example works as written, on the shipped knowledge base."""
    import re

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Python API.*?```python\n(.*?)```", readme, re.S)
    assert block
    namespace: dict[str, object] = {}
    exec(compile(block.group(1).replace("print(", "_ = ("), "README", "exec"), namespace)
    assert namespace["tips"].id == "tips"  # type: ignore[attr-defined]
    assert "lung-biopsy" in [p.id for p in namespace["ct_not_live"]]  # type: ignore[attr-defined]


def test_every_shipped_data_file_declares_its_schema() -> None:
    from .conftest import ROOT

    kinds = {"procedures": "procedure", "modalities": "modality", "access-routes": "access-route", "complications": "complication", "sources": "source"}
    for folder, kind in kinds.items():
        for path in (ROOT / "data" / folder).glob("*.yaml"):
            first = path.read_text(encoding="utf-8").splitlines()[0]
            assert first == f"# yaml-language-server: $schema=../../schemas/{kind}.schema.json", path


def test_shell_completion_offers_ids_and_aliases() -> None:
    from irkb.reads import completion_words

    assert "tips" in completion_words(str(MINI_KB), None, "ti")
    assert "TIPSS" in completion_words(str(MINI_KB), "procedure", "TIPS")
    assert completion_words(str(MINI_KB), "modality", "zz") == []


# --------------------------------------------------------------------------- overlapped refresh
# On the command line, a few changed files are validated in a forked worker while the first read
# parses every unchanged row; these check that the answer is the one a plain refresh gives.


def _headline(run: Run, kb_dir: Path) -> Result:
    return run("--data-dir", str(kb_dir), "list", "--modality", "ct", "--no-live", "-f", "json")


def _ids(result: Result) -> list[str]:
    assert result.exit_code == 0, result
    return [r["id"] for r in json.loads(result.stdout)]


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many overlapped refreshes started a worker."""
    started: list[int] = []
    original = catalog_module._Worker.start

    def spy(todo: list[catalog_module.FileStat], data_dir: Path) -> catalog_module._Worker | None:
        worker = original(todo, data_dir)
        if worker is not None:
            started.append(len(todo))
        return worker

    monkeypatch.setattr(catalog_module._Worker, "start", staticmethod(spy))
    return started


needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the overlapped refresh forks on Linux only")


@needs_fork
def test_an_edited_procedure_shows_in_the_next_overlapped_query(run: Run, kb_dir: Path, workers: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    assert "ct-lung-biopsy" in _ids(_headline(run, kb_dir))
    target = kb_dir / "procedures" / "ct-lung-biopsy.yaml"
    target.write_text(target.read_text().replace("name: ", "name: Edited ", 1))
    _bump(target)
    workers.clear()
    edited = _headline(run, kb_dir)
    assert workers == [1], "one changed file, validated by the worker"
    assert next(r for r in json.loads(edited.stdout) if r["id"] == "ct-lung-biopsy")["name"].startswith("Edited ")
    # the same bytes as a refresh done in-process from an empty cache
    monkeypatch.setenv("IRKB_NO_PARALLEL", "1")
    monkeypatch.setenv("IRKB_CACHE_DIR", str(kb_dir.parent / "other-cache"))
    assert _headline(run, kb_dir).stdout == edited.stdout
    assert Catalog.open(kb_dir).refresh() == 0, "the overlapped refresh was committed"


@needs_fork
def test_an_edited_modality_reaches_the_live_filter(run: Run, kb_dir: Path, workers: list[int]) -> None:
    assert _ids(_headline(run, kb_dir))
    target = kb_dir / "modalities" / "ct.yaml"
    target.write_text(target.read_text().replace("speed: step-by-step", "speed: live"))
    _bump(target)
    workers.clear()
    assert _ids(_headline(run, kb_dir)) == [], "CT is live now: no CT-guided procedure is without live imaging"
    assert workers == [1]


@needs_fork
def test_a_failed_worker_is_replaced_by_the_parent(run: Run, kb_dir: Path, workers: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    before = _ids(_headline(run, kb_dir))
    parent = os.getpid()
    original = catalog_module._compile_one

    def dies_in_the_worker(args: tuple[str, str, str]) -> dict[str, Any]:
        if os.getpid() != parent:
            os._exit(3)
        return original(args)

    monkeypatch.setattr(catalog_module, "_compile_one", dies_in_the_worker)
    target = kb_dir / "procedures" / "tips.yaml"
    target.write_text(target.read_text() + "# edited\n")
    target.write_text(target.read_text().replace("name: ", "name: Edited ", 1))
    _bump(target)
    workers.clear()
    assert _ids(_headline(run, kb_dir)) == before
    assert workers == [1]
    assert load(kb_dir).get("tips").name.startswith("Edited ")


@needs_fork
def test_an_invalid_edit_is_skipped_with_a_warning(run: Run, kb_dir: Path, workers: list[int]) -> None:
    before = _ids(_headline(run, kb_dir))
    target = kb_dir / "procedures" / "ct-lung-biopsy.yaml"
    target.write_text(target.read_text() + "not_a_field: 1\n")
    _bump(target)
    result = _headline(run, kb_dir)
    assert _ids(result) == [i for i in before if i != "ct-lung-biopsy"]
    assert "1 file(s) could not be loaded" in result.stderr


@needs_fork
def test_a_command_that_fails_still_finishes_the_refresh(run: Run, kb_dir: Path, workers: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    _headline(run, kb_dir)
    target = kb_dir / "procedures" / "tips.yaml"
    target.write_text(target.read_text().replace("name: ", "name: Edited ", 1))
    _bump(target)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("irkb.query.select_procedures", boom)
    workers.clear()
    assert _headline(run, kb_dir).exit_code == 70
    assert workers == [1]
    # the catalog is committed and unlocked: the next open has nothing to do
    assert Catalog.open(kb_dir).refresh() == 0
    assert load(kb_dir).get("tips").name.startswith("Edited ")


@needs_fork
def test_a_store_that_fails_after_the_worker_rebuilds_the_catalog(run: Run, kb_dir: Path, workers: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    before = _ids(_headline(run, kb_dir))
    original = catalog_module._Batch.flush
    failures: list[int] = []

    def full_disk_once(self: catalog_module._Batch, db: Any) -> None:
        if not failures:
            failures.append(1)
            raise sqlite3.OperationalError("database or disk is full")
        original(self, db)

    monkeypatch.setattr(catalog_module._Batch, "flush", full_disk_once)
    target = kb_dir / "procedures" / "tips.yaml"
    target.write_text(target.read_text().replace("name: ", "name: Edited ", 1))
    _bump(target)
    workers.clear()
    assert _ids(_headline(run, kb_dir)) == before
    assert workers == [1] and failures == [1]
    assert Catalog.open(kb_dir).refresh() == 0
    assert load(kb_dir).get("tips").name.startswith("Edited ")


@needs_fork
@pytest.mark.parametrize("path", ["typer", "fast"])
def test_ctrl_c_drops_the_overlapped_refresh(
    run: Run, kb_dir: Path, workers: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], path: str
) -> None:
    _headline(run, kb_dir)
    target = kb_dir / "procedures" / "tips.yaml"
    target.write_text(target.read_text().replace("name: ", "name: Edited ", 1))
    _bump(target)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("irkb.query.select_procedures", interrupted)
    workers.clear()
    if path == "typer":
        result = _headline(run, kb_dir)
        assert result.exit_code == 130 and result.stderr == "irkb: interrupted\n"
    else:
        from irkb import fastpath

        capsys.readouterr()
        assert fastpath.run(["--data-dir", str(kb_dir), "list", "--modality", "ct", "--no-live", "-f", "json"]) == 130
        assert capsys.readouterr().err == "irkb: interrupted\n"
    assert workers == [1]
    # nothing was committed and nothing is left locked: the next run does the work again
    compiled: list[str] = []
    original = catalog_module._compile_one

    def counting(args: tuple[str, str, str]) -> dict[str, Any]:
        compiled.append(Path(args[1]).name)
        return original(args)

    monkeypatch.setattr(catalog_module, "_compile_one", counting)
    monkeypatch.setenv("IRKB_NO_PARALLEL", "1")
    assert load(kb_dir).get("tips").name.startswith("Edited ")
    assert compiled == ["tips.yaml"]
