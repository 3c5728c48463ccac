"""`racesdsl list` / `show`, and stdlib modules (`std.lists:sort_list`) wherever a spec is taken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from racesdsl.check.pipeline import check_paths
from racesdsl.cli import app
from racesdsl.resources import stdlib_dir

ROOT = Path(__file__).resolve().parent.parent
STD = check_paths([stdlib_dir()]).program
STD_NAMES = [STD[q].name for q in STD.roots]

USER_SPEC = '''use std.lists.{sort_list, take_first, total}

env halve "Halve an even number." {
    param hi: Int[2..100] = 50
    input x: Int[0..hi]
    where x % 2 == 0
    output Int[0..50]
    prompt """What is {{ x }} divided by 2?"""
    solve x // 2
}

compose top3_sum "Sum of the three smallest." = seq(sort_list(n=3..12), take_first(k=3), total)
'''


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"})


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "racesdsl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def user(tmp_path: Path) -> Path:
    (tmp_path / "tasks.races").write_text(USER_SPEC, encoding="utf-8")
    return tmp_path


# ------------------------------------------------------------------ list


def test_list_without_path_lists_every_stdlib_env_with_its_doc() -> None:
    res = invoke("list")
    assert res.exit_code == 0, res.output
    for q in STD.roots:
        info = STD[q]
        line = next(x for x in res.stdout.splitlines() if x.startswith(f"  env {info.name}[") or
                    x.startswith(f"  env {info.name}("))
        doc = res.stdout.splitlines()[res.stdout.splitlines().index(line) + 1]
        assert doc == f"      {info.decl.doc}", (line, doc)
    headers = [x for x in res.stdout.splitlines() if x and not x.startswith(" ")]
    assert headers[0] == "std.aggregates (<std>/aggregates.races)"
    assert all(h.startswith("std.") for h in headers)


def test_list_json_carries_params_inputs_and_output() -> None:
    res = invoke("list", "--json", "std.lists")
    assert res.exit_code == 0, res.output
    entries = {e["name"]: e for e in json.loads(res.stdout)}
    sort_list = entries["sort_list"]
    assert sort_list["params"] == [{"name": "n", "type": "Int[2..12]", "default": "6"}]
    assert sort_list["inputs"] == [{"name": "xs", "type": "List[Small, len=n]",
                                    "sampled": "List[Int[-99..99], len=2..12]"}]
    assert sort_list["spec"] == "std.lists:sort_list" and sort_list["module"] == "std.lists"
    assert set(entries) == {STD[q].name for q in STD.roots if q.startswith("lists.")}


def test_list_of_a_user_file_shows_its_envs_and_composites_not_the_imports(user: Path) -> None:
    res = invoke("list", str(user / "tasks.races"))
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == f"tasks ({user / 'tasks.races'})"
    assert lines[1] == "  env halve[hi: Int[2..100] = 50](x: Int[0..hi]) -> Int[0..50]"
    assert lines[2] == "      Halve an even number."
    assert lines[3].startswith("  compose top3_sum[sort_list.n: 3..12")
    assert lines[3].endswith("](xs: List[Int[-99..99], len=3..12]) -> Int[-1188..1188]")
    assert lines[4] == "      Sum of the three smallest."
    assert "sort_desc" not in res.stdout


def test_list_where_prints_the_bundled_stdlib_folder() -> None:
    res = invoke("list", "--where")
    assert res.exit_code == 0
    folder = Path(res.stdout.strip())
    assert folder == stdlib_dir() and (folder / "lists.races").is_file()


def test_list_of_a_broken_spec_exits_1(tmp_path: Path) -> None:
    (tmp_path / "bad.races").write_text("env x {", encoding="utf-8")
    res = invoke("list", str(tmp_path / "bad.races"))
    assert res.exit_code == 1 and "run `racesdsl check" in res.stderr


# ------------------------------------------------------------------ show


def test_show_a_stdlib_env_by_its_name() -> None:
    res = invoke("show", "take_first")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        "env std.lists.take_first[k: Int[1..5] = 3](xs: List[Small, len=k..12]) -> List[Small, len=k]",
        "  Keep the first k elements of a list.",
        f"  defined at <std>/lists.races:{STD['lists.take_first'].decl.span.line}",
        "  param k: Int[1..5] = 3",
        "  input xs: List[Small, len=k..12]  (over the param ranges: List[Int[-99..99], len=1..12])",
        "  output List[Small, len=k]  (over the param ranges: List[Int[-99..99], len=1..5])",
        "  verify exact, answer tags",
        "  try: racesdsl sample std.lists:take_first -n 1",
    ]


@pytest.mark.parametrize("name", ["std.lists.take_first", "std.lists:take_first"])
def test_show_takes_qualified_names_too(name: str) -> None:
    assert invoke("show", name).stdout == invoke("show", "take_first").stdout


@pytest.mark.parametrize("name", sorted(set(STD_NAMES)))
def test_every_stdlib_env_can_be_shown(name: str) -> None:
    res = invoke("show", name)
    if STD_NAMES.count(name) > 1:
        assert res.exit_code == 2 and "declared" in res.stderr
        return
    assert res.exit_code == 0, res.output
    assert f".{name}" in res.stdout.splitlines()[0]


def test_show_a_composite_with_its_knobs(user: Path) -> None:
    res = invoke("show", f"{user / 'tasks.races'}:top3_sum")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("compose tasks.top3_sum[")
    assert "  = seq(sort_list(n=3..12), take_first(k=3), total)" in lines
    assert "  knob sort_list.n: 3..12" in lines
    assert "  output Int[-1188..1188]" in lines


def test_show_unknown_names_exit_2_with_a_suggestion(user: Path) -> None:
    res = invoke("show", "sort_lst")
    assert res.exit_code == 2
    assert res.stderr.strip() == "racesdsl: the stdlib: no environment `sort_lst`; did you mean `sort_list`?"
    res = invoke("show", f"{user / 'tasks.races'}:halv")
    assert res.exit_code == 2 and "did you mean `halve`?" in res.stderr
    res = invoke("show", "std.listz.sort_list")
    assert res.exit_code == 2 and "did you mean `std.lists`?" in res.stderr


# ------------------------------------------------------------------ std.MODULE as a spec


def test_sample_std_module_is_the_stdlib_file_byte_for_byte(tmp_path: Path) -> None:
    by_module = run("sample", "std.lists:sort_list", "-n", "4", "--seed", "7", cwd=tmp_path)
    by_path = run("sample", str(ROOT / "specs" / "lists.races") + ":sort_list", "-n", "4", "--seed", "7",
                  cwd=tmp_path)
    assert by_module.returncode == 0, by_module.stderr
    assert by_module.stdout == by_path.stdout
    assert len(by_module.stdout.splitlines()) == 4


def test_verify_test_and_compile_take_std_modules(tmp_path: Path) -> None:
    row = run("sample", "std.lists:sort_list", "-n", "1", cwd=tmp_path).stdout
    (tmp_path / "row.jsonl").write_text(row, encoding="utf-8")
    answer = json.loads(row)["answer"]
    (tmp_path / "completion.txt").write_text(f"<answer>{json.dumps(answer)}</answer>", encoding="utf-8")
    verified = run("verify", "std.lists:sort_list", "--instance", "row.jsonl", "--completion", "completion.txt",
                   cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["value"] == 1.0
    tested = run("test", "std.lists:sort_list", "--seeds", "3", "--workers", "1", cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.splitlines()[2].startswith("lists.sort_list ") and "1 envs" in tested.stdout
    built = run("compile", "std.lists", "-o", "out", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / "lists" / "__init__.py").is_file()


def test_an_unknown_stdlib_module_exits_2() -> None:
    res = invoke("check", "std.listz")
    assert res.exit_code == 2
    assert res.stderr.strip() == "racesdsl: no stdlib module `std.listz`; did you mean `std.lists`?"


def test_an_existing_path_named_like_a_module_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "std.lists").mkdir()
    (tmp_path / "std.lists" / "mine.races").write_text(USER_SPEC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = invoke("list", "std.lists")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("mine (std.lists/mine.races)")


def test_a_composite_with_exponentially_many_knobs_shows_the_first_few(tmp_path: Path) -> None:
    """Each level uses the previous composite twice: 2**21 knobs, of which show lists MAX_KNOBS."""
    from racesdsl.cli.listing import MAX_KNOBS

    lines = ["use std.lists.{sort_list}", "", "compose c0 = seq(sort_list, sort_list)"]
    lines += [f"compose c{i} = seq(c{i - 1}, c{i - 1})" for i in range(1, 21)]
    (tmp_path / "deep.races").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = invoke("show", f"{tmp_path / 'deep.races'}:c20")
    assert res.exit_code == 0, res.output
    knobs = [line for line in res.stdout.splitlines() if line.startswith("  knob ")]
    assert len(knobs) == MAX_KNOBS
    assert knobs[0] == "  knob c19.c18.c17.c16.c15.c14.c13.c12.c11.c10.c9.c8.c7.c6.c5.c4.c3.c2.c1.c0.sort_list.n: 2..12"
    assert f"  ... more knobs (the first {MAX_KNOBS} are shown)" in res.stdout
    assert res.stdout.splitlines()[0].endswith(", ...](xs: List[Int[-99..99], len=2..12]) -> "
                                               "List[Int[-99..99], len=2..12]")
