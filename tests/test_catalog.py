"""The compiled cache: an edit shows in the very next query; nothing stale is ever served."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from irkb.index import refresh as refresh_module
from irkb.index.catalog import Catalog
from irkb.index.refresh import refresh
from irkb.kb import load

from .conftest import MINI_KB, Run


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
    assert refresh(catalog.db, catalog.data_dir) == 0  # already refreshed on open
    target.write_text(target.read_text() + "# another comment\n")
    _bump(target)
    assert refresh(catalog.db, catalog.data_dir) == 1  # one changed file, one file compiled
    _bump(target)  # touched, same content: no reparse, stat updated
    assert refresh(catalog.db, catalog.data_dir) == 0


def test_added_and_removed_files(kb_dir: Path) -> None:
    assert "kyphoplasty" in load(kb_dir).procedures
    (kb_dir / "procedures" / "kyphoplasty.yaml").unlink()
    shutil.copy(MINI_KB / "procedures" / "vertebroplasty.yaml", kb_dir / "procedures" / "vertebroplasty-copy.yaml")
    kb = load(kb_dir)
    assert "kyphoplasty" not in kb.procedures
    assert any(p.code == "id-mismatch" for p in kb.problems)


def test_a_duplicate_id_serves_neither_file_cold_or_warm(kb_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Same files, same answer: a file that claims another file's id never wins, whatever the order read."""
    early = kb_dir / "procedures" / "aa-tips.yaml"  # sorts before tips.yaml: it would win a first-come race
    early.write_text((kb_dir / "procedures" / "tips.yaml").read_text().replace("name: Transjugular", "name: Hijacked transjugular"))
    warm_before = load(kb_dir)  # cold build with both files
    for kb in (warm_before, load(kb_dir)):
        assert "tips" not in kb.procedures
        flagged = sorted(Path(p.path).name for p in kb.problems if p.code == "duplicate-id")
        assert flagged == ["aa-tips.yaml", "tips.yaml"], "the duplicate is an error on both files"
    monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "another-cache"))
    assert "tips" not in load(kb_dir).procedures, "a cold build elsewhere answers the same"
    early.unlink()
    kb = load(kb_dir)
    assert kb.get("tips").name == "Transjugular intrahepatic portosystemic shunt"
    assert not any(p.code == "duplicate-id" for p in kb.problems)


def _public_tables(catalog: Catalog) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every public table and of the lookup keys and search index, in a stable order."""
    from irkb.index.tables import LINK_TABLES
    from irkb.kinds import KINDS

    tables = [k.key for k in KINDS] + list(LINK_TABLES)
    out = {t: sorted(map(tuple, catalog.db.execute(f"SELECT * FROM [{t}]")), key=repr) for t in tables}
    out["keys"] = sorted(map(tuple, catalog.db.execute("SELECT * FROM keys")), key=repr)
    out["search"] = sorted(map(tuple, catalog.db.execute("SELECT r.kind, r.id, f.names FROM search_rows r JOIN search_fts f ON f.rowid = r.rowid")), key=repr)
    return out


def test_a_warm_catalog_equals_a_cold_one_after_every_kind_of_edit(kb_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Edits, duplicates with and without errors, fixes and removals, each applied to a warm catalog,
    leave exactly the rows a cold build of the same files has."""
    tips = (kb_dir / "procedures" / "tips.yaml").read_text()
    twin = kb_dir / "procedures" / "zz-tips.yaml"  # sorts after tips.yaml: read second
    steps = [
        lambda: twin.write_text(tips),  # claims 'tips' too (its id does not match its name: an error)
        lambda: twin.write_text(tips.replace("category:", "categroy:")),  # not a record at all: claims nothing
        lambda: twin.write_text(tips.replace("name: Transjugular", "name: Twin transjugular")),  # claims it again
        lambda: twin.unlink(),  # the original is the only claimant again
        lambda: (kb_dir / "procedures" / "kyphoplasty.yaml").unlink(),
        lambda: (kb_dir / "procedures" / "tips.yaml").write_text(tips.replace("name: Transjugular", "name: Edited transjugular")),
    ]
    Catalog.open(kb_dir)
    for number, step in enumerate(steps):
        step()
        for path in (kb_dir / "procedures").glob("*.yaml"):
            _bump(path)
        monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "warm"))
        warm = _public_tables(Catalog.open(kb_dir))
        monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / f"cold-{number}"))
        cold = _public_tables(Catalog.open(kb_dir))
        assert warm == cold, f"step {number}"
        published = {r[0] for r in warm["procedures"]}
        assert ("tips" in published) == (number in (1, 3, 4, 5)), f"step {number}"


