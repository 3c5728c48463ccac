"""`racesdsl fmt` is idempotent, keeps every comment and changes no meaning.

Meaning is checked three ways: the formatted text parses to the same AST (spans
aside), so it checks to the same program; the checker says the same about it;
and its environments sample the same instances. The corpus is every `.races`
file in the repository that parses, every ```races block of the docs, random
ASTs (tests/strategies.py) with comments sprinkled in, and the bundled specs
re-laid-out at random (every token on its own line or not, comments between
any two tokens).
"""

from __future__ import annotations

import difflib
import errno
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import MODULE_PATH, comp_exprs, exprs, modules
from test_parallel import read_hooks, run_hook

from racesdsl.check.pipeline import check_paths
from racesdsl.formatter import FormatError, comments, format_text
from racesdsl.loader import load
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import _parser, parse_text
from racesdsl.syntax.printer import print_comp, print_expr, print_module

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
FENCE = re.compile(r"^```races[^\n]*\n(.*?)^```", re.M | re.S)


def _parse(text: str, file: str = "<t>") -> A.Module | None:
    module, diags = parse_text(text, file)
    return None if module is None or any(d.is_error for d in diags) else module


def _corpus() -> list[tuple[str, str]]:
    """(name, text) of every `.races` text in the repository that parses."""
    found = [p for p in sorted(ROOT.glob("specs/**/*.races")) + sorted(ROOT.glob("tests/**/*.races"))]
    cases = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in found]
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for n, m in enumerate(FENCE.finditer(doc.read_text(encoding="utf-8")), 1):
            cases.append((f"{doc.name}#{n}", m.group(1)))
    return [(name, text) for name, text in cases if _parse(text) is not None]


CORPUS = _corpus()


def _comment_texts(text: str) -> Counter[str]:
    return Counter(c.text for c in comments(text))


def assert_formats_well(text: str) -> str:
    """The formatter's contract on one text; returns the formatted text."""
    out = format_text(text)
    assert format_text(out) == out, "not idempotent"
    assert _parse(out) == _parse(text), "the formatted text parses to another AST"
    assert _comment_texts(out) == _comment_texts(text), "comments lost or invented"
    assert out.endswith("\n") or out == ""
    assert "\n\n\n" not in out or "\"\"\"" in out  # blank-line runs collapse (templates aside)
    return out


def test_the_corpus_covers_the_repository() -> None:
    names = {n for n, _ in CORPUS}
    assert len(CORPUS) > 80
    assert {"specs/lists.races", "tests/fixtures/language/compositions.races"} <= names
    assert any(n.startswith("language.md#") for n in names) and any(n.startswith("tests/diagnostics/") for n in names)


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=[n for n, _ in CORPUS])
def test_repository_files_format_idempotently_and_keep_their_meaning(name: str, text: str) -> None:
    assert_formats_well(text)


