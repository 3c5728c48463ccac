"""Held-out evaluation splits by construction, and a leakage check.

Why: composites are built from a few dozen bricks, so a random split of
composite *instances* tests memorisation of combinations already seen. A
compositional-generalisation eval must hold out whole combinations: every
composite using a held-out base-env combination, operator, nesting pattern or
depth goes to evaluation, decided from its lineage alone (so two composites
with the same structure always land on the same side). `check_leakage`
verifies a finished dataset against that promise."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import combinations
from typing import Any, NamedTuple

from racesdsl.runtime.composite import Composite
from racesdsl.runtime.env import Environment

__all__ = ["Holdout", "Leak", "LeakageError", "Split", "check_leakage", "lineage", "split_compositions"]


def lineage(env: Environment | Composite) -> dict[str, Any]:
    """What a row was built from, as JSON: the env, its base envs in stage order
    (repeats kept; distractors listed apart), the operators in pre-order, the
    depth, the operator `pattern` (`seq(_,par(_,_))`) and the `signature`
    (the pattern with base envs filled in; options and param narrowing are left
    out, so `reward=final` or `n=3..12` variants of one chain share it)."""
    sig, pattern, bases, ops, distractors, depth = _walk(env)
    return {"env": env.qualname, "bases": bases, "distractors": distractors, "operators": ops,
            "depth": depth, "pattern": pattern, "signature": sig}


def _walk(env: Environment | Composite) -> tuple[str, str, list[str], list[str], list[str], int]:
    if isinstance(env, Environment):
        return env.qualname, "_", [env.qualname], [], [], 1
    sigs, pats, bases, ops, distractors, depth = [], [], [], [env.op], [], 0
    for stage in env.stages:
        s, p, b, o, d, k = _walk(stage.env)
        sigs.append(s)
        pats.append(p)
        bases += b
        ops += o
        distractors += d
        depth = max(depth, k)
    for stage in env.distractors:
        distractors += _walk(stage.env)[2]
    return (f"{env.op}({','.join(sigs)})", f"{env.op}({','.join(pats)})", bases, ops, distractors, depth + 1)


def _same(a: str, b: str) -> bool:
    """Names match when equal or when one is the other's short name (`sort_list` ~ `lists.sort_list`)."""
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def _pairs(bases: Iterable[str]) -> set[tuple[str, str]]:
    return set(combinations(sorted(set(bases)), 2))


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("\n".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# ---------------------------------------------------------------------- split


@dataclass(frozen=True)
class Holdout:
    """What goes to evaluation. A composite is held out when it uses every env
    of one of `bases` (combinations, e.g. `("sort_list", "gcd2")`), uses any of
    `operators`, has a `pattern` or `signature` matching one of `patterns`
    (fnmatch globs such as `"seq(*par(*"`), has one of `depths`, or contains a
    base-env pair drawn into the held-out `pair_fraction` (each pair is decided
    by a hash of the pair and `seed`, independently of what else exists, so the
    held-out pairs stay held out as the pool grows)."""

    bases: tuple[tuple[str, ...], ...] = ()
    operators: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    depths: tuple[int, ...] = ()
    pair_fraction: float = 0.0
    seed: int = 0

    @classmethod
    def of(cls, spec: Holdout | Mapping[str, Any]) -> Holdout:
        if isinstance(spec, Holdout):
            return spec
        unknown = set(spec) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"unknown holdout keys: {', '.join(sorted(unknown))}")
        combos = tuple(tuple(c.split("+")) if isinstance(c, str) else tuple(c) for c in spec.get("bases", ()))
        return cls(combos, tuple(spec.get("operators", ())), tuple(spec.get("patterns", ())),
                   tuple(spec.get("depths", ())), float(spec.get("pair_fraction", 0.0)), int(spec.get("seed", 0)))

    def held(self, line: Mapping[str, Any]) -> bool:
        """Whether a lineage goes to evaluation."""
        bases = list(line["bases"])
        if line["depth"] in self.depths or set(line["operators"]) & set(self.operators):
            return True
        if any(fnmatchcase(line["pattern"], p) or fnmatchcase(line["signature"], p) for p in self.patterns):
            return True
        if any(all(any(_same(c, b) for b in bases) for c in combo) for combo in self.bases):
            return True
        return self.pair_fraction > 0 and any(_unit("pair", self.seed, *pair) < self.pair_fraction
                                              for pair in _pairs(bases))


class Split(NamedTuple):
    train: list[str]
    eval: list[str]


