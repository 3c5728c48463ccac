"""`racesdsl.compose.enumerate`: the composition search writes checkable,
round-tripping `.races` source; its survivors are sound; it is deterministic
for a seed whatever the number of workers; and each rejection reason is
exercised by a small spec built to trigger it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.compose.enumerate import EnumerationResult, enumerate_compositions
from racesdsl.compose.judge import REASONS, Judge
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import parse_text
from racesdsl.syntax.printer import print_module

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
ARGS = {"limit": 30, "depth": (2, 3), "seed": 0}

# One env per way a composition can fail, plus two that fuse into a survivor.
TINY = '''
env double "Double a number." {
    input x: Int[0..9]
    output Int[0..18]
    prompt """What is twice {{ x }}?"""
    solve 2 * x
}

env keep "A number, unchanged." {
    input x: Int[0..20]
    output Int[0..20]
    prompt """Write down {{ x }}."""
    solve x
}

env zero "A number times zero." {
    input x: Int[0..20]
    output Int[0..0]
    prompt """What is {{ x }} times zero?"""
    solve 0 * x
}

env inc "A number plus one." {
    input x: Int[0..20]
    output Int[1..21]
    prompt """What is {{ x }} plus one?"""
    solve x + 1
}

env halve_odd "Half of an odd number; the solver divides by zero on even ones." {
    input x: Int[0..20]
    output Int[0..20]
    prompt """What is {{ x }} // 2?"""
    solve x // 2 + 1 // (x % 2) - 1
}

env odd_only "The successor of an odd number." {
    input x: Int[0..20]
    output Int[0..21]
    where x % 2 == 1
    prompt """What comes after the odd number {{ x }}?"""
    solve x + 1
}

env picky "A number plus two, graded by a verifier that accepts nothing." {
    input x: Int[0..20]
    output Int[2..22]
    verify python "enum_never:never"
    prompt """What is {{ x }} plus two?"""
    solve x + 2
}
'''

NEVER = '''
def never(answer, *, reference, inputs, params):
    return 0.0