def test_query_tables_left_for_later_by_a_check_equal_a_full_build(kb_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A cold build for checking only (``irkb validate``) leaves the public tables and the search
    index for later; edits checked meanwhile, then the first query, give exactly the rows of a full
    cold build, and the counts a check reports are the same all along."""
    tips = (kb_dir / "procedures" / "tips.yaml").read_text()
    twin = kb_dir / "procedures" / "zz-tips.yaml"
    steps = [
        lambda: twin.write_text(tips.replace("name: Transjugular", "name: Twin transjugular")),  # claimed twice: neither served
        lambda: (kb_dir / "procedures" / "kyphoplasty.yaml").unlink(),
        lambda: twin.unlink(),  # tips served again, from its unchanged file
        lambda: (kb_dir / "procedures" / "tips.yaml").write_text(tips.replace("name: Transjugular", "name: Edited transjugular")),
    ]

    def cold(number: int) -> Catalog:
        monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / f"cold-{number}"))
        return Catalog.open(kb_dir)

    monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "checked"))
    checking = Catalog.open(kb_dir, tables=False)
    assert checking.db.execute("SELECT count(*) FROM procedures").fetchone()[0] == 0, "left for later"
    assert checking.count() == cold(-1).count() and checking.count("procedure") == 9
    for number, step in enumerate(steps):
        step()
        for path in (kb_dir / "procedures").glob("*.yaml"):
            _bump(path)
        monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "checked"))
        checking = Catalog.open(kb_dir, tables=False)
        full = cold(number)
        assert checking.count("procedure") == full.count("procedure"), f"step {number}"
        assert sorted(checking.db.execute("SELECT * FROM keys")) == sorted(full.db.execute("SELECT * FROM keys")), f"step {number}"
        if number == 0:  # a record claimed twice when the tables are made: served by neither file
            monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "checked-with-twin"))
            Catalog.open(kb_dir, tables=False)
            assert _public_tables(Catalog.open(kb_dir)) == _public_tables(full)
        if number in (2, 3):  # a query: the tables are made (step 2), then kept up to date by checks and queries alike
            monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "checked"))
            before = {p.name: p.stat().st_ino for p in (tmp_path / "checked").glob("*.sqlite")}
            catalog = Catalog.open(kb_dir)
            assert not refresh_module._deferred(catalog.db), "made once, not at every query"
            assert {p.name: p.stat().st_ino for p in (tmp_path / "checked").glob("*.sqlite")} == before, "in place, not rebuilt"
            queried = _public_tables(catalog)
            assert queried == _public_tables(full), f"step {number}"
            texts = "SELECT r.kind, r.id, f.* FROM search_rows r JOIN search_fts f ON f.rowid = r.rowid ORDER BY r.kind, r.id"
            monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "checked"))
            assert list(Catalog.open(kb_dir).db.execute(texts)) == list(full.db.execute(texts)), "every column of the search index"


def test_records_with_errors_are_not_served(kb_dir: Path) -> None:
    tips = kb_dir / "procedures" / "tips.yaml"
    tips.write_text(tips.read_text().replace("id: tips", "id: tipss"))  # id-mismatch: an error in the file
    vert = kb_dir / "procedures" / "vertebroplasty.yaml"
    vert.write_text(vert.read_text().replace("source: test-guideline", "source: ''", 1))  # a figure citing nothing
    kb = load(kb_dir)
    assert "tipss" not in kb.procedures and "tips" not in kb.procedures
    assert "vertebroplasty" not in kb.procedures
    assert {Path(p).name for p in kb.skipped()} == {"tips.yaml", "vertebroplasty.yaml"}


def test_problem_paths_do_not_depend_on_where_the_catalog_was_built(kb_dir: Path, monkeypatch: pytest.MonkeyPatch, run: Run) -> None:
    broken = kb_dir / "procedures" / "tips.yaml"
    broken.write_text(broken.read_text().replace("category:", "categroy:"))
    monkeypatch.chdir(kb_dir / "procedures")
    assert run("--data-dir", str(kb_dir), "validate").exit_code == 1  # builds the catalog from inside the folder
    monkeypatch.chdir(kb_dir.parent)
    github = run("--data-dir", str(kb_dir), "validate", "-f", "github").stdout
    assert "file=kb/procedures/tips.yaml," in github, github
    assert (kb_dir.parent / "kb" / "procedures" / "tips.yaml").exists()


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
    from irkb.commands.read import completion_words

    assert "tips" in completion_words(str(MINI_KB), None, "ti")
    assert "TIPSS" in completion_words(str(MINI_KB), "procedure", "TIPS")
    assert completion_words(str(MINI_KB), "modality", "zz") == []


# --------------------------------------------------------------------------- a cache that is not irkb's own


def _location(kb_dir: Path, cache: Path) -> Path:
    from irkb.index import cachedir

    return cachedir.location(cache, kb_dir.resolve())


def test_a_catalog_replaced_by_a_link_to_another_database_is_not_written_through(kb_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    victim = tmp_path / "victim.sqlite"
    db = sqlite3.connect(victim)
    db.execute("CREATE TABLE precious(x)")
    db.execute("INSERT INTO precious VALUES (1)")
    db.commit()
    db.close()
    before = victim.read_bytes()
    location = _location(kb_dir, cache)
    location.symlink_to(victim)
    assert "tips" in load(kb_dir).procedures
    assert victim.read_bytes() == before, "the linked database is untouched (no tables, no WAL switch)"
    assert not location.is_symlink(), "the link was replaced by irkb's own file"


def test_a_foreign_database_in_the_catalogs_place_is_rebuilt_not_trusted(kb_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    location = _location(kb_dir, cache)
    db = sqlite3.connect(location)
    db.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")  # looks a little like ours, but is not
    db.commit()
    db.close()
    assert "tips" in load(kb_dir).procedures
    header = location.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == 0x49524B42, "rebuilt as irkb's own file"


def test_a_cache_directory_that_is_a_link_is_not_followed(kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "linked").symlink_to(elsewhere)
    monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "linked"))
    catalog = Catalog.open(kb_dir)
    assert catalog.location is None and catalog.count("procedure") == 9, "answers from memory instead"
    assert list(elsewhere.iterdir()) == []


def test_a_damaged_catalog_is_rebuilt(kb_dir: Path, tmp_path: Path) -> None:
    assert "tips" in load(kb_dir).procedures
    location = _location(kb_dir, tmp_path / "cache")
    location.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    assert "tips" in load(kb_dir).procedures


def test_pool_workers_compile_a_cold_build(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refresh_module, "PARALLEL_FROM", 2)
    kb = load(kb_dir)
    assert len(kb.procedures) == 9 and [p.format() for p in kb.errors] == []


def test_an_alias_colliding_with_a_record_claimed_twice_is_still_found(kb_dir: Path, run: Run) -> None:
    """tips.yaml is valid but not served (another file claims its id); an alias equal to its name
    still collides, as it would if tips were served."""
    (kb_dir / "procedures" / "aa-tips.yaml").write_text((kb_dir / "procedures" / "tips.yaml").read_text())
    kypho = kb_dir / "procedures" / "kyphoplasty.yaml"
    kypho.write_text(
        kypho.read_text().replace(
            "aliases: [{text: BKP, kind: abbreviation}]", "aliases: [{text: BKP, kind: abbreviation}, {text: transjugular intrahepatic portosystemic shunt}]"
        )
    )
    out = run("--data-dir", str(kb_dir), "validate").stdout
    collisions = [line for line in out.splitlines() if "alias-collision" in line]
    assert len(collisions) == 1 and "kyphoplasty.yaml:3:" in collisions[0] and "procedure tips" in collisions[0], out


# --------------------------------------------------------------------------- a cold build in a file of its own


def _cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


def test_a_cold_build_leaves_one_catalog_in_wal_mode_and_no_build_file(kb_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    catalog = Catalog.open(kb_dir)
    location = _location(kb_dir, cache)
    assert catalog.location == location and catalog.count("procedure") == 9
    assert catalog.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal", "readers never wait for a writer"
    catalog.db.close()
    assert [n for n in _cache_files(cache) if ".building" in n] == []


def test_an_interrupted_cold_build_leaves_nothing_behind(kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from irkb.index import catalog as catalog_module

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog_module, "refresh", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Catalog.open(kb_dir)
    assert _cache_files(tmp_path / "cache") == [], "no catalog half built, no journal"
    monkeypatch.undo()
    monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "cache"))
    assert Catalog.open(kb_dir).count("procedure") == 9


def test_a_catalog_another_process_put_in_place_first_is_used(kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cold builds at once: the second to finish keeps the first one's catalog, brought up to
    date, and drops its own."""
    from irkb.index import catalog as catalog_module

    cache = tmp_path / "cache"
    location = _location(kb_dir, cache)
    real = catalog_module.refresh
    calls: list[int] = []

    def racing(db: object, data_dir: Path, progress: object = None, tables: bool = True) -> int:
        if not calls:  # while this process builds, another finishes first (and a file changes since)
            calls.append(1)
            other = Catalog.open(kb_dir)
            other.db.close()
            calls.append(location.stat().st_ino)
            tips = kb_dir / "procedures" / "tips.yaml"
            tips.write_text(tips.read_text().replace("name: ", "name: Renamed ", 1))
        return real(db, data_dir, progress, tables=tables)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_module, "refresh", racing)
    catalog = Catalog.open(kb_dir)
    assert location.stat().st_ino == calls[1], "the other process's catalog stays in place"
    assert catalog.doc("procedure", "tips")["name"].startswith("Renamed "), "and was brought up to date"
    assert [n for n in _cache_files(cache) if ".building" in n] == []


