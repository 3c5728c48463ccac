"""`importlib.import_module` in a python binding (docs/language.md "Python references"):
bindings are imported per folder, so the documented form names the folder's package,
`importlib.import_module(".helpers2", __package__)`; it finds the same sibling an
`import helpers2` statement finds, in `load()` and in compiled packages. The bare
`importlib.import_module("helpers2")` looks on sys.path only and is a spec error."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.runtime.env import SolverError

SPEC = '''\
env add "Add the folder's offset." {
    input x: Int[0..9]
    output Int[0..99]
    prompt """What is {{ x }} plus the offset?"""
    solve python "helpers:solve"
}
'''

DOC = Path(__file__).resolve().parent.parent / "docs" / "language.md"


def documented_block() -> str:
    """The ```python block of "Python references": it runs here as the top of helpers.py."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Python references"):text.index("### Templates")]
    [block] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return block


DOCUMENTED = documented_block().replace("helpers2 =", "sibling =") + '''
import helpers2


def solve(x):
    assert sibling is helpers2
    return x + sibling.OFFSET
'''

BARE = '''\
import importlib


def solve(x):
    return x + importlib.import_module("helpers2").OFFSET
'''


def folder(root: Path, helpers: str, offset: int) -> Path:
    root.mkdir()
    (root / "spec.races").write_text(SPEC, encoding="utf-8")
    (root / "helpers.py").write_text(helpers, encoding="utf-8")
    (root / "helpers2.py").write_text(f"OFFSET = {offset}\n", encoding="utf-8")
    return root


def test_the_documented_form_finds_the_folders_sibling(tmp_path: Path) -> None:
    a, b = folder(tmp_path / "a", DOCUMENTED, 10), folder(tmp_path / "b", DOCUMENTED, 50)
    for path, offset in ((a, 10), (b, 50)):
        inst = racesdsl.load(path / "spec.races")["add"].sample(1)
        assert inst.answer == inst.input["x"] + offset


def test_the_documented_form_works_in_a_compiled_package(tmp_path: Path) -> None:
    src = folder(tmp_path / "src", DOCUMENTED, 7)
    out = tmp_path / "out"
    write_files(package_files(check_paths([src / "spec.races"]).program, "imp_pkg"), out)
    for helper in ("helpers.py", "helpers2.py"):
        (out / "imp_pkg" / helper).write_text((src / helper).read_text(encoding="utf-8"), encoding="utf-8")
    sys.path.insert(0, str(out))
    try:
        inst = importlib.import_module("imp_pkg").get("add").sample(2)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == "imp_pkg" or m.startswith("imp_pkg.")]:
            del sys.modules[name]
    assert inst.answer == inst.input["x"] + 7


def test_the_bare_form_is_a_spec_error_not_a_crash(tmp_path: Path) -> None:
    src = folder(tmp_path / "bare", BARE, 3)
    with pytest.raises(SolverError, match="ModuleNotFoundError: No module named 'helpers2'"):
        racesdsl.load(src / "spec.races")["add"].sample(0)
    # From another folder: `python -m` puts the working folder on sys.path, where a bare name may be found.
    run = subprocess.run([sys.executable, "-m", "racesdsl", "sample", "bare/spec.races", "-n", "1"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "helpers2" in run.stderr and "seed 0" in run.stderr
