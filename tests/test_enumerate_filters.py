"""`racesdsl enumerate`'s degeneracy filters (issue 15): each of `near_constant`,
`ignores_input` and `duplicate` fires on a composite built to trip it and not
on a healthy one, and stdlib survivors stay clear of the near-constant rule
on seeds the filter never saw."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import racesdsl
from racesdsl.compose.enumerate import enumerate_compositions
from racesdsl.compose.judge import MAX_LIMIT, STAT_SAMPLES, Judge, answer_space, near_constant_limit
from racesdsl.runtime import types as T
from racesdsl.runtime.composite import to_json
from racesdsl.syntax.parser import parse_text

ROOT = Path(__file__).resolve().parent.parent

SPEC = '''
env double "Double a number." {
    input x: Int[0..9]
    output Int[0..18]
    prompt """What is twice {{ x }}?"""
    solve 2 * x
}

env succ "A number plus one, modulo 41." {
    input x: Int[0..40]
    output Int[0..40]
    prompt """What is ({{ x }} + 1) mod 41?"""
    solve (x + 1) % 41
}

env plus_two "A number plus two." {
    input x: Int[0..30]
    output Int[2..32]
    prompt """What is {{ x }} plus two?"""
    solve x + 2
}

env plus_three "A number plus three." {
    input x: Int[0..30]
    output Int[3..33]
    prompt """What is {{ x }} plus three?"""
    solve x + 3
}

env zero "A number times zero." {
    input x: Int[0..20]
    output Int[0..0]
    prompt """What is {{ x }} times zero?"""
    solve 0 * x
}

env mostly_zero "A number if it is at least 17, else zero." {
    input x: Int[0..20]
    output Int[0..20]
    prompt """What is {{ x }} // 17 * {{ x }}?"""
    solve x // 17 * x
}

env second "The second of two numbers." {
    input x: Int[0..20]
    input y: Int[0..20]
    output Int[0..20]
    prompt """Of {{ x }} and {{ y }}, write the second."""
    solve y + 0 * x
}

env add "The sum of two numbers." {
    input x: Int[0..20]
    input y: Int[0..20]
    output Int[0..40]
    prompt """What is {{ x }} plus {{ y }}?"""
    solve x + y
}
'''


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("filters") / "filt.races"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def judge(spec: Path) -> Judge:
    return Judge([spec])


def _verdict(judge: Judge, text: str, index: int = 1) -> tuple[str | None, str]:
    module, diags = parse_text(f"compose c = {text}\n", "enumerated.races", "enumerated")
    assert module is not None and not diags, diags
    return judge.verdict(index, module.decls[0].body, 8)


def test_a_healthy_chain_passes_every_filter(judge: Judge) -> None:
    reason, digest = _verdict(judge, "seq(filt.double, filt.succ)")
    assert reason is None and len(digest) == 64


def test_an_always_zero_answer_is_constant_and_a_mostly_zero_one_near_constant(judge: Judge) -> None:
    assert _verdict(judge, "seq(filt.double, filt.zero)")[0] == "constant"
    # 2x >= 17 only for x = 9: zero on about 90 % of the samples
    assert _verdict(judge, "seq(filt.double, filt.mostly_zero)")[0] == "near_constant"


def test_a_final_answer_that_ignores_the_first_input_is_rejected(judge: Judge) -> None:
    # `second` answers its drawn `y`: the answer varies, but not with `double`'s input
    assert _verdict(judge, "seq(filt.double, filt.second[x])")[0] == "ignores_input"
    assert _verdict(judge, "seq(filt.double, filt.add[x])")[0] is None  # x + y: it depends


def test_duplicates_share_a_signature_whatever_their_names(judge: Judge) -> None:
    a = _verdict(judge, "seq(filt.double, filt.plus_three)", 1)
    b = _verdict(judge, "seq(filt.double, filt.plus_two, filt.succ)", 2)  # 2x + 3 as well
    c = _verdict(judge, "seq(filt.double, filt.plus_two)", 3)
    d = _verdict(judge, "sort(filt.double, filt.plus_three)", 4)  # another task: only the final answer asked
    assert a[0] is b[0] is c[0] is d[0] is None
    assert a[1] == b[1] and len({a[1], c[1], d[1]}) == 3


def test_the_search_drops_later_duplicates_and_counts_them(tmp_path: Path) -> None:
    pool = tmp_path / "filt.races"
    pool.write_text("\n\n".join(part for part in SPEC.split("\n\n")
                                if any(f"env {n} " in part for n in ("double", "succ", "plus_two", "plus_three"))), encoding="utf-8")
    run = enumerate_compositions([pool], ops=("seq",), depth=(2, 3), limit=100, seed=0)
    kept = [s.text for s in run.survivors]
    verdicts = dict(run.rejected)
    assert run.stats["rejected"]["duplicate"] == list(verdicts.values()).count("duplicate")
    pair = ["seq(filt.double, filt.plus_three)", "seq(filt.double, filt.plus_two, filt.succ)"]
    assert sum(t in kept for t in pair) == 1 and verdicts.get(next(t for t in pair if t not in kept)) == "duplicate"
    again = enumerate_compositions([pool], ops=("seq",), depth=(2, 3), limit=100, seed=0, workers=2)
    assert again.rejected == run.rejected and again.source == run.source


def test_the_rule_and_its_answer_spaces() -> None:
    assert answer_space(T.TBool()) == 2 and answer_space(T.TEnum(("a", "b", "c"))) == 3
    assert answer_space(T.TInt(T.Interval(0, 9))) == 10 and answer_space(T.TInt()) is None
    assert answer_space(T.TTuple((T.TBool(), T.TInt(T.Interval(1, 3))))) == 6
    assert answer_space(T.TList(T.TBool())) is None
    assert near_constant_limit(2) == MAX_LIMIT and near_constant_limit(3) == pytest.approx(2 / 3)
    assert near_constant_limit(4) == near_constant_limit(None) == 0.5
    assert STAT_SAMPLES >= 16


@pytest.mark.parametrize("seed", [21, 22])
def test_stdlib_survivors_are_not_near_constant_on_fresh_seeds(seed: int, tmp_path: Path) -> None:
    """The filter saw seeds 0..STAT_SAMPLES-1; seeds 1000..1119 are new. On them every final
    result keeps its most common answer within the rule's limit, up to sampling noise (0.1:
    over two standard deviations of a share measured on 120 samples)."""
    run = enumerate_compositions([ROOT / "specs"], depth=(2, 4), limit=80, seed=seed)
    out = tmp_path / "enumerated.races"
    out.write_text(run.source, encoding="utf-8")
    program = racesdsl.load(out, run.search_path)
    worst = []
    for survivor in run.survivors:
        comp = program[survivor.name]
        runs = [comp.run_of(comp.sample(s))[0] for s in range(1000, 1120)]
        finals = (lambda r: r.children) if comp.op == "par" else (lambda r: [r])
        for i, final in enumerate(finals(runs[0])):
            counts = Counter(json.dumps(to_json(finals(r)[i].output), sort_keys=True) for r in runs)
            share = counts.most_common(1)[0][1] / len(runs)
            limit = near_constant_limit(answer_space(final.out_type))
            if share > limit + 0.1:
                worst.append((survivor.text, i, share, limit))
    assert worst == []
    assert run.stats["rejected"]["near_constant"] > 0
