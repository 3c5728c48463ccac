"""How composites read and how they are scored: prompts, the reference
answer, the multi-part answer format and the rewards (docs/composition.md).

Bound inputs are described by where they come from ("the list you obtained
in step 1"), never by their value, so a model must actually do every step."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from racesdsl.runtime.composite_run import (
    LABELS,
    MAX_TAG_SCAN,
    _output_type,
    _Run,
    infer_lengths,
    remember,
    stage_verifier,
    to_json,
)
from racesdsl.runtime.env import Environment, Instance
from racesdsl.runtime.instructions import _a
from racesdsl.runtime.score import Score, clip
from racesdsl.runtime.templates import Symbol
from racesdsl.runtime.types import TType
from racesdsl.runtime.verifiers import make_verifier

if TYPE_CHECKING:
    from racesdsl.runtime.composite import Composite


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _task(run: _Run) -> str:
    """One stage as words; a nested composite becomes one step with labelled sub-steps:
    in order for a `seq` or a `par`, in the order its run drew for a `sort`."""
    if isinstance(run.env, Environment):
        values = {**run.params, **run.inputs}
        for n, words in run.bound.items():
            values[n] = Symbol(words)
        return _sentence(run.env.render_step(values))
    if run.env.op == "preset":
        return _task(run.children[0])
    order = run.shown if run.shown is not None else range(len(run.children))
    steps = " ".join(f"({run.children[i].tag}) {_task(run.children[i])}" for i in order)
    if run.env.op == "par":
        return f"Do these independent parts: {steps}"
    if run.env.op == "sort":
        return ("Do these steps, listed in shuffled order (a step that uses an earlier result names it), and "
                f"keep the result of the last one: {steps}")
    return f"Do these steps in order and keep the last result: {steps}"


def _tag_list(prefix: str, types: list[TType]) -> str:
    return ", ".join(f"<{prefix}{i}>...</{prefix}{i}> ({_a(t, False, 'JSON ')})" for i, t in enumerate(types, 1))


def _tags_for(comp: Composite, prefix: str, types: list[TType]) -> str:
    """The fixed answer-format text of a prompt, once per composite and output types:
    `_tag_list` for seq/par (prefix `step`/`part`), the final answer's words for `sort`.
    The types are the compiled stages' own objects, so they are told apart by identity
    (the entry holds them, so their ids cannot be reused while it lives)."""
    cache = comp._lazy.setdefault("tag_lists", {})
    key = (prefix, *map(id, types))
    hit = cache.get(key)
    if hit is None:
        text = _a(types[-1], False, "JSON ") if prefix == "answer" else _tag_list(prefix, types)
        hit = remember(cache, key, (tuple(types), text), limit=1024)
    return hit[1]


def describe(comp: Composite, run: _Run, rng: random.Random) -> tuple[str, Any, dict[str, Any], dict[str, _Run]]:
    """The prompt, the reference answer, extra instance data and (for `select`) the
    pool of labelled steps of one run."""
    kids = run.children
    types = [_output_type(k) for k in kids]
    if comp.op == "preset":  # one env with some params fixed: it reads and answers as that env
        kid = kids[0]
        compiled = kid.env._compiled(kid.params)
        return kid.env.render_prompt(kid.params | kid.inputs) + compiled.instruction, kid.output, {}, {}
    if comp.op == "seq":
        lines = [f"Step {i}: {_task(k)}" for i, k in enumerate(kids, 1)]
        prompt = ("Solve this task step by step.\n" + "\n".join(lines) + "\n\nReport the result of every step, "
                  "each in its own tag: " + _tags_for(comp, "step", types) + ".")
        return prompt, [k.output for k in kids], {}, {}
    if comp.op == "par":
        lines = [f"Part {i}: {_task(k)}" for i, k in enumerate(kids, 1)]
        prompt = ("Solve each of these independent tasks.\n" + "\n".join(lines) + "\n\nGive each part's answer "
                  "in its own tag: " + _tags_for(comp, "part", types) + ".")
        return prompt, [k.output for k in kids], {}, {}
    if comp.op == "sort":
        return _describe_sort(kids, _tags_for(comp, "answer", types[-1:]), rng)
    return _describe_select(comp, run, rng)


def _rebind(run: _Run, words: str) -> None:
    """Say where a stage's fed value comes from; inside a nested composite that is
    its first step (seq, sort) or every part (par)."""
    if isinstance(run.env, Environment):
        run.bound = {n: words for n in run.bound}
    elif run.env.op == "par":
        for i, child in enumerate(run.children, 1):
            _rebind(child, f"item {i} of {words}")
    elif run.children:
        _rebind(run.children[0], words)


def _describe_sort(kids: list[_Run], final: str, rng: random.Random) -> tuple[str, Any, dict, dict]:
    order = list(range(len(kids)))
    rng.shuffle(order)
    label = {step: LABELS[pos] for pos, step in enumerate(order)}
    lines = []
    for step in order:
        run = kids[step]
        if step > 0:  # name the step whose result this one consumes, by label
            _rebind(run, f"the result of step {label[step - 1]}")
        lines.append(f"Step {label[step]}: {_task(run)}")
    prompt = ("The steps of a task are listed below in shuffled order. Each step that uses an earlier result "
              "names the step it comes from. Work out the order, carry out the steps and give the final "
              "result.\n" + "\n".join(lines) + f"\n\nGive your final answer as {final} "
              "inside <answer></answer>.")
    return prompt, kids[-1].output, {"order": [label[s] for s in range(len(kids))]}, {}


def _describe_select(comp: Composite, run: _Run, rng: random.Random) -> tuple[str, Any, dict, dict]:
    pool = [(k, "chain") for k in run.children] + [(d, "distractor") for d in _distractor_runs(comp, run, rng)]
    order = list(range(len(pool)))
    rng.shuffle(order)
    labels = {idx: LABELS[pos] for pos, idx in enumerate(order)}
    lines = []
    first = run.children[0]
    first_input = first.stage.port or first.env.input_names[0]
    start = first.inputs[first_input]
    first.bound = {first_input: "the current value"}
    for idx in order:
        stage_run = pool[idx][0]
        _rebind(stage_run, "the current value")
        lines.append(f"{labels[idx]}: {_task(stage_run)}")
    target = run.output
    prompt = (f"Start from {to_json(start)}. Using the steps below, each at most once and in an order "
              f"you choose, reach exactly {to_json(target)}.\n" + "\n".join(lines) +
              "\n\nGive your plan inside <answer></answer> as a JSON list of step labels in the order you apply "
              'them, for example ["B", "A"].')
    answer = [labels[i] for i in range(len(run.children))]
    by_label = {labels[i]: pool[i][0] for i in range(len(pool))}
    return prompt, answer, {"start": start, "target": target, "pool": sorted(by_label)}, by_label


def _distractor_runs(comp: Composite, run: _Run, rng: random.Random) -> list[_Run]:
    out = []
    for stage in comp.distractors:
        env = stage.env
        params = env.resolve_params({**stage.fixed})
        fed_name = stage.port or env.input_names[0]
        drawn = env._draw_once(rng, params, env._compiled(params))  # custom samplers included
        others = {n: v for n, v in drawn.items() if n != fed_name}
        out.append(_Run(stage.label, env, params, others, {fed_name: "the current value"}, None, stage=stage))
    return out


# ---------------------------------------------------------------- scoring


def tag_block(completion: str, tag: str) -> str | None:
    """The text of the last `<tag>...</tag>` in the completion's tail (None: there is none)."""
    text = completion[-MAX_TAG_SCAN:]
    end = text.rfind(f"</{tag}>")
    if end < 0:
        return None
    start = text.rfind(f"<{tag}>", 0, end)
    return None if start < 0 else text[start + len(tag) + 2:end]


