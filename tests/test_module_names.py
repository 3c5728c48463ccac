"""Module names are unique in a program: a user module named like a stdlib module
is its own namespace (`lists_`), the stdlib keeps its names and ids, and any other
clash is E0208."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files

REPO = Path(__file__).resolve().parent.parent

USER_LISTS = '''\
use std.lists.{total}

env sort_list "Sort a short list in descending order." {
    input xs: List[Int[0..9], len=3]
    output List[Int[0..9], len=3]
    prompt """Sort {{ xs }} from largest to smallest."""
    solve sorted(xs, reverse=true)
}

compose sorted_total = seq(sort_list, total)
'''


@pytest.fixture
def user_lists(tmp_path: Path) -> Path:
    path = tmp_path / "lists.races"
    path.write_text(USER_LISTS, encoding="utf-8")
    return path


def test_user_module_named_like_a_stdlib_module_is_its_own(user_lists: Path) -> None:
    assert check_paths([user_lists]).ok
    program = racesdsl.load(user_lists)
    mine = program["sort_list"]
    assert mine.qualname == "lists_.sort_list"
    inst = mine.sample(0)
    assert inst.answer == sorted(inst.input["xs"], reverse=True) and len(inst.input["xs"]) == 3
    composite = program["sorted_total"]
    assert composite.qualname == "lists_.sorted_total"
    assert composite.sample(0).answer[-1] == sum(composite.sample(0).input["xs"])
    # The stdlib module keeps its name, so its instances and ids are unchanged.
    stdlib = racesdsl.load(REPO / "specs" / "lists.races")
    for name in ("sort_list", "total"):
        assert program[f"lists.{name}"].sample(3) == stdlib[name].sample(3)


def test_user_module_without_the_stdlib_keeps_its_name(tmp_path: Path) -> None:
    path = tmp_path / "lists.races"
    path.write_text(USER_LISTS.replace("use std.lists.{total}\n", "").replace(
        "compose sorted_total = seq(sort_list, total)\n", ""), encoding="utf-8")
    assert racesdsl.load(path)["sort_list"].qualname == "lists.sort_list"


def test_sample_picks_the_users_env(user_lists: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "racesdsl", "sample", "lists.races:sort_list", "-n", "2"],
                         cwd=user_lists.parent, env={"PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert {r["env"] for r in rows} == {"lists_.sort_list"}
    assert all(r["answer"] == sorted(r["input"]["xs"], reverse=True) for r in rows)


def test_compiled_package_keeps_both_modules(user_lists: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = package_files(check_paths([user_lists]).program, "clash_pkg")
    assert {"clash_pkg/lists.py", "clash_pkg/lists_.py"} <= set(files)
    write_files(files, out)
    loaded = racesdsl.load(user_lists)
    sys.path.insert(0, str(out))
    try:
        package = importlib.import_module("clash_pkg")
        for name in ("lists_.sort_list", "lists_.sorted_total", "lists.sort_list", "lists.total"):
            assert package.get(name).sample(5) == loaded[name].sample(5)
        # Short names resolve among the compiled file's own envs, as load()'s Program does:
        # `sort_list` is the user's, though the stdlib's `lists.sort_list` is in the package too.
        assert package.ROOTS == ("lists_.sort_list", "lists_.sorted_total")
        for name in ("sort_list", "sorted_total"):
            assert package.get(name).qualname == loaded[name].qualname == f"lists_.{name}"
        with pytest.raises(KeyError):
            package.get("total")  # only imported: load() does not find it by its short name either
        with pytest.raises(KeyError):
            loaded["total"]
    finally:
        sys.path.remove(str(out))


def test_two_user_modules_of_one_name_are_e0208(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "util.races").write_text(
            f'env {folder}_echo "Echo." {{\n    input x: Int[0..9]\n    output Int[0..9]\n'
            '    prompt """{{ x }}"""\n    solve x\n}\n', encoding="utf-8")
    result = check_paths([tmp_path / "a" / "util.races", tmp_path / "b" / "util.races"])
    assert [d.code for d in result.errors] == ["E0208"]
    assert "two modules are named `util`" in result.errors[0].message