def test_bundled_specs_are_formatted() -> None:
    """CI's `racesdsl fmt --check specs`: the standard library is in the canonical layout."""
    run = subprocess.run([sys.executable, "-m", "racesdsl", "fmt", "--check", str(SPECS)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "would be left unchanged" in run.stdout and "reformatted" not in run.stdout


def _samples(paths: list[Path]) -> dict[str, list[str]]:
    prog = load(paths)
    return {name: [json.dumps(prog[name].sample(seed=s).to_dict(), sort_keys=True) for s in range(10)]
            for name in sorted(prog.roots)}


def _formatted_copy(folder: Path, into: Path) -> Path:
    """`folder` copied with every `.races` file in it messed up and then formatted."""
    shutil.copytree(folder, into, ignore=shutil.ignore_patterns("__pycache__"))
    for path in into.rglob("*.races"):
        messy = _relayout(path.read_text(encoding="utf-8"), random.Random(path.name))
        path.write_text(format_text(messy), encoding="utf-8")
    return into


@pytest.mark.parametrize("folder", ["specs", "tests/fixtures/language", "tests/fixtures/composition"])
def test_formatted_specs_sample_the_same_instances(folder: str, tmp_path: Path) -> None:
    original = sorted((ROOT / folder).glob("*.races"))
    copy = _formatted_copy(ROOT / folder, tmp_path / Path(folder).name)
    before, after = _samples(original), _samples(sorted(copy.glob("*.races")))
    assert before and after == before


# ------------------------------------------------------------------ layout


def _fmt(text: str) -> str:
    return assert_formats_well(text)


def test_canonical_spacing_and_indentation() -> None:
    messy = ('use   std.lists.{sort_list,take_first}\ntype  Small=Int[ -9 .. 9 ]\n\n\n\n'
             'env   e   "doc"{param n:Int[1..5]=3 input xs:List[Small,len=n]\n\n\n  output Int\n'
             'solve sum( xs )+n}\ncompose c "c"=seq( sort_list ,take_first(k=3))')
    assert _fmt(messy) == (
        "use std.lists.{sort_list, take_first}\n\n"
        "type Small = Int[-9..9]\n\n"
        'env e "doc" {\n'
        "    param n: Int[1..5] = 3\n"
        "    input xs: List[Small, len=n]\n\n"
        "    output Int\n"
        "    solve sum(xs) + n\n"
        "}\n\n"
        'compose c "c" = seq(sort_list, take_first(k=3))\n')


def test_comments_stay_where_they_were_written() -> None:
    text = ("# header\n\n"
            "type A = Int  # trailing on a decl\n"
            "# above the env\n"
            "env e {  # after the brace\n"
            "    # above a clause\n"
            "    input x: A     # after a clause\n\n\n"
            "    # group two\n"
            "    solve x\n"
            "    # before the brace\n"
            "}  # after the env\n"
            "# at the end\n")
    assert _fmt(text) == ("# header\n\n"
                          "type A = Int  # trailing on a decl\n"
                          "# above the env\n"
                          "env e {  # after the brace\n"
                          "    # above a clause\n"
                          "    input x: A  # after a clause\n\n"
                          "    # group two\n"
                          "    solve x\n"
                          "    # before the brace\n"
                          "}  # after the env\n\n"
                          "# at the end\n")


def test_a_comment_inside_an_expression_keeps_that_clause_verbatim() -> None:
    text = "env e {\n  input   x: Int\n      solve [x,   # first\n     x]\n}\n"
    assert _fmt(text) == "env e {\n    input x: Int\n    solve [x,   # first\n     x]\n}\n"
    header = 'env e # why\n "doc" {\n input x: Int\n}\n'
    assert _fmt(header) == header.rstrip("\n") + "\n"
    compose = "compose c = seq(a, # one\n b)\n"
    assert _fmt(compose) == compose


def test_hash_signs_in_strings_and_templates_are_not_comments() -> None:
    text = 'env e "a # doc" {\n    prompt """# not a comment\n  {{ x }}"""\n    solve "#"\n}\n'
    assert comments(text) == []
    assert _fmt(text) == text


def test_long_expressions_wrap_at_100_columns_and_keep_written_parentheses() -> None:
    body = " + ".join(f"value_{i}" for i in range(12))
    out = _fmt(f"env e {{\n    solve max([(x // 2) % 3 for x in [{body}] if x > 0])\n}}\n")
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "(x // 2) % 3" in out and out.count("\n") > 4
    words = ", ".join(f'"w{i}"' for i in range(40))
    enum = _fmt(f"type W = Enum[{words}]\n")
    assert enum.startswith("type W = Enum[\n    \"w0\", \"w1\"") and enum.endswith(",\n]\n")
    assert all(len(line) <= 100 for line in enum.splitlines())


def test_literals_keep_their_spelling() -> None:
    assert _fmt("env e {\n    solve 1_000 + 1e3 + 0.50\n}\n") == "env e {\n    solve 1_000 + 1e3 + 0.50\n}\n"


def test_a_syntax_error_raises_with_its_diagnostic() -> None:
    with pytest.raises(FormatError) as info:
        format_text("env e {\n    solve (\n}\n", "bad.races")
    assert info.value.diagnostics[0].code == "E0101"


# ------------------------------------------------------------- properties


def _relayout(text: str, rng: random.Random, commented: bool = True) -> str:
    """The same tokens with random whitespace, newlines (and comments) between them."""
    tokens = list(_parser().lex(text))
    pieces = [tokens[0]]
    for n, tok in enumerate(tokens[1:], 1):
        seps = [" ", " ", "\n", "  ", "\n   "] + (["\n\n   ", f"  # c{n}\n", f"\n# own {n}\n"] if commented else [])
        pieces.append(rng.choice(seps))
        pieces.append(tok)
    return "".join(pieces) + "\n"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SPECS.glob("*.races"))), st.integers(0, 2**32))
