"""The broken-record corpus: each file names the problem code and location it must produce."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from irkb.kb import load

from .conftest import BROKEN

CASES = sorted(BROKEN.glob("*/*.yaml"))
EXPECT = re.compile(r"^# expect: (?P<code>[\w-]+) (?P<line>\d+):(?P<col>\d+)(?: (?P<text>\S+))?$", re.MULTILINE)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.stem}" for c in CASES])
def test_broken_record_reports_its_problem(case: Path, kb_dir: Path) -> None:
    expectations = list(EXPECT.finditer(case.read_text(encoding="utf-8")))
    assert expectations, f"{case} has no '# expect:' line"
    target = kb_dir / case.parent.name / case.name
    shutil.copy(case, target)
    kb = load(kb_dir)
    mine = [p for p in kb.problems if p.path.endswith(f"{case.parent.name}/{case.name}")]
    for expected in expectations:
        code, line, col = expected["code"], int(expected["line"]), int(expected["col"])
        found = [p for p in mine if p.code == code]
        assert found, f"expected {code} in {case.name}, got {[p.format() for p in mine]}"
        assert any((p.line, p.col) == (line, col) for p in found), f"{code} at {line}:{col} expected, got {[p.format() for p in found]}"
        if expected["text"]:
            assert any(expected["text"] in p.message for p in found), [p.format() for p in found]
    # a broken file never stops the rest of the knowledge base from loading
    assert "ct-lung-biopsy" in kb.procedures


def test_every_problem_is_reported_in_one_run(kb_dir: Path) -> None:
    for case in CASES:
        shutil.copy(case, kb_dir / case.parent.name / case.name)
    kb = load(kb_dir)
    files_with_problems = {Path(p.path).name for p in kb.problems}
    assert {c.name for c in CASES} <= files_with_problems
    assert kb.problems == sorted(kb.problems)
