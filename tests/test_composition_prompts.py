"""Golden prompts of composites: how `seq`, `par`, `sort` and `select` read.

Every composite of tests/fixtures/composition/showcase.races named in GOLDEN is
sampled at seeds 0 and 1; its prompt, reference answer (`render_answer`) and
the score of that answer are written to tests/golden/prompts/<name>_<seed>.txt
and compared. The prompts must also read as plain English, describe every
bound input in words and never show an intermediate value.

docs/composition.md cannot drift: a ```text block right after
`<!-- golden: NAME_SEED -->` must equal that golden file, the ```races block
after `<!-- fixture: PATH -->` must equal the fixture, every other ```races
block must check as marked (clean, or `error=CODE`), and every ```python block
runs as a doctest from the repository root.

Run with UPDATE_GOLDEN=1 to rewrite the golden files."""

from __future__ import annotations

import doctest
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "composition" / "showcase.races"
GOLDEN_DIR = ROOT / "tests" / "golden" / "prompts"
DOC = ROOT / "docs" / "composition.md"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SEEDS = (0, 1)

# name -> how many inputs of the prompt are fed by an earlier step (each must be described in words)
GOLDEN = {
    "top3_seq": 2,  # seq of three stages
    "top3_sort": 2,  # sort of three steps
    "top3_select": 5,  # select: three-step chain and two distractors, every step acts on "the current value"
    "trio_par": 1,  # par of three parts, the third a seq
    "top3_parity": 4,  # seq whose middle stage is a named composite of three stages
    "extremes_parity": 3,  # seq whose last stage is a par
}
CASES = [(name, seed) for name in GOLDEN for seed in SEEDS]
IDS = [f"{name}_{seed}" for name, seed in CASES]

# "Step 1: ...", "Step A: ...", "Part 2: ...", "C: ..." (select's pool)
STEP_LINE = re.compile(r"^(?:Step (?P<num>\d+)|Step (?P<letter>[A-H])|Part (?P<part>\d+)|(?P<pool>[A-H])): (?P<body>.+)$")
# "(a) ..." inside a nested seq, "(1) ..." inside a nested par; "in (a)" inside a sentence is no sub-step
SUB_STEP = re.compile(r"(?<=[.?!:]) \((?:[a-z]|\d+)\) ")
BOUND = re.compile(r"you obtained in (?:step \d+|\([a-z]\))|the result of step [A-H]|the current value")


@pytest.fixture(scope="module")
def program() -> Any:
    return racesdsl.load(FIXTURE)


def golden_text(env: Any, seed: int) -> str:
    """What a golden file holds: the prompt, the reference answer and its score."""
    inst = env.sample(seed)
    answer = env.render_answer(inst.answer)
    score = env.verify(inst, answer)
    return (f"{inst.prompt}\n\n--- reference answer\n{answer}\n"
            f"--- score of the reference answer: {score.value} ({score.reason})\n")


# ------------------------------------------------------------------ golden files


@pytest.mark.parametrize(("name", "seed"), CASES, ids=IDS)
def test_prompt_matches_golden(program: Any, name: str, seed: int) -> None:
    text = golden_text(program[name], seed)
    path = GOLDEN_DIR / f"{name}_{seed}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"run UPDATE_GOLDEN=1 to create {path.relative_to(ROOT)}"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} changed: UPDATE_GOLDEN=1 to accept"


def test_no_stale_golden_files() -> None:
    expected = {f"{i}.txt" for i in IDS}
    found = {p.name for p in GOLDEN_DIR.glob("*.txt")}
    assert found <= expected, f"golden files without a case: {sorted(found - expected)}"


@pytest.mark.parametrize(("name", "seed"), CASES, ids=IDS)
def test_reference_answer_scores_one(program: Any, name: str, seed: int) -> None:
    env = program[name]
    inst = env.sample(seed)
    score = env.verify(inst, env.render_answer(inst.answer))
    assert score.value == 1.0, score
    assert all(p.value == 1.0 for p in score.parts), score
    assert env.sample(seed) == inst, "sampling is not deterministic"


# ------------------------------------------------------------------ plain English


def step_lines(prompt: str) -> list[re.Match[str]]:
    return [m for line in prompt.splitlines() if (m := STEP_LINE.match(line))]


def sentences(body: str) -> list[str]:
    """A step line split into its sentences: the lead-in of a nested composite
    ("Do these steps in order ...:") and each "(a) ..." or "(1) ..." sub-step."""
    return [s.strip() for s in SUB_STEP.split(body) if s.strip()]


