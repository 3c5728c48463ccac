"""Pass 3: fusion legality of `seq`, `par`, `sort` and `select`, nested to
any depth (docs/language.md §3 param rules, §5 operators).

Each stage is checked against the value it receives: a base env's exact
length params (`len=n`) are inferred from the incoming value, its other free
params must accept every value they can take, and its output is widened over
what remains. What a stage hands on to the next is that output narrowed by
type flow (check/flow.py), kept in `StageInfo.output`; signatures keep the
declared contract. Named composites are opaque: their standalone signature
and handed-on type are checked once and reused."""

from __future__ import annotations

import re
from collections import ChainMap, Counter
from dataclasses import dataclass, field

from racesdsl.check import stage_args as S
from racesdsl.check.derived import fed_let_errors
from racesdsl.check.exprs import constant_value
from racesdsl.check.flow import Flow
from racesdsl.check.fusion_hints import Producer, suggest_consumer, suggest_producer
from racesdsl.check.instances import InstanceTable, stage_instance
from racesdsl.check.length_params import exact_len_param, infer_exact_lengths
from racesdsl.check.resolve import ModuleScope, Symbol
from racesdsl.check.templates import template_source
from racesdsl.check.typeexpr import TypeContext, resolve_type, too_large
from racesdsl.diagnostics import Diagnostic, did_you_mean, error
from racesdsl.ir import CompositeInfo, EnvInfo, Knob, NestedKnobs, Signature, StageInfo
from racesdsl.runtime import types as T
from racesdsl.runtime.templates import RUNTIME_FILTERS
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_comp

REWARDS = {"seq": ("prefix", "final"), "par": ("mean", "all"), "sort": (), "select": ()}
MIN_STAGES = {"seq": 2, "par": 2, "sort": 2, "select": 1}
SELECT_POOL = 8
_FILTERS = "|".join(RUNTIME_FILTERS)  # they print a described value as its words
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


@dataclass
class Incoming:
    """The value a stage receives: its type, how to name it, who produced it."""

    type: T.TType
    source: str
    producer: Producer | None = None


@dataclass
class _Walk:
    """Per-composite state: occurrence counts for labels and the knobs found."""

    counts: Counter = field(default_factory=Counter)
    knobs: list[Knob | NestedKnobs] = field(default_factory=list)

    def label(self, name: str) -> str:
        self.counts[name] += 1
        n = self.counts[name]
        return name if n == 1 else f"{name}#{n}"