def test_random_layouts_of_the_specs_format_to_the_same_program(path: Path, seed: int) -> None:
    text = path.read_text(encoding="utf-8")
    messy = _relayout(text, random.Random(seed))
    out = assert_formats_well(messy)
    assert _parse(out) == _parse(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=exprs(4), comp=comp_exprs(3), seed=st.integers(0, 2**32))
def test_deep_expressions_and_compositions_in_any_layout_format_to_the_same_ast(
        expr: A.Expr, comp: A.CompExpr, seed: int) -> None:
    text = f"env e {{\n    solve {print_expr(expr)}\n}}\n\ncompose c = {print_comp(comp)}\n"
    """One layout: any spacing of the same tokens formats to the same text."""
    assert assert_formats_well(_relayout(text, random.Random(seed), commented=False)) == assert_formats_well(text)


def _with_comments(text: str, rng: random.Random) -> str:
    """`text` with comments above and after clauses and declarations and inside expressions."""
    module = _parse(text, MODULE_PATH)
    assert module is not None
    inserts: list[tuple[int, str]] = []
    for d in module.decls:
        inserts.append((d.span.start_pos, "# above\n"))
        inserts.append((d.span.end_pos, "  # after"))
        for c in getattr(d, "clauses", ()):
            inserts.append((c.span.start_pos, "# above a clause\n    "))
            inserts.append((c.span.end_pos, "  # after a clause"))
            expr = getattr(c, "expr", None) or getattr(c, "default", None)
            if isinstance(expr, A.Name):
                inserts.append((expr.span.end_pos, "  # inside\n"))
    chosen = [i for i in inserts if rng.random() < 0.5]
    for pos, comment in sorted(chosen, key=lambda i: i[0], reverse=True):
        text = text[:pos] + comment + text[pos:]
    return text


def _verdict(text: str, tmp: Path) -> list[tuple[str, str]]:
    path = tmp / "gen.races"
    path.write_text(text, encoding="utf-8")
    return sorted((d.code, d.message) for d in check_paths([path]).diagnostics)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(module=modules(), seed=st.integers(0, 2**32))
def test_random_specs_format_idempotently_with_the_same_meaning(module: A.Module, seed: int,
                                                                tmp_path: Path) -> None:
    text = _with_comments(print_module(module), random.Random(seed))
    out = assert_formats_well(text)
    assert _parse(out, MODULE_PATH).decls == module.decls
    assert _verdict(out, tmp_path) == _verdict(text, tmp_path)


# ---------------------------------------------------------------- the CLI

MESSY = "env  twice{input x:Int[0..9]\n  output Int  # doubled\n solve 2*x}\n"
TIDY = "env twice {\n    input x: Int[0..9]\n    output Int  # doubled\n    solve 2 * x\n}\n"


def fmt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "racesdsl", "fmt", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})