@pytest.mark.parametrize(("name", "seed"), CASES, ids=IDS)
def test_prompt_reads_as_english(program: Any, name: str, seed: int) -> None:
    prompt = program[name].sample(seed).prompt
    for bad in ("Symbol(", "None", "  ", "`", "{{", "}}", "\t"):
        assert bad not in prompt, f"{bad!r} in the prompt:\n{prompt}"
    assert not re.search(r"(?<!\.)\.\.(?!\.)", prompt), f"'..' in the prompt:\n{prompt}"
    assert not re.search(r"\s[.,;:?!]", prompt), f"space before punctuation:\n{prompt}"
    assert not re.search(r"['\"]the (?:\w+ you obtained|result of step|current value)", prompt), (
        f"a described input is quoted as if it were a value:\n{prompt}")
    lines = step_lines(prompt)
    assert lines, f"no step lines in:\n{prompt}"
    for m in lines:
        for sentence in sentences(m.group("body")):
            assert sentence[0].isupper(), f"{sentence!r} does not start with a capital letter"
            assert sentence[-1] in ".?!:", f"{sentence!r} does not end with punctuation"
    # the prompt ends with the answer instruction, itself a sentence
    assert prompt.rstrip().endswith("."), prompt


@pytest.mark.parametrize(("name", "seed"), CASES, ids=IDS)
def test_every_bound_input_is_described(program: Any, name: str, seed: int) -> None:
    env = program[name]
    inst = env.sample(seed)
    found = BOUND.findall(inst.prompt)
    assert len(found) == GOLDEN[name], f"expected {GOLDEN[name]} described inputs, found {found}:\n{inst.prompt}"
    lines = step_lines(inst.prompt)
    if env.op == "seq":  # "in step k" always points back to an earlier top-level step
        for m in lines:
            for k in re.findall(r"in step (\d+)", m.group("body")):
                assert int(k) < int(m.group("num")), m.group(0)
    if env.op == "sort":  # each step names the step before it in the true order
        order = inst.input["order"]
        by_label = {m.group("letter"): m.group("body") for m in lines}
        assert sorted(by_label) == sorted(order)
        assert "the result of step" not in by_label[order[0]]
        assert not re.search(r"in step \d", inst.prompt), "a shuffled step points to a numbered step"
        for before, label in zip(order, order[1:], strict=False):
            assert f"the result of step {before}" in by_label[label], by_label[label]
    if env.op == "select":  # one line per step of the pool, each on "the current value"
        assert [m.group("pool") for m in lines] == inst.input["pool"]
        assert all("the current value" in m.group("body") for m in lines)


def _outputs(run: Any) -> list[Any]:
    out = [run.output]
    for child in run.children:
        out.extend(_outputs(child))
    return out


def _sampled(run: Any) -> list[Any]:
    """The inputs every stage drew itself (not fed from an earlier step)."""
    out = [v for name, v in run.inputs.items() if name not in run.bound]
    for child in run.children:
        out.extend(_sampled(child))
    return out


def _shown(value: Any, prompt: str) -> bool:
    """Whether a value is printed in the prompt (numbers under 10 and truth values
    are too common in ordinary text to tell)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return abs(value) >= 10 and re.search(rf"(?<![\w-]){value}(?!\d)", prompt) is not None
    text = json.dumps(value) if isinstance(value, (list, tuple, dict)) else str(value)
    return text in prompt or str(list(value) if isinstance(value, tuple) else value) in prompt


@pytest.mark.parametrize(("name", "seed"), CASES, ids=IDS)
def test_intermediate_values_never_appear(program: Any, name: str, seed: int) -> None:
    """Every step's result (and, except in `select`, the final one) stays out of the prompt."""
    env = program[name]
    inst = env.sample(seed)
    run = env._sample_run(seed, inst.params)[0]  # the run tree: every stage's output
    values = _outputs(run)
    if env.op == "select":  # the target is shown on purpose
        values = [v for v in values if json.dumps(v) != json.dumps(inst.input["target"])]
    # A result equal to a number the task itself shows is a coincidence, not a leak.
    shown_inputs = json.dumps(_sampled(run))
    leaked = [v for v in values if _shown(v, inst.prompt) and not _shown(v, shown_inputs)]
    assert not leaked, f"intermediate values in the prompt: {leaked}\n{inst.prompt}"


# ------------------------------------------------------------------ known problems

KNOWN = ROOT / "tests" / "fixtures" / "composition" / "known_issues.races"


@pytest.fixture(scope="module")
def known() -> Any:
    return racesdsl.load(KNOWN)


def test_sort_names_the_step_feeding_a_nested_composite(known: Any) -> None:
    inst = known["sort_nested"].sample(0)
    assert not re.search(r"in step \d", inst.prompt), inst.prompt
    assert len(re.findall(r"the result of step [A-H]", inst.prompt)) == 2, inst.prompt


