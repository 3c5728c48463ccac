"""Score a composite from its exported reference answer alone, without re-sampling.

Why: some trainer paths hand the reward function only `(data_source,
solution_str, ground_truth)` (verl's `main_eval` passes no `extra_info`), so
the instance cannot be rebuilt. For a `seq` or `par` composite the exported
`ground_truth` already holds every step's answer, and a step is graded on its
result alone, so the score needs no instance: each `<stepN>`/`<partN>` block
is parsed into the stage's output type and compared with the step's reference
by the stage's own verifier kind, and the composite's reward rule (prefix or
final for `seq`, mean or all for `par`) combines them, as
`racesdsl.runtime.composite_prompts.score` does with the instance. `sort`
(the final value in `<answer>`) and `preset` (the one env) work the same way.

The row's params are unknown here, so length and range limits of the output
types are dropped (`relax`): an answer equal to the reference passes either
way, and one that differs scores 0 either way. Steps with a `python` verifier
need the instance's inputs and score 0 with that reason; so does `select`
(its plan is checked by executing the steps)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from racesdsl.integrations.registry import read_json
from racesdsl.runtime.composite import Composite, Stage
from racesdsl.runtime.composite_prompts import combine_parts, tag_block
from racesdsl.runtime.env import Environment
from racesdsl.runtime.score import Score
from racesdsl.runtime.types import (
    NAT,
    UNBOUNDED,
    TFloat,
    TInt,
    TList,
    TMap,
    TOptional,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
)
from racesdsl.runtime.verifiers import make_verifier

__all__ = ["SCORABLE_OPS", "relax", "score_from_answer"]

SCORABLE_OPS = ("seq", "par", "sort", "preset")
NOTE = "scored from ground_truth alone"


def relax(t: TType) -> TType:
    """`t` without length and range limits (they depend on params a row without
    extra_info does not carry); structure, element types and enums stay."""
    match t:
        case TInt() | TFloat():
            return dataclasses.replace(t, range=UNBOUNDED)
        case TStr():
            return dataclasses.replace(t, length=NAT)
        case TList(elem, _) | TSet(elem, _):
            return dataclasses.replace(t, elem=relax(elem), length=NAT)
        case TTuple(items):
            return TTuple(tuple(relax(i) for i in items))
        case TRecord(fields):
            return TRecord(tuple((n, relax(ft)) for n, ft in fields))
        case TMap(k, v, _):
            return TMap(relax(k), relax(v), NAT)
        case TOptional(inner):
            return TOptional(relax(inner))
    return t


def _stage_env_params(comp: Composite, stage: Stage) -> dict[str, Any]:
    """A base-env stage's params at the composite's default knobs (fixed values included)."""
    knobs = comp.resolve_params({})
    params = dict(stage.fixed)
    params.update({p: knobs[k] for p, k in stage.knobs.items() if k in knobs})
    try:
        return stage.env.resolve_params(params)
    except Exception:  # a length param inferred at sampling time: the type's limits are relaxed anyway
        return stage.env.resolve_params({})


def _output_type(env: Environment | Composite, comp: Composite | None = None, stage: Stage | None = None) -> TType:
    if isinstance(env, Environment):
        params = _stage_env_params(comp, stage) if comp is not None and stage is not None else {}
        return env.output_type(**params)
    if env.op == "par":
        return TTuple(tuple(_output_type(s.env, env, s) for s in env.stages))
    last = env.stages[-1]
    return _output_type(last.env, env, last)


@functools.lru_cache(maxsize=256)
def _verifier(kind: str, t: TType, eps: float | None) -> Callable[..., Score]:
    return make_verifier(kind, t, "tags", eps=eps)


def _step_score(comp: Composite, stage: Stage, block: str | None, reference: Any) -> Score:
    """One step's block against its reference, by the stage's verifier kind."""
    if block is None:
        return Score(0.0, "missing")
    env = stage.env
    kind, eps = (env.verify_kind, env.eps) if isinstance(env, Environment) else ("exact", None)
    if kind in ("python", "check"):
        return Score(0.0, f"a {kind} verifier needs the instance's inputs (give the row's extra_info)")
    t = relax(_output_type(env, comp, stage))
    return _verifier(kind, t, eps)(f"<answer>{block}</answer>", reference, {}, {})


def score_from_answer(comp: Composite, completion: str, ground_truth: Any) -> Score:
    """The composite's Score for `completion` against `ground_truth` (the exported
    reference answer, JSON text or value); never raises."""
    try:
        return _score(comp, completion, ground_truth)
    except Exception as exc:  # a hostile or foreign ground truth: a zero with the reason
        return Score(0.0, f"reward error ({NOTE}): {type(exc).__name__}: {exc}")


def _score(comp: Composite, completion: str, ground_truth: Any) -> Score:
    if not isinstance(completion, str):
        return Score(0.0, f"the completion is not text (got {type(completion).__name__})")
    if comp.op not in SCORABLE_OPS:
        return Score(0.0, f"a `{comp.op}` composite is verified against its rebuilt instance only "
                     "(give the row's extra_info)")
    if ground_truth is None or (isinstance(ground_truth, str | bytes) and not ground_truth.strip()):
        return Score(0.0, "no ground_truth to score against")
    reference = read_json(ground_truth)
    if comp.op == "preset":
        stage = comp.stages[0]
        return _tagged(_step_score(comp, stage, _answertag_block(completion, stage.env), reference))
    if comp.op == "sort":
        return _tagged(_step_score(comp, comp.stages[-1], tag_block(completion, "answer"), reference))
    if not isinstance(reference, list) or len(reference) != len(comp.stages):
        return Score(0.0, f"ground_truth must list the {len(comp.stages)} step answers of {comp.qualname}")
    tag = "step" if comp.op == "seq" else "part"
    parts = tuple(_step_score(comp, stage, tag_block(completion, f"{tag}{i}"), ref)
                  for i, (stage, ref) in enumerate(zip(comp.stages, reference, strict=True), 1))
    return _tagged(combine_parts(comp, parts))


def _answertag_block(completion: str, env: Environment | Composite) -> str | None:
    """A preset answers as its env: in `<answer>` tags (other formats are read by the env's own verifier)."""
    if isinstance(env, Environment) and env.answer_format != "tags":
        from racesdsl.runtime.extract import extract

        return extract(completion, env.answer_format)
    return tag_block(completion, "answer")


def _tagged(score: Score) -> Score:
    return Score(score.value, f"{score.reason} ({NOTE})", score.parts)