def _stage_score(run: _Run, block: str | None, reference: Any) -> Score:
    if block is None:
        return Score(0.0, "missing")
    text = f"<answer>{block}</answer>"
    if isinstance(run.env, Environment):
        comp = run.compiled if run.compiled is not None else run.env._compiled(run.params)
        return stage_verifier(run.env, comp)(text, reference, run.inputs, run.params)
    return _exact_verifier(_output_type(run))(text, reference, {}, {})


@lru_cache(maxsize=256)
def _exact_verifier(t: TType) -> Callable[[str, Any, dict, dict], Score]:
    """A nested composite's step is graded exactly on its result: one verifier per type."""
    return make_verifier("exact", t, "tags")


def score(comp: Composite, inst: Instance, completion: str) -> Score:
    if not isinstance(completion, str):
        return Score(0.0, "the completion is not text")
    run, _ = comp.run_of(inst)
    kids = run.children
    if comp.op == "preset":
        kid = kids[0]
        return kid.env._compiled(kid.params).verifier(completion, inst.answer, kid.inputs, kid.params)
    if comp.op in ("seq", "par"):
        tag = "step" if comp.op == "seq" else "part"
        parts = tuple(_stage_score(k, tag_block(completion, f"{tag}{i}"), ref)
                      for i, (k, ref) in enumerate(zip(kids, inst.answer, strict=True), 1))
        return combine_parts(comp, parts)
    if comp.op == "sort":
        return _stage_score(kids[-1], tag_block(completion, "answer"), inst.answer)
    return _score_plan(comp, inst, completion)