@pytest.mark.parametrize("name", ["par_of_seq_stage", "ends_in_par_stage"])
def test_reference_of_nested_par_scores_one(known: Any, name: str) -> None:
    env = known[name]
    inst = env.sample(0)
    assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0
    assert "0 items" not in inst.prompt, inst.prompt


def test_described_word_is_not_quoted(known: Any) -> None:
    prompt = known["letters_total"].sample(0).prompt
    assert '"the text you obtained' not in prompt, prompt


def test_tuple_items_are_described_by_position(known: Any) -> None:
    prompt = known["divisors_gcd"].sample(0).prompt
    assert "`" not in prompt and "matching item" not in prompt, prompt


# ------------------------------------------------------------------ docs/composition.md

FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
MARK = re.compile(r"<!-- (?P<kind>golden|fixture): (?P<what>[\w./-]+) -->\s*\Z")
RACES_INFO = re.compile(r"races(?:\s+(?P<kind>error|warning)=(?P<code>[EW]\d{4}))?")


def doc_blocks() -> list[tuple[int, str, str, tuple[str, str] | None]]:
    """(line, info, body, mark) of every fenced block of the page."""
    text = DOC.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        mark = MARK.search(text, 0, m.start())
        tag = (mark.group("kind"), mark.group("what")) if mark and mark.end() == m.start() else None
        out.append((text.count("\n", 0, m.start()) + 1, m.group("info").strip(), m.group("body"), tag))
    return out


BLOCKS = doc_blocks() if DOC.exists() else []
GOLDEN_BLOCKS = [b for b in BLOCKS if b[3] and b[3][0] == "golden"]
RACES_BLOCKS = [b for b in BLOCKS if b[1].startswith("races") and not b[3]]
PYTHON_BLOCKS = [b for b in BLOCKS if b[1] == "python"]


def test_doc_shows_every_operator() -> None:
    shown = {b[3][1].rsplit("_", 1)[0] for b in GOLDEN_BLOCKS}
    ops = {racesdsl.load(FIXTURE)[name].op for name in shown}
    assert ops == {"seq", "par", "sort", "select"}, f"docs/composition.md shows golden prompts of {sorted(ops)}"
    for line, info, _, _ in GOLDEN_BLOCKS:
        assert info == "text", f"docs/composition.md:{line}: a golden example is a ```text block"


@pytest.mark.parametrize("block", GOLDEN_BLOCKS, ids=[b[3][1] for b in GOLDEN_BLOCKS])
def test_doc_example_equals_golden(block: tuple[int, str, str, tuple[str, str]]) -> None:
    line, _, body, (_, name) = block
    path = GOLDEN_DIR / f"{name}.txt"
    assert path.exists(), f"docs/composition.md:{line}: no golden file {path.relative_to(ROOT)}"
    assert body == path.read_text(encoding="utf-8"), (
        f"docs/composition.md:{line}: the example differs from {path.relative_to(ROOT)}: copy it again")


def test_doc_shows_the_fixture() -> None:
    shown = [b for b in BLOCKS if b[3] and b[3][0] == "fixture"]
    assert shown, "docs/composition.md does not show tests/fixtures/composition/showcase.races"
    for line, _, body, (_, rel) in shown:
        assert body == (ROOT / rel).read_text(encoding="utf-8"), f"docs/composition.md:{line}: {rel} changed"


@pytest.mark.parametrize("block", RACES_BLOCKS, ids=[f"line{b[0]}" for b in RACES_BLOCKS])
def test_doc_races_block_checks_as_marked(block: tuple[int, str, str, None], tmp_path: Path) -> None:
    line, info, body, _ = block
    kind = RACES_INFO.fullmatch(info)
    assert kind is not None, f"docs/composition.md:{line}: write ```races or ```races error=CODE"
    path = tmp_path / f"ex_{line}.races"
    path.write_text(body, encoding="utf-8")
    codes = {d.code for d in check_paths([path]).diagnostics}
    expected = {kind.group("code")} if kind.group("code") else set()
    assert codes == expected, f"docs/composition.md:{line}: expected {expected or 'no finding'}, got {codes}"


def test_doc_python_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ```python blocks are one doctest session, run from the repository root."""
    assert PYTHON_BLOCKS, "docs/composition.md has no ```python examples"
    monkeypatch.chdir(ROOT)
    source = "\n".join(b[2] for b in PYTHON_BLOCKS)
    test = doctest.DocTestParser().get_doctest(source, {}, "docs/composition.md", str(DOC), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)
    assert runner.tries >= 10
