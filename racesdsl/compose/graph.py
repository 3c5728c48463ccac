"""The fusion graph of a checked program: which base envs can follow which.

An edge A -> B means `compose _ = seq(A, B)` is legal: A's output, widened over
A's params, is assignable to B's input under the rules of docs/language.md §3
(B's exact-length params are inferred, its other params must accept every
value). The decision is made by the real fusion checker
(`racesdsl.check.fusion.FusionChecker`) on a synthetic `seq(A, B)` node, never
by a re-implementation of assignability.

Every ordered pair is checked on its own; the checker's `help:` search for a
narrowed param (the costly part of a failing check) is skipped, so a 128 x 128
program takes about two seconds.

Self-loops (`seq(A, A)`, e.g. `seq(sort_list, sort_list)`) are legal
compositions too, but they say nothing about how envs connect, so they are
counted apart (`self_loops`) and left out of `edges` and of the coverage.

Links (`seq_links`) widen the graph the way a spec author would: when the plain
`seq(A, B)` fails, fix A's and/or B's params at their defaults, and, for a B
with several inputs, feed just one of them (`seq(num_divisors, gcd2(hi=100)[a])`:
the other inputs are sampled). `racesdsl enumerate` searches over links.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from racesdsl.check import fusion
from racesdsl.check.flow import Flow
from racesdsl.check.fusion import FusionChecker
from racesdsl.check.resolve import ModuleScope, Symbol
from racesdsl.ir import EnvInfo, Program
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A

__all__ = ["Link", "default_args", "seq_edges", "seq_links", "self_loops", "graph_stats", "to_dot", "module_of",
           "expression_only", "summary"]

Edge = tuple[str, str]


@dataclass(frozen=True)
class Link:
    """How `seq(a, b)` is legal: with a's / b's params fixed at their defaults or free,
    and the input of b that a feeds (None: the whole of b's input)."""

    a: str
    b: str
    fix_a: bool = False
    fix_b: bool = False
    port: str | None = None

    @property
    def plain(self) -> bool:
        """Legal as written, `seq(a, b)`: a seq edge."""
        return not (self.fix_a or self.fix_b or self.port)


def default_args(env: EnvInfo) -> tuple[A.ParamArg, ...]:
    """`p=default` for every param of `env`, as stage-reference arguments."""
    def literal(v: object) -> A.Expr:
        if isinstance(v, bool):
            return A.BoolLit(v)
        if isinstance(v, int):
            return A.IntLit(v) if v >= 0 else A.UnaryOp("-", A.IntLit(-v))
        if isinstance(v, float):
            return A.FloatLit(v) if v >= 0 else A.UnaryOp("-", A.FloatLit(-v))
        return A.StrLit(str(v))

    return tuple(A.ParamArg((p.name,), literal(p.default)) for p in env.params.values())


def stage_ref(env: EnvInfo, name: tuple[str, ...], fixed: bool = False, port: str | None = None) -> A.StageRef:
    """`name`, `name(p=default, ...)`, with `[port]` when given."""
    args = default_args(env) if fixed else ()
    return A.StageRef(name, args, port, bool(args))


def module_of(qualname: str) -> str:
    """`lists.sort_list` -> `lists`."""
    return qualname.rsplit(".", 1)[0]


def expression_only(env: EnvInfo) -> bool:
    """Whether the env's reference solver is an expression (not `solve python ...`)."""
    solve = env.decl.first(A.SolveClause)
    return solve is not None and not isinstance(solve.body, A.PythonRef)


class _DecidingChecker(FusionChecker):
    """The fusion checker, minus the `help:` search of a failed assignment.

    When a value does not fit an input, the stock checker searches param ranges
    for a narrowing to suggest, which is most of its cost on a failing pair.
    The decision is the same `mismatch` test; only the suggestion is skipped."""

    def _assign(self, incoming: fusion.Incoming, t: Any, expected: Any, input_name: str, env_name: str,
                node: A.StageRef, consumer: tuple | None) -> None:
        # `fusion.T` is the types module the checker itself decides with.
        if fusion.T.mismatch(t, expected) is not None:
            self.diags.append(fusion.error("E0310", f"`{env_name}` cannot take {incoming.source} "
                                           f"as input `{input_name}`", node.span))


class _HeadFlow(Flow):
    """Type flow for `seq(A, B)` pairs: only A's handed-on type is read (B's feeds nothing),
    so B, the stage fed, hands on its declared output without inferring it."""

    def handed_on(self, env: EnvInfo, declared: T.TType, fed: Any, ranges: Any, fixed: Any) -> T.TType:
        return declared if fed else super().handed_on(env, declared, fed, ranges, fixed)


class _PairChecker:
    """Runs the fusion checker on `seq(A, B)` for base envs of one program."""

    def __init__(self, program: Program) -> None:
        self.envs = program.envs
        # A scope in which every env is visible under its qualified name (one name part).
        self.scope = ModuleScope("__fusion_graph__", Path("."), "<fusion graph>", None)
        for qual, env in self.envs.items():
            self.scope.own[qual] = Symbol("env", env.name, env.module, env.decl)
        self.count = 0
        self.flow = _HeadFlow()  # each env's handed-on type is inferred once for all its pairs

    def legal(self, a: str, b: str) -> bool:
        """Whether `seq(a, b)` checks without an error."""
        ins = _receiving(self.envs[b]).inputs
        if len(ins) == 1 and not kinds_fit(self.envs[a].output, ins[0].type):
            return False  # decided without the checker: most pairs, and the cheapest way
        return self._checks(A.StageRef((a,)), A.StageRef((b,)))

    def link(self, a: str, b: str) -> Link | None:
        """The first legal way to chain a into b, in this order: as written, b's params
        fixed, a's, both; then (b with several inputs) the same for each input as the port."""
        for link in self._ways(a, b):
            ref_a = stage_ref(self.envs[a], (a,), link.fix_a)
            if self._checks(ref_a, stage_ref(self.envs[b], (b,), link.fix_b, link.port)):
                return link
        return None

    def _ways(self, a: str, b: str) -> Iterator[Link]:
        """Candidate links, skipping those whose kinds cannot fit whatever the params."""
        env_a, env_b = self.envs[a], _receiving(self.envs[b])
        fix = [(False, False)]
        fix += [(False, True)] if env_b.params else []
        fix += [(True, False)] if env_a.params else []
        fix += [(True, True)] if env_a.params and env_b.params else []
        ports: list[str | None] = []
        if len(env_b.inputs) != 1 or kinds_fit(env_a.output, env_b.inputs[0].type):
            ports.append(None)
        if len(env_b.inputs) > 1:
            ports += [i.name for i in env_b.inputs if kinds_fit(env_a.output, i.type)]
        for port in ports:
            for fix_a, fix_b in fix:
                yield Link(a, b, fix_a, fix_b, port)

    def _checks(self, ref_a: A.StageRef, ref_b: A.StageRef) -> bool:
        diags: list = []
        checker = _DecidingChecker(self.envs, diags, self.flow)
        self.count += 1
        decl = A.ComposeDecl(f"_edge_{self.count}", None, A.OpExpr("seq", (ref_a, ref_b)))
        info = checker.composite(decl, self.scope)
        return info is not None and not any(d.is_error for d in diags)


def _receiving(env: EnvInfo) -> EnvInfo:
    """What an env accepts when fed: a generic env's inputs with its type parameters open
    (they fit any kind; the checker then instantiates them)."""
    return env.generic.shape if env.generic is not None and env.generic.shape is not None else env


def kinds_fit(s: T.TType, t: T.TType) -> bool:
    """Whether `s <: t` could hold for some intervals and lengths: the same constructors,
    Int into Float, Enum into Str (fixing params changes bounds, never kinds)."""
    match s, t:
        case (T.TAny(), _) | (_, T.TAny()) | ((T.TInt() | T.TFloat()), T.TFloat()) | (T.TInt(), T.TInt()):
            return True
        case (T.TBool(), T.TBool()) | ((T.TStr() | T.TEnum()), T.TStr()) | (T.TEnum(), T.TEnum()):
            return True
        case (T.TList(x), T.TList(y)) | (T.TSet(x), T.TSet(y)):
            return kinds_fit(x, y)
        case T.TTuple(xs), T.TTuple(ys):
            return len(xs) == len(ys) and all(map(kinds_fit, xs, ys))
        case T.TMap(k, v), T.TMap(kk, vv):
            return kinds_fit(k, kk) and kinds_fit(v, vv)
        case (T.TOptional(x), T.TOptional(y)) | (x, T.TOptional(y)):
            return kinds_fit(x, y)
        case T.TRecord(), T.TRecord():
            return sorted(s.names) == sorted(t.names) and all(kinds_fit(s.field(n), ft) for n, ft in t.fields)
    return False


def seq_edges(program: Program, *, include_self: bool = False) -> list[Edge]:
    """Every ordered pair (A, B) of base envs with `seq(A, B)` legal, sorted.

    Self-loops (A == B) are left out unless `include_self` is true."""
    checker = _PairChecker(program)
    names = sorted(program.envs)
    return [(a, b) for a in names for b in names if (include_self or a != b) and checker.legal(a, b)]


def seq_links(program: Program, firsts: Sequence[str] | None = None) -> list[Link]:
    """The legal links (A != B) from each of `firsts` (default: every env), sorted by (A, B)."""
    checker = _PairChecker(program)
    names = sorted(program.envs)
    return [link for a in (names if firsts is None else firsts) for b in names
            if a != b and (link := checker.link(a, b)) is not None]


def self_loops(program: Program) -> list[str]:
    """The envs A for which `seq(A, A)` is legal, sorted."""
    checker = _PairChecker(program)
    return [a for a in sorted(program.envs) if checker.legal(a, a)]


def graph_stats(program: Program, edges: Sequence[Edge] | None = None,
                links: Sequence[Link] | None = None) -> dict[str, Any]:
    """Summary of the fusion graph.

    Keys: `envs`, `modules`, `expression_only` (envs whose solver is an
    expression), `edges` (A != B), `self_loops`, `envs_with_in_and_out`,
    `coverage` (that count over `envs`), `per_module` (envs per module),
    `no_in` / `no_out` (envs without an in- / out-edge); `links`,
    `link_coverage`, `no_in_link` / `no_out_link`, the same over `seq_links`; `generic`,
    the generic envs (links reach them through instantiation)."""
    all_links = seq_links(program) if links is None else list(links)
    linked_in, linked_out = {lk.b for lk in all_links}, {lk.a for lk in all_links}
    all_edges = seq_edges(program, include_self=True) if edges is None else list(edges)
    loops = [a for a, b in all_edges if a == b]
    plain = [(a, b) for a, b in all_edges if a != b]
    names = sorted(program.envs)
    has_in = {b for _, b in plain}
    has_out = {a for a, _ in plain}
    both = [n for n in names if n in has_in and n in has_out]
    per_module: dict[str, int] = defaultdict(int)
    for n in names:
        per_module[module_of(n)] += 1
    return {
        "envs": len(names),
        "modules": len(per_module),
        "expression_only": sum(expression_only(program.envs[n]) for n in names),
        "edges": len(plain),
        "self_loops": len(loops),
        "envs_with_in_and_out": len(both),
        "coverage": len(both) / len(names) if names else 0.0,
        "per_module": dict(sorted(per_module.items())),
        "no_in": [n for n in names if n not in has_in],
        "no_out": [n for n in names if n not in has_out],
        "links": len(all_links),
        "link_coverage": sum(n in linked_in and n in linked_out for n in names) / len(names) if names else 0.0,
        "no_in_link": [n for n in names if n not in linked_in],
        "no_out_link": [n for n in names if n not in linked_out],
        "generic": [n for n in names if program.envs[n].generic is not None],
    }


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(program: Program, edges: Sequence[Edge]) -> str:
    """A deterministic Graphviz digraph: one cluster per module, nodes and edges sorted.

    Self-loops in `edges` are drawn as well; pass the edges you want to see."""
    by_module: dict[str, list[str]] = defaultdict(list)
    for qual in sorted(program.envs):
        by_module[module_of(qual)].append(qual)
    lines = ["digraph fusion {", "    rankdir=LR;", "    node [shape=box, fontsize=10];"]
    for i, (module, quals) in enumerate(sorted(by_module.items())):
        lines.append(f"    subgraph cluster_{i} {{")
        lines.append(f"        label={_quote(module)};")
        for q in quals:
            lines.append(f"        {_quote(q)} [label={_quote(q.rsplit('.', 1)[1] + generic_mark(program.envs[q]))}];")
        lines.append("    }")
    for a, b in sorted(set(edges)):
        lines.append(f"    {_quote(a)} -> {_quote(b)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def generic_mark(env: EnvInfo) -> str:
    """`[T: Ord]` after a generic env's name in the graph, nothing for a plain one."""
    if env.generic is None:
        return ""
    return "[" + ", ".join(f"{p.name}: {p.bound}" for p in env.generic.params) + "]"


def summary(stats: dict[str, Any]) -> str:
    """The statistics as a few lines for people."""
    lines = [
        f"{stats['envs']} envs in {stats['modules']} modules ({stats['expression_only']} expression-only)",
        f"{stats['edges']} seq edges (+ {stats['self_loops']} self-loops)",
        f"{stats['envs_with_in_and_out']} envs with an in- and an out-edge (coverage {stats['coverage']:.0%})",
        f"{stats['links']} links when params may be fixed at their defaults or one input fed "
        f"(coverage {stats['link_coverage']:.0%})",
    ]
    if stats.get("generic"):
        lines.append(f"{len(stats['generic'])} generic envs (marked [T] in the graph): "
                     + ", ".join(n.rsplit(".", 1)[-1] for n in stats["generic"]))
    for key, label in (("no_in_link", "no in-link"), ("no_out_link", "no out-link")):  # even links miss these
        if stats[key]:
            lines.append(f"{label}: " + ", ".join(stats[key]))
    return "\n".join(lines) + "\n"
