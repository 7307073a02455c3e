"""The compiled cache: an edit shows in the very next query; nothing stale is ever served."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from irkb.catalog import Catalog
from irkb.store import load

from .conftest import MINI_KB


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