def combine_parts(comp: Composite, parts: tuple[Score, ...]) -> Score:
    """A seq's or par's reward rule over its steps' scores (composition.md, "Rewards")."""
    ok = [p.value == 1.0 for p in parts]
    if comp.op == "seq":
        if comp.reward == "final":
            return Score(parts[-1].value, f"final step: {parts[-1].reason}", parts)
        prefix = next((i for i, good in enumerate(ok) if not good), len(ok))
        return Score(prefix / len(ok), f"{prefix} of {len(ok)} leading steps correct", parts)
    if comp.reward == "all":
        return Score(float(all(ok)), f"{sum(ok)} of {len(ok)} parts correct", parts)
    return Score(sum(p.value for p in parts) / len(parts), f"{sum(ok)} of {len(ok)} parts correct", parts)


def _score_plan(comp: Composite, inst: Instance, completion: str) -> Score:
    block = tag_block(completion, "answer")
    if block is None:
        return Score(0.0, "no <answer> block found")
    plan, why = parser_for_labels(block)
    if why:
        return Score(0.0, why)
    run, pool = comp.run_of(inst)
    if len(set(plan)) != len(plan):
        return Score(0.0, "a step is used more than once")
    current = inst.input["start"]
    for label in plan:
        if label not in pool:
            return Score(0.0, f"there is no step {clip(label, 40)}")  # the label is the model's text
        current, why = _apply(pool[label], current)
        if why:
            return Score(0.0, f"step {label}: {why}")
    if to_json(current) == to_json(inst.input["target"]):
        return Score(1.0, "the plan reaches the target")
    return Score(0.0, f"the plan ends at {clip(to_json(current))}, not the target")


def parser_for_labels(block: str) -> tuple[list[str], str | None]:
    text = block.strip()
    try:
        value = json.loads(text) if text.startswith("[") else [s.strip().strip("\"'") for s in text.split(",")]
    except ValueError:
        return [], "the plan is not a JSON list of labels"
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return [], "the plan is not a list of step labels"
    return [v.strip().upper() for v in value], None


def _apply(run: _Run, value: Any) -> tuple[Any, str | None]:
    """Execute one proposed step on the current value; failures are reasons, not errors."""
    env, stage = run.env, run.stage
    names = list(run.bound)  # the inputs this step takes from the current value
    if len(names) == 1:
        fed = {names[0]: value}
    elif isinstance(value, dict) and all(n in value for n in names):
        fed = {n: value[n] for n in names}
    elif isinstance(value, (list, tuple)) and len(value) == len(names):
        fed = dict(zip(names, value, strict=True))
    else:
        return None, f"cannot split that value into {', '.join(names)}"
    inputs = {**run.inputs, **fed}
    params = dict(run.params)
    infer_lengths(stage, params, fed)
    try:
        params = env.resolve_params(params)
        comp = env._compiled(params)
        for name in env.input_names:
            why = comp.input_checks[name](inputs.get(name))
            if why is not None:
                return None, f"cannot take that value ({why})"
        return env._solve(env._with_lets(inputs, comp), params, comp, -1), None
    except Exception as exc:  # any failure of a proposed step scores 0 with a reason
        return None, f"fails on that value ({type(exc).__name__})"


def render(comp: Composite, answer: Any) -> str:
    if comp.op == "preset":
        return comp.stages[0].env.render_answer(answer, **comp.stages[0].fixed)
    if comp.op == "seq":
        return "".join(f"<step{i}>{to_json(v)}</step{i}>" for i, v in enumerate(answer, 1))
    if comp.op == "par":
        return "".join(f"<part{i}>{to_json(v)}</part{i}>" for i, v in enumerate(answer, 1))
    return f"<answer>{to_json(answer)}</answer>"