class FusionChecker:
    def __init__(self, envs: dict[str, EnvInfo], diags: list[Diagnostic], flow: Flow | None = None) -> None:
        self.instances: dict[tuple, EnvInfo | None] = {}  # generic envs at the types stages give them
        self.envs = ChainMap(envs, InstanceTable(self.instances))
        self.diags = diags
        self.flow = Flow() if flow is None else flow  # handed-on types, shared by checkers of one program
        self.done: dict[str, CompositeInfo | None] = {}
        self.active: set[str] = set()
        self.failed: set[str] = set()  # composites whose check reported errors
        self.producers: dict[int, Producer] = {}  # base stages, for `help:` suggestions

    def composite(self, decl: A.ComposeDecl, scope: ModuleScope) -> CompositeInfo | None:
        qual = f"{scope.name}.{decl.name}"
        if qual in self.done:
            return self.done[qual]
        self.active.add(qual)
        walk = _Walk()
        before = len(self.diags)
        root, sig = self._stage(decl.body, scope, None, walk)
        self.active.discard(qual)
        if any(d.is_error for d in self.diags[before:]):
            self.failed.add(qual)
        info = CompositeInfo(qual, decl, root, sig, walk.knobs, scope) if sig is not None else None
        self.done[qual] = info
        return info

    # ------------------------------------------------------------- stages

    def _stage(self, node: A.CompExpr, scope: ModuleScope, incoming: Incoming | None,
               walk: _Walk) -> tuple[StageInfo, Signature | None]:
        if isinstance(node, A.OpExpr):
            return self._op(node, scope, incoming, walk)
        sym = scope.lookup(node.name)
        dotted = ".".join(node.name)
        if sym is None:
            self.diags.append(error("E0202", f"unknown environment `{dotted}`", node.span,
                                    did_you_mean(dotted, scope.visible_names(("env", "compose")))))
            return StageInfo(node, dotted, None), None
        if sym.kind == "error":
            return StageInfo(node, dotted, None), None
        if sym.kind not in ("env", "compose"):
            self.diags.append(error("E0206", f"`{dotted}` is a {sym.kind}, not an environment", node.span))
            return StageInfo(node, dotted, None), None
        if incoming is None and node.port is not None:
            self.diags.append(error("E0312", f"`{dotted}[{node.port}]` binds a port, but this stage receives no value",
                                    node.span, f"remove `[{node.port}]`: the stage's inputs are sampled"))
        if sym.kind == "env":
            env = stage_instance(self.envs[sym.qualname], node, incoming and incoming.type, scope, self.diags,
                                 self.instances)
            if env is None:
                return StageInfo(node, walk.label(sym.name), None), None
            return self._base(env, node, incoming, walk)
        if node.type_args:
            self.diags.append(error("E0327", f"`{dotted}` is a composite, so it takes no type arguments", node.span,
                                    "instantiate the generic envs inside its definition"))
        return self._named(sym, node, incoming, walk)

    def _named(self, sym, node: A.StageRef, incoming: Incoming | None,
               walk: _Walk) -> tuple[StageInfo, Signature | None]:
        if sym.qualname in self.active:
            self.diags.append(error("E0205", f"composite `{sym.name}` refers to itself", node.span,
                                    "a composition must be finite; build it from other envs"))
            return StageInfo(node, sym.name, None), None
        info = self.composite(sym.decl, sym.module)
        label = walk.label(sym.name)
        if info is not None and node.args and info.qualname not in self.failed:  # else its errors say enough
            info = self._with_knobs(info, sym, node)
        if info is None:
            return StageInfo(node, label, None), None
        walk.knobs.append(NestedKnobs(label, info))
        stage = StageInfo(node, label, info, output=info.root.output or info.signature.output)  # what it hands on
        if incoming is not None:
            fed = self._destructure(incoming, [n for n, _ in info.signature.inputs], node, sym.name)
            for name, t in (fed or {}).items():
                expected = dict(info.signature.inputs)[name]
                self._assign(incoming, t, expected, name, sym.name, node, None)
            stage.fed = tuple(fed or ())
        return stage, info.signature

    def _with_knobs(self, info: CompositeInfo, sym: Symbol, node: A.StageRef) -> CompositeInfo | None:
        """`top3(sort_list.n=5)`: the composite with those knobs fixed or narrowed, checked
        afresh (its signature and knobs follow), as if its definition said `sort_list(n=5)`."""
        pushed: dict[str, list[A.ParamArg]] = {}
        if self._set_twice(node, sym.name):
            return None
        for arg in node.args:
            name = ".".join(arg.name)
            knob = info.knob(name)
            if knob is None:
                self.diags.append(error("E0307", f"composite `{sym.name}` has no knob `{name}`", arg.span,
                                        did_you_mean(name, S.near_knobs(info, name)), "its knobs: " + S.knob_listing(info)))
                return None
            lo = constant_value(arg.lo)
            hi = lo if arg.hi is None else constant_value(arg.hi)
            param = self.envs[knob.env].params[knob.param]
            why = S.value_problem(param, knob.range, lo, hi, arg.hi is not None)
            if why is not None:  # checked here, against the knob: the definition must not be rechecked with it
                self.diags.append(error("E0308", f"knob `{name}` of `{sym.name}` {why}", arg.span))
                return None
            stage, _, rest = name.partition(".")
            pushed.setdefault(stage, []).append(A.ParamArg(tuple(rest.split(".")), arg.lo, arg.hi, span=arg.span))
        refs = S.labelled_refs(info.root)
        body = S.with_args(info.decl.body, {id(refs[stage]): args for stage, args in pushed.items()})
        name = print_comp(A.StageRef((info.decl.name,), node.args, None, True))  # `top3(sort_list.n=5)`
        return self.composite(A.ComposeDecl(name, info.decl.doc, body, span=info.decl.span), info.module)

    def _base(self, env: EnvInfo, node: A.StageRef, incoming: Incoming | None,
              walk: _Walk) -> tuple[StageInfo, Signature]:
        label = walk.label(env.name)
        ranges = {n: p.range for n, p in env.params.items() if p.range is not None}
        fixed = self._fix_params(env, node, ranges)
        if incoming and node.port is not None and any(d.name == node.port for d in env.draws):
            self.diags.append(error("E0333", f"`{node.port}` is a draw of `{env.name}`: no stage can feed it",
                                    node.span, "feed one of its inputs: " + ", ".join(i.name for i in env.inputs),
                                    "a draw is sampled by the env itself and is not part of its signature"))
            incoming = None
        fed = self._destructure(incoming, [i.name for i in env.inputs], node, env.name) if incoming else {}
        fed = fed or {}
        inferred = infer_exact_lengths(env, fed, ranges)
        points = {n for n, r in fixed.items() if r.lo == r.hi}
        free = [n for n in env.params if n not in points and n not in inferred]
        narrow = frozenset(n for n in free if n in ranges)
        ctx = TypeContext(env.module, ranges, narrow, None)
        for name, t in fed.items():
            given = env.input(name)
            expected = given.type if name in env.shaped else resolve_type(given.texpr, ctx)
            if incoming is not None:
                self._assign(incoming, t, expected, name, env.name, node, (env, ranges, free))
        self._symbolic(env, list(fed), node)
        out_ctx = TypeContext(env.module, ranges, frozenset(), None)
        output = resolve_type(env.output_texpr, out_ctx) if env.output_texpr else T.TAny()
        handed_on = self.flow.handed_on(env, output, fed, ranges, fixed)  # narrowed by what `solve` makes of `fed`
        for n in free:
            p = env.params[n]
            walk.knobs.append(Knob(f"{label}.{n}", env.qualname, n, ranges.get(n, p.range)))
        recv = TypeContext(env.module, ranges, frozenset(n for n in narrow if not exact_len_param(env, n)), None)
        inputs = tuple((i.name, i.type if i.name in env.shaped else resolve_type(i.texpr, recv)) for i in env.inputs)
        stage = StageInfo(node, label, env, fixed, tuple(fed), tuple(sorted(inferred)), output=handed_on)
        self.producers[id(stage)] = Producer(env, node, ranges, free)
        return stage, Signature(inputs, output, env.exact, True)

    def _symbolic(self, env: EnvInfo, names: list[str], node: A.StageRef) -> None:
        """A fed input is described by words ("the list you obtained in step 1"): its
        template may print it (`{{ xs }}`, or through a runtime filter such as
        `{{ xs | json }}`), but not index it, read its fields or loop over it (E0405)."""
        clause = env.decl.first(A.StepClause) or env.decl.first(A.PromptClause)
        if clause is None or not names:
            return
        text = template_source(clause.template).text
        tags = _TAG.findall(text)
        for name in names:
            word = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
            plain = re.compile(rf"\{{\{{-?\s*{re.escape(name)}\s*(\|\s*({_FILTERS})\s*)?-?\}}\}}")
            bad = [t for t in tags if word.search(t) and not plain.fullmatch(t)]
            if bad:
                self.diags.append(error(
                    "E0405", f"`{env.name}` uses its input `{name}` as `{bad[0][:60]}`, so it cannot describe a "
                    "value it receives from an earlier step", clause.template.span,
                    f"give it a `step` template that prints `{name}` whole: `{{{{ {name} }}}}` or "
                    f"`{{{{ {name} | json }}}}`",
                    f"`{env.name}` receives `{name}` at {node.span}"))
        self.diags.extend(fed_let_errors(env, names, tags, clause.template.span, node.span))

    def _fix_params(self, env: EnvInfo, node: A.StageRef, ranges: dict[str, T.Interval]) -> dict[str, T.Interval]:
        fixed: dict[str, T.Interval] = {}
        twice = self._set_twice(node, env.name)
        for arg in node.args:
            pname = ".".join(arg.name)
            if twice and pname in fixed:  # reported (E0319): the first value holds
                continue
            p = env.params.get(pname)
            if p is None:
                self.diags.append(error("E0307", f"env `{env.name}` has no param `{pname}`", arg.span,
                                        did_you_mean(pname, list(env.params)),
                                        "its params: " + (", ".join(env.params) or "none")))
                continue
            lo = constant_value(arg.lo)
            hi = constant_value(arg.hi) if arg.hi is not None else lo
            why = S.value_problem(p, p.range, lo, hi, arg.hi is not None)
            if why is not None:
                note = None if p.range is None else f"its default is {p.default}"
                self.diags.append(error("E0308", f"param `{pname}` of `{env.name}` {why}", arg.span, None,
                                        *([note] if note else [])))
                continue
            fixed[pname] = T.Interval(lo, hi)  # a Bool or Enum value is fixed as a one-point "interval"
            if p.range is not None:
                ranges[pname] = fixed[pname]
        return fixed

    def _set_twice(self, node: A.StageRef, name: str) -> bool:
        """`sort_list(n=5, n=6)`: the last would silently win, so it is an error (E0319)."""
        seen: dict[tuple[str, ...], A.ParamArg] = {}
        for arg in node.args:
            if arg.name in seen:
                self.diags.append(error("E0319", f"`{'.'.join(arg.name)}` is set twice at `{name}`", arg.span,
                                        S.set_twice_help(seen[arg.name], arg)))
                return True
            seen[arg.name] = arg
        return False

    def _destructure(self, incoming: Incoming, inputs: list[str], node: A.StageRef,
                     name: str) -> dict[str, T.TType] | None:
        t = incoming.type
        if node.port is not None:
            if node.port not in inputs:
                self.diags.append(error("E0312", f"`{name}` has no input `{node.port}`", node.span,
                                        did_you_mean(node.port, inputs), "its inputs: " + ", ".join(inputs)))
                return None
            return {node.port: t}
        if len(inputs) == 1:
            return {inputs[0]: t}
        if isinstance(t, T.TAny):
            return dict.fromkeys(inputs, t)
        if isinstance(t, T.TRecord):
            missing = [n for n in inputs if t.field(n) is None]
            if not missing:
                return {n: t.field(n) for n in inputs}
            why = f"the incoming record {T.show(t)} has no field `{missing[0]}`"
        elif isinstance(t, T.TTuple) and len(t.items) == len(inputs):
            return dict(zip(inputs, t.items, strict=True))
        elif isinstance(t, T.TTuple):
            why = f"the incoming tuple has {len(t.items)} items"
        else:
            why = f"it receives a single value ({T.show(t)})"
        self.diags.append(error("E0311", f"`{name}` has {len(inputs)} inputs ({', '.join(inputs)}) but {why}",
                                node.span, f"feed one input with `{name}[{inputs[0]}]`; the others are sampled"))
        return None

    def _assign(self, incoming: Incoming, t: T.TType, expected: T.TType, input_name: str, env_name: str,
                node: A.StageRef, consumer: tuple | None) -> None:
        why = T.mismatch(t, expected)
        if why is None:
            return
        helps = [h for h in (suggest_producer(incoming.producer, expected),
                             suggest_consumer(consumer, node, input_name, t)) if h]
        self.diags.append(error(
            "E0310", f"{incoming.source} ({T.show(t)}) is not assignable to input `{input_name}` of "
                     f"`{env_name}` ({T.show(expected)})", node.span,
            helps[0] if helps else None, *([why] + [f"or {h}" for h in helps[1:]])))

    # ---------------------------------------------------------- operators

    def _op(self, node: A.OpExpr, scope: ModuleScope, incoming: Incoming | None,
            walk: _Walk) -> tuple[StageInfo, Signature | None]:
        self._options(node)
        stage = StageInfo(node, node.op, None)
        if len(node.stages) < MIN_STAGES[node.op]:
            self.diags.append(error("E0309", f"`{node.op}` needs at least {MIN_STAGES[node.op]} stages, "
                                    f"got {len(node.stages)}", node.span,
                                    "a single env is already an environment: use it directly"))
            return stage, None
        if node.op == "par":
            return self._par(node, scope, incoming, walk, stage)
        sigs: list[Signature | None] = []
        current = incoming
        for i, sub in enumerate(node.stages):
            child, sig = self._stage(sub, scope, current, walk)
            stage.children.append(child)
            sigs.append(sig)
            last = i == len(node.stages) - 1
            if sig is None:
                current = Incoming(T.TAny(), "the previous stage")
                continue
            if not sig.can_feed:
                self._nested_select(child, node, sub)
            elif not last and not sig.exact:
                self.diags.append(error("E0313", f"`{child.label}` has a non-exact verifier, so its answer "
                                        "does not determine the next stage's input", sub.span,
                                        f"make `{child.label}` the last stage of `{node.op}`"))
            current = Incoming(child.output or sig.output, f"output of `{child.label}`", self.producers.get(id(child)))
        if node.op == "select":
            self._select_pool(node, scope, walk, stage)
        if any(s is None for s in sigs):
            return stage, None
        first, final = sigs[0], sigs[-1]
        if node.op == "select":
            return stage, Signature(first.inputs, T.TAny(), False, False)
        stage.output = stage.children[-1].output  # only a select answers with a plan, and it cannot be nested
        return stage, Signature(first.inputs, final.output, final.exact, True)

    def _par(self, node: A.OpExpr, scope: ModuleScope, incoming: Incoming | None, walk: _Walk,
             stage: StageInfo) -> tuple[StageInfo, Signature | None]:
        parts: list[Incoming | None] = [None] * len(node.stages)
        if incoming is not None:
            t = incoming.type
            if isinstance(t, T.TTuple) and len(t.items) == len(node.stages):
                parts = [Incoming(x, f"item {i} of {incoming.source}") for i, x in enumerate(t.items)]
            elif isinstance(t, T.TAny):
                parts = [Incoming(t, incoming.source)] * len(node.stages)
            else:
                self.diags.append(error("E0311", f"`par` of {len(node.stages)} parts needs a tuple of "
                                        f"{len(node.stages)} items, but receives {T.show(t)}", node.span))
        sigs = []
        for sub, part_in in zip(node.stages, parts, strict=True):
            child, sig = self._stage(sub, scope, part_in, walk)
            stage.children.append(child)
            sigs.append(sig)
            if sig is not None and not sig.can_feed:
                self._nested_select(child, node, sub)
        if any(s is None for s in sigs):
            return stage, None
        inputs = tuple((str(i), _input_type(s)) for i, s in enumerate(sigs))
        output = T.TTuple(tuple(s.output for s in sigs))
        if problem := too_large(output) or too_large(T.TRecord(inputs)):  # printing writes shared parts out
            self.diags.append(error("E0321", f"this `par`'s type {problem}", node.span,
                                    "a `par` of `par`s doubles its type at every level"))
            return stage, None
        stage.output = T.TTuple(tuple(c.output or s.output for c, s in zip(stage.children, sigs, strict=True)))
        return stage, Signature(inputs, output, all(s.exact for s in sigs), True)

    def _nested_select(self, child: StageInfo, node: A.OpExpr, sub: A.CompExpr) -> None:
        what = "a `select`" if child.label == "select" else f"`{child.label}` is a `select`: it"
        self.diags.append(error("E0314", f"{what} answers with a plan, not a value, so it cannot be a stage "
                                f"of `{node.op}`", sub.span,
                                "use the select on its own (it can only be the outermost operator); to chain its "
                                "stages inside another operator, write them as a seq or a sort"))

    def _select_pool(self, node: A.OpExpr, scope: ModuleScope, walk: _Walk, stage: StageInfo) -> None:
        pool = len(node.stages) + len(node.distractors)
        if pool > SELECT_POOL:
            self.diags.append(error("E0316", f"`select` offers {pool} steps; at most {SELECT_POOL} are allowed",
                                    node.span, "drop some distractors"))
        for ref in [node.stages[0], *node.distractors]:  # every pool step acts on "the current value"
            sym = scope.lookup(ref.name) if isinstance(ref, A.StageRef) else None
            if sym is not None and sym.kind == "env":
                env = self.envs[sym.qualname]
                self._symbolic(env, [ref.port or env.inputs[0].name], ref)
        for d in node.distractors:
            child, _ = self._stage(d, scope, None, _Walk())  # distractors add no knobs
            stage.distractors.append(child)
        for sub, child in [*zip(node.stages, stage.children, strict=False),
                           *zip(node.distractors, stage.distractors, strict=True)]:
            if child.target is not None and not isinstance(child.target, EnvInfo) or isinstance(sub, A.OpExpr):
                what = f"this `{child.label}`" if isinstance(sub, A.OpExpr) else f"`{child.label}`"
                self.diags.append(error("E0318", f"{what} is a composite; a `select` pool holds base "
                                        "environments only", sub.span,
                                        "list its stages in the select instead, or pick another env"))

    def _options(self, node: A.OpExpr) -> None:
        allowed = REWARDS[node.op]
        accepts = f"`{node.op}` accepts `reward=` " + " or ".join(allowed) if allowed else f"`{node.op}` takes no options"
        for opt in node.options:
            if opt.name != "reward" or not allowed:
                self.diags.append(error("E0315", f"`{node.op}` has no option `{opt.name}`", opt.span, accepts))
            elif opt.value not in allowed:
                self.diags.append(error("E0315", f"unknown reward `{opt.value}` for `{node.op}`", opt.span,
                                        did_you_mean(opt.value, allowed) or accepts))


def _input_type(sig: Signature) -> T.TType:
    if len(sig.inputs) == 1:
        return sig.inputs[0][1]
    return T.TRecord(sig.inputs)