'''


def _timeless(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if k != "timing"}


def _parse(src: str):
    module, diags = parse_text(src, "enumerated.races", "enumerated")
    assert module is not None and not diags, diags
    return module


@pytest.fixture(scope="module")
def std_run() -> EnumerationResult:
    return enumerate_compositions([SPECS], **ARGS)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "enum_never.py").write_text(NEVER, encoding="utf-8")
    path = folder / "tiny.races"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_run(tiny: Path) -> EnumerationResult:
    return enumerate_compositions([tiny], ops=("seq",), depth=(2, 2), limit=100)


def test_output_checks_clean_and_round_trips(std_run: EnumerationResult, tmp_path: Path) -> None:
    assert std_run.stats["kept"] == 30 and len(std_run.survivors) == 30
    out = tmp_path / "enumerated.races"
    out.write_text(std_run.source, encoding="utf-8")
    result = check_paths([out], std_run.search_path)
    assert result.diagnostics == []
    module = _parse(std_run.source)
    assert _parse(print_module(module)) == module
    names = [d.name for d in module.decls if hasattr(d, "body")]
    assert names == [s.name for s in std_run.survivors]
    numbers = [int(n.removeprefix("c_")) for n in names]  # named by candidate number, in order
    assert numbers == sorted(set(numbers)) and numbers[-1] == std_run.stats["tried"]
    assert all(f"compose {s.name} = {s.text}\n" in std_run.source for s in std_run.survivors)


def test_survivors_reference_answers_score_one_when_loaded(std_run: EnumerationResult, tmp_path: Path) -> None:
    # Written as `enumerated.races` (the default `module`), the file samples exactly
    # the instances the filter ran: seeds 0..7 all pass, and answers vary.
    out = tmp_path / "enumerated.races"
    out.write_text(std_run.source, encoding="utf-8")
    program = racesdsl.load(out, std_run.search_path)
    for survivor in std_run.survivors:
        comp = program[survivor.name]
        answers = set()
        for seed in range(8):
            inst = comp.sample(seed)
            assert comp.verify(inst, comp.render_answer(inst.answer)).value == 1.0, (survivor.text, seed)
            answers.add(repr(inst.input.get("target", inst.answer)))
        assert len(answers) > 1, survivor.text


def test_search_mixes_operators_and_depths(std_run: EnumerationResult) -> None:
    assert {s.op for s in std_run.survivors} == {"seq", "par", "sort", "select"}
    assert {s.depth for s in std_run.survivors} == {2, 3}


def test_stats_add_up(std_run: EnumerationResult, tiny_run: EnumerationResult) -> None:
    for run in (std_run, tiny_run):
        s = run.stats
        assert set(s["rejected"]) == set(REASONS)
        assert s["tried"] == s["kept"] + sum(s["rejected"].values()) == len(run.survivors) + len(run.rejected)
        for group in ("by_depth", "by_op"):
            assert sum(g["tried"] for g in s[group].values()) == s["tried"]
            assert sum(g["kept"] for g in s[group].values()) == s["kept"]
    assert std_run.stats["stopped"] == "limit" and tiny_run.stats["stopped"] == "exhausted"
    assert std_run.stats["links"] > std_run.stats["seq_edges"] > 0


def test_links_bring_fixed_params_and_ports_into_the_search(tmp_path: Path) -> None:
    """Chains may fix a stage's params at their defaults or feed one input of a
    multi-input env (`gcd2(hi=100)[a]`): such survivors check and score like any other."""
    run = enumerate_compositions([SPECS], ops=("seq",), depth=(2, 2), limit=150, seed=3)
    linked = [s for s in run.survivors if "[" in s.text or "=" in s.text]
    assert any("[" in s.text for s in linked) and any("=" in s.text for s in linked), run.source
    out = tmp_path / "enumerated.races"
    out.write_text(run.source, encoding="utf-8")
    assert check_paths([out], run.search_path).diagnostics == []
    program = racesdsl.load(out, run.search_path)
    for survivor in linked[:10]:
        comp = program[survivor.name]
        inst = comp.sample(11)
        assert comp.verify(inst, comp.render_answer(inst.answer)).value == 1.0, survivor.text


def test_deterministic_for_a_seed(std_run: EnumerationResult) -> None:
    again = enumerate_compositions([SPECS], **ARGS)
    assert again.source == std_run.source
    assert _timeless(again.stats) == _timeless(std_run.stats)
    other = enumerate_compositions([SPECS], **{**ARGS, "seed": 1})
    assert other.source != std_run.source


@pytest.mark.parametrize("start_method", [None, "spawn"])
def test_same_output_for_any_worker_count(std_run: EnumerationResult, start_method: str | None) -> None:
    parallel = enumerate_compositions([SPECS], **ARGS, workers=2, start_method=start_method)
    assert parallel.source == std_run.source
    assert _timeless(parallel.stats) == _timeless(std_run.stats)
    assert parallel.rejected == std_run.rejected


EXPECTED = {
    "seq(tiny.double, tiny.zero)": "constant",  # always 0
    "seq(tiny.double, tiny.keep)": "identity_stage",  # keep returns what it is fed
    "seq(tiny.keep, tiny.inc)": "identity_stage",  # ... or what it samples, as a first stage
    "seq(tiny.double, tiny.halve_odd)": "solver_error",  # fed even numbers only: 1 // 0
    "seq(tiny.double, tiny.odd_only)": "sampling_error",  # no even number meets `where x % 2 == 1`
    "seq(tiny.double, tiny.picky)": "reference",  # the verifier rejects even the reference
}


def test_each_rejection_reason_has_its_cause(tiny_run: EnumerationResult) -> None:
    verdicts = dict(tiny_run.rejected)
    for text, reason in EXPECTED.items():
        assert verdicts.get(text) == reason, text
    assert [s.text for s in tiny_run.survivors] == ["seq(tiny.double, tiny.inc)"]
    assert all(tiny_run.stats["rejected"][r] for r in set(EXPECTED.values()))  # the others: test_enumerate_filters


def test_static_rejection_uses_the_fusion_checker(tiny: Path) -> None:
    judge = Judge([tiny])
    body = _parse("compose c = seq(tiny.inc, tiny.double)\n").decls[0].body  # 1..21 does not fit 0..9
    assert judge.verdict(1, body, 4)[0] == "static"
    good = _parse("compose c = seq(tiny.double, tiny.inc)\n").decls[0].body
    assert judge.verdict(1, good, 4)[0] is None


def test_user_modules_are_used_through_the_search_path(tiny: Path, tiny_run: EnumerationResult,
                                                       tmp_path: Path) -> None:
    assert "use tiny\n" in tiny_run.source and tiny_run.search_path == [tiny.parent]
    out = tmp_path / "elsewhere" / "out.races"
    out.parent.mkdir()
    out.write_text(tiny_run.source, encoding="utf-8")
    assert check_paths([out], tiny_run.search_path).diagnostics == []
    assert check_paths([out]).errors  # without it, `use tiny` cannot be found


def test_time_budget_and_limit_stop_the_search(tiny: Path) -> None:
    stopped = enumerate_compositions([tiny], time_budget=0.0)
    assert stopped.stats["stopped"] == "time_budget" and stopped.stats["tried"] == 0
    assert stopped.survivors == [] and "compose" not in stopped.source
    check = enumerate_compositions([tiny], ops=("par",), limit=3)
    assert check.stats["stopped"] == "limit" and check.stats["kept"] == 3


@pytest.mark.parametrize("kwargs", [{"ops": ("seq", "loop")}, {"ops": ()}, {"depth": (1, 3)}, {"depth": (4, 3)},
                                    {"limit": -1}, {"samples": 0}, {"workers": 0},
                                    {"module": "not-a-name"}, {"module": "tiny"}])
def test_bad_arguments_are_value_errors(tiny: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        enumerate_compositions([tiny], **kwargs)


# ------------------------------------------------- output that checks anywhere (issue 12, finding 19)

ONLY_IMPORTS = "use std.lists.{sort_list, take_first, total}\nuse std.numbers.{gcd2}\n"


def _stage_names(expr) -> set[str]:
    if isinstance(expr, A.StageRef):
        return {".".join(expr.name)}
    return set().union(*(_stage_names(sub) for sub in (*expr.stages, *expr.distractors)))


def _racesdsl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "racesdsl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_a_copy_of_the_stdlib_is_written_as_std(tmp_path: Path) -> None:
    """`enumerate specs/` with the stdlib installed elsewhere wrote `use lists`: found nowhere."""
    copy = tmp_path / "checkout" / "specs"
    shutil.copytree(SPECS, copy)
    run = enumerate_compositions([copy], ops=("seq", "par"), depth=(2, 2), limit=12, samples=2)
    assert run.survivors and "use std.lists\n" in run.source
    assert not re.search(r"^use (?!std\.)", run.source, re.M)
    out = tmp_path / "elsewhere" / "found.races"
    out.parent.mkdir()
    out.write_text(run.source, encoding="utf-8")
    checked = _racesdsl("check", str(out), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_file_of_imports_composes_what_it_imports(tmp_path: Path) -> None:
    spec = tmp_path / "pool.races"
    spec.write_text(ONLY_IMPORTS, encoding="utf-8")
    made = _racesdsl("enumerate", "pool.races", "-o", "found.races", "--ops", "seq,par", "--depth", "2..3",
                     "--limit", "15", "--samples", "2", "--workers", "1", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    source = (tmp_path / "found.races").read_text(encoding="utf-8")
    checked = _racesdsl("check", "found.races", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + source
    module = _parse(source)
    stages = set().union(*(_stage_names(decl.body) for decl in module.decls if hasattr(decl, "body")))
    assert stages and stages <= {"lists.sort_list", "lists.take_first", "lists.total", "numbers.gcd2"}
    assert len(stages) > 1


def test_nothing_to_compose_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty.races").write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no base environments"):
        enumerate_compositions([tmp_path / "empty.races"])
    made = _racesdsl("enumerate", "empty.races", "-o", "found.races", cwd=tmp_path)
    assert made.returncode == 2 and "no base environments" in made.stderr