def test_check_lists_files_that_would_change_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "messy.races").write_text(MESSY, encoding="utf-8")
    (tmp_path / "tidy.races").write_text(TIDY, encoding="utf-8")
    run = fmt("--check", ".", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert run.stdout == ("would reformat messy.races\n"
                          "1 file would be reformatted, 1 file would be left unchanged\n")
    assert (tmp_path / "messy.races").read_text(encoding="utf-8") == MESSY
    assert fmt("--check", "tidy.races", cwd=tmp_path).returncode == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "messy.races").write_text(MESSY, encoding="utf-8")
    run = fmt("--diff", "messy.races", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    expected = "".join(difflib.unified_diff(MESSY.splitlines(True), TIDY.splitlines(True), "messy.races",
                                            "messy.races"))
    assert run.stdout == expected + "1 file would be reformatted\n"
    assert (tmp_path / "messy.races").read_text(encoding="utf-8") == MESSY


def test_plain_fmt_rewrites_files_atomically_and_is_then_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "messy.races"
    path.write_text(MESSY, encoding="utf-8")
    path.chmod(0o640)
    run = fmt("messy.races", cwd=tmp_path)
    assert run.returncode == 0 and run.stdout == "reformatted messy.races\n1 file reformatted\n", run.stderr
    assert path.read_text(encoding="utf-8") == TIDY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.races"]  # no temporary file left
    again = fmt("messy.races", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == "1 file left unchanged\n"


def test_a_syntax_error_is_reported_and_its_file_left_alone(tmp_path: Path) -> None:
    bad = "env e {\n    solve (\n}\n"
    (tmp_path / "bad.races").write_text(bad, encoding="utf-8")
    (tmp_path / "messy.races").write_text(MESSY, encoding="utf-8")
    run = fmt("bad.races", "messy.races", cwd=tmp_path)
    assert run.returncode == 1
    assert "bad.races:3:1: error: unexpected `}`" in run.stderr and "[E0101]" in run.stderr
    assert (tmp_path / "bad.races").read_text(encoding="utf-8") == bad
    assert (tmp_path / "messy.races").read_text(encoding="utf-8") == TIDY  # the good file is still formatted
    assert "1 file not formatted (syntax errors)" in run.stdout


@pytest.mark.parametrize("args", [["missing.races"], ["notes.txt"], ["empty"]])
def test_paths_that_are_not_specs_exit_2(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    run = fmt(*args, cwd=tmp_path)
    assert run.returncode == 2 and run.stderr.startswith("racesdsl: "), run.stderr


def test_a_file_that_cannot_be_written_exits_2_and_keeps_its_text(tmp_path: Path, monkeypatch) -> None:
    """A full disk or a read-only mount (simulated: root ignores permissions) is an I/O error, not a bug."""
    from typer.testing import CliRunner

    import racesdsl.atomic
    from racesdsl.cli import app

    def read_only(*_args: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    path = tmp_path / "messy.races"
    path.write_text(MESSY, encoding="utf-8")
    monkeypatch.setattr(racesdsl.atomic.os, "replace", read_only)
    result = CliRunner().invoke(app, ["fmt", str(path)])
    assert result.exit_code == 2 and "cannot write: Read-only file system" in result.output, result.output
    assert path.read_text(encoding="utf-8") == MESSY
    assert [p.name for p in tmp_path.iterdir()] == ["messy.races"]  # the temporary file is gone too


def test_the_pre_commit_hook_formats_the_files_it_is_given(tmp_path: Path) -> None:
    hooks = {h["id"]: h for h in read_hooks((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    hook = hooks["racesdsl-fmt"]
    assert hook["entry"] == "racesdsl fmt" and hook["pass_filenames"] is True and re.search(hook["files"], "a.races")
    (tmp_path / "messy.races").write_text(MESSY, encoding="utf-8")
    assert run_hook(hook, [], ["messy.races"], tmp_path).returncode == 0
    assert (tmp_path / "messy.races").read_text(encoding="utf-8") == TIDY
    assert run_hook(hook, ["--check"], ["messy.races"], tmp_path).returncode == 0