def test_a_build_file_left_by_a_killed_process_is_swept_after_a_day(kb_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    location = _location(kb_dir, cache)
    stale, fresh = (location.with_name(f"{location.name}.{pid}.building") for pid in (111111, 222222))
    for path in (stale, fresh):
        path.write_bytes(b"half a catalog")
    os.utime(stale, (1, 1))
    Catalog.open(kb_dir).db.close()
    assert not stale.exists(), "a day old: its process is gone"
    assert fresh.exists(), "maybe another process building right now: left alone"


def _indexes(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return sorted(db.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"))


def test_the_indexes_a_bulk_fill_drops_all_come_back(kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build, and query tables made later, fill tables with their indexes dropped: each ends
    with every index the schema declares, and a fill that fails loses none."""
    from irkb.index.catalog import _public_sql
    from irkb.index.store import Connection, create

    declared = sqlite3.connect(":memory:", isolation_level=None)
    create(declared, _public_sql(), {})
    expected = _indexes(declared)
    assert any(name == "keys_key" for name, _ in expected) and any(name.startswith("procedure_modalities_") for name, _ in expected)

    assert _indexes(Catalog.open(kb_dir).db.raw) == expected
    monkeypatch.setenv("IRKB_CACHE_DIR", str(tmp_path / "checked"))
    assert _indexes(Catalog.open(kb_dir, tables=False).db.raw) == expected
    assert _indexes(Catalog.open(kb_dir).db.raw) == expected  # the query tables made from the stored documents

    db = Connection(declared, None)
    with pytest.raises(RuntimeError), db.transaction(), db.indexes_after():
        assert _indexes(declared) == []
        raise RuntimeError("the fill failed")
    assert _indexes(declared) == expected