def _lineages(source: Any, names: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """name -> lineage from a Program/mapping of envs, env objects, lineage rows,
    or a list of any of these."""
    out: dict[str, dict[str, Any]] = {}
    if isinstance(source, (Environment, Composite)):
        out[source.qualname] = lineage(source)
    elif isinstance(source, Mapping) and "bases" in source and "depth" in source:
        out[str(source["env"])] = dict(source)
    elif isinstance(source, Mapping) and isinstance(source.get("lineage"), Mapping):
        out[str(source["env"])] = dict(source["lineage"])
    elif isinstance(source, Mapping):
        for name in names if names is not None else list(source):
            out[name] = lineage(source[name])
        return out
    elif isinstance(source, str):
        raise TypeError(f"a bare name ({source!r}) needs its program: split_compositions(program, names=[...])")
    else:
        for item in source:
            out.update(_lineages(item, None))
    if names is not None:
        out = {n: line for n, line in out.items() if n in set(names)}
    return out


def split_compositions(source: Any, holdout: Holdout | Mapping[str, Any], *, names: Sequence[str] | None = None,
                       include_bases: bool = False) -> Split:
    """Train and eval name lists. `source` is a loaded Program (or several),
    env objects or lineage rows; base envs are left out unless `include_bases`
    (they are the bricks every split shares)."""
    rule = Holdout.of(holdout)
    train, held = [], []
    for name, line in _lineages(source, names).items():
        if line["depth"] < 2 and not include_bases:
            continue
        (held if rule.held(line) else train).append(name)
    return Split(train, held)


# -------------------------------------------------------------------- leakage


class Leak(NamedTuple):
    kind: str  # composite | pair
    item: str  # the signature (or env name) or the pair `a+b`
    eval_env: str
    train_env: str


class LeakageError(ValueError):
    """Raised by `check_leakage(..., strict=True)`; `.leaks` lists what leaked."""

    def __init__(self, leaks: list[Leak]) -> None:
        super().__init__(leaks)
        self.leaks = leaks

    def __str__(self) -> str:
        head = ", ".join(f"{k.kind} {k.item}" for k in self.leaks[:5])
        more = f" and {len(self.leaks) - 5} more" if len(self.leaks) > 5 else ""
        return f"{len(self.leaks)} evaluation item(s) appear in training data: {head}{more}"


def _row_lineage(row: Any, resolve: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """A row's lineage: env objects and lineage dicts give one; dataset rows
    carry it under `lineage` (a dict, or the JSON string exports write); a row
    without one is known by its env name, and `resolve` finds what that env is."""
    if isinstance(row, (Environment, Composite)):
        return lineage(row)
    if isinstance(row, str):
        return resolve(row)
    if isinstance(row, Mapping):
        if isinstance(row.get("extra_info"), Mapping):  # a verl row keeps it in extra_info
            row = row["extra_info"]
        found = row.get("lineage")
        if isinstance(found, str):  # exported rows store it as a JSON string
            try:
                found = json.loads(found)
            except ValueError:
                found = None
        if isinstance(found, Mapping) and "bases" in found and "depth" in found:
            return dict(found)
        return dict(row) if "bases" in row and "depth" in row else resolve(str(row["env"]))
    return resolve(str(row.env))


def _resolver(envs: Mapping[str, Any] | Any | None) -> Callable[[str], dict[str, Any]]:
    """Lineage by env name, looked up in `envs` (a Program, a mapping of env objects or
    a Registry) or, when None, where reward functions look (RACESDSL_SPECS,
    RACESDSL_PACKAGES, the stdlib). A name found nowhere is an error: guessing
    "composite" reports the shared bricks as leaks, guessing "base" hides leaks."""
    cache: dict[str, dict[str, Any]] = {}
    if envs is None:
        from racesdsl.integrations.registry import default_registry

        envs = default_registry()

    def resolve(name: str) -> dict[str, Any]:
        if name not in cache:
            try:
                env = envs.get(name) if hasattr(envs, "get") else envs[name]
            except LookupError:
                env = None
            if not isinstance(env, (Environment, Composite)):
                raise ValueError(f"a row of `{name}` carries no lineage and no known environment has that name: "
                                 "export with --schema verl or trl (they record it), add `lineage(env)` to each "
                                 "row, or pass envs= (the loaded program)")
            cache[name] = lineage(env)
        return cache[name]

    return resolve


def _is_composite(line: Mapping[str, Any]) -> bool:
    return int(line["depth"]) >= 2


def check_leakage(train_rows: Iterable[Any], eval_rows: Iterable[Any], *, pairs: bool = False,
                  strict: bool = False, envs: Mapping[str, Any] | Any | None = None) -> list[Leak]:
    """Evaluation composites (same signature, or same env name) that occur in
    training data; with `pairs`, also base-env pairs of evaluation composites
    that co-occur in a training composite. Returns the leaks (first occurrence
    of each), or raises `LeakageError` when `strict` and there are any. Base-env
    rows are not checked: every split shares the bricks. Rows without lineage
    are looked up by env name in `envs` (see `_resolver`), so the verdict is the
    same whether or not a file kept the lineage column."""
    resolve = _resolver(envs)
    seen: dict[str, str] = {}
    seen_pairs: dict[tuple[str, str], str] = {}
    for row in train_rows:
        line = _row_lineage(row, resolve)
        if not _is_composite(line):
            continue
        seen.setdefault("env:" + line["env"], line["env"])
        if "signature" in line:
            seen.setdefault("sig:" + line["signature"], line["env"])
        if pairs and "bases" in line:
            for pair in _pairs(line["bases"]):
                seen_pairs.setdefault(pair, line["env"])
    leaks: dict[tuple[str, str], Leak] = {}
    for row in eval_rows:
        line = _row_lineage(row, resolve)
        if not _is_composite(line):
            continue
        for key in (["sig:" + line["signature"]] if "signature" in line else []) + ["env:" + line["env"]]:
            if key in seen:
                item = key.split(":", 1)[1]
                leaks.setdefault(("composite", item), Leak("composite", item, line["env"], seen[key]))
                break
        if pairs and "bases" in line:
            for pair in sorted(_pairs(line["bases"])):
                if pair in seen_pairs:
                    item = "+".join(pair)
                    leaks.setdefault(("pair", item), Leak("pair", item, line["env"], seen_pairs[pair]))
    found = list(leaks.values())
    if strict and found:
        raise LeakageError(found)
    return found
