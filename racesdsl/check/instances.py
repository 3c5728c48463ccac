"""Generic envs at stage references (docs/language.md §4 "Type parameters"): which
instance a reference stands for, from its type arguments, the value it receives or
the defaults, and the table of instances a fusion check builds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from racesdsl.check.generics import BOUND_HELP, instantiate, satisfies, unify
from racesdsl.check.resolve import ModuleScope
from racesdsl.check.typeexpr import TypeContext, resolve_type
from racesdsl.diagnostics import Diagnostic, error
from racesdsl.ir import EnvInfo
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_type


def _fed(decl: A.EnvDecl, node: A.StageRef, t: T.TType) -> list[tuple[A.TypeExpr, T.TType]]:
    """The written input types a stage's incoming value meets (as the fusion checker feeds them)."""
    inputs = decl.inputs
    if node.port is not None:
        return [(i.type, t) for i in inputs if i.name == node.port]
    if len(inputs) == 1:
        return [(inputs[0].type, t)]
    if isinstance(t, T.TRecord):
        return [(i.type, t.field(i.name)) for i in inputs if t.field(i.name) is not None]
    if isinstance(t, T.TTuple) and len(t.items) == len(inputs):
        return [(i.type, x) for i, x in zip(inputs, t.items, strict=True)]
    return []


def stage_instance(env: EnvInfo, node: A.StageRef, incoming: T.TType | None, scope: ModuleScope,
                   diags: list[Diagnostic], cache: dict) -> EnvInfo | None:
    """The env a stage reference stands for: a plain env itself; a generic one instantiated
    by its type arguments, else by unifying its inputs with the incoming value, else at its
    defaults. None when that fails (reported: E0322, E0324, E0326, E0327)."""
    g = env.generic
    if g is None or not g.params:
        if node.type_args:
            diags.append(error("E0327", f"`{env.name}` is not generic, so it takes no type arguments", node.span,
                               f"remove the `[...]` after `{env.name}`"))
        return env
    if node.type_args:
        if len(node.type_args) != len(g.params):
            diags.append(error("E0327", f"`{env.name}` has {len(g.params)} type parameter"
                               f"{'s' * (len(g.params) != 1)} ({', '.join(p.name for p in g.params)}) "
                               f"but is given {len(node.type_args)}", node.span,
                               f"write one type per parameter: `{env.name}[{', '.join(p.name for p in g.params)}]`"))
            return None
        ctx = TypeContext(scope, {}, frozenset(), diags)
        args = [resolve_type(t, ctx) for t in node.type_args]
        source = "is given"
    else:
        args = _inferred(env, node, incoming, diags, cache)
        if args is None:
            return None
        if args == list(env.type_args):
            return env
        source = "receives"
    problem = _bound_problem(env, node, args, source)
    if problem is not None:
        diags.append(problem)
        return None
    key = (env.qualname, tuple(args))
    if key not in cache:
        scratch: list[Diagnostic] = []
        inst = instantiate(env, tuple(args), scratch)
        problem = next((d for d in scratch if d.is_error), None)
        if inst is None or problem is not None:
            shown = ", ".join(f"{p.name} = {T.show(a)}" for p, a in zip(g.params, args, strict=True))
            diags.append(error("E0322", f"`{env.name}` does not check with {shown}", node.span,
                               "pass types its body accepts",
                               problem.message if problem is not None else "an argument is an unknown type"))
            inst = None
        cache[key] = inst
    return cache[key]


def _inferred(env: EnvInfo, node: A.StageRef, incoming: T.TType | None, diags: list[Diagnostic],
              cache: dict) -> list[T.TType] | None:
    """The type arguments the incoming value gives. An env with defaults that the value does
    not fit as a generic input is used at its defaults, so the mismatch is the v0.1 E0310
    that every spec written before generics keeps; without defaults it is E0324."""
    g = env.generic
    assert g is not None
    found: dict[str, T.TType] = {}
    names = frozenset(p.name for p in g.params)
    why = None
    for texpr, t in _fed(g.decl, node, incoming) if incoming is not None else []:
        why = why or unify(texpr, t, names, found)
        if why is not None:
            break
    args = [found.get(p.name, p.default) for p in g.params]
    if g.samplable and (why is not None or _bound_problem(env, node, args, "") is not None
                        or _instance_problem(env, args, cache)):
        return list(env.type_args)
    if why is not None:
        diags.append(error("E0324", f"`{env.name}` cannot take {T.show(t)} as {print_type(texpr)}: {why}",
                           node.span, f"feed `{env.name}` a value of the shape {print_type(texpr)}, "
                           f"or give its type arguments: `{env.name}[...]`"))
        return None
    missing = [p.name for p, a in zip(g.params, args, strict=True) if a is None]
    if missing:
        diags.append(error("E0326", f"nothing tells what `{missing[0]}` of `{env.name}` is: it has no default "
                           "and this stage receives no value", node.span,
                           f"instantiate it, e.g. `{env.name}[Int[0..9]]`, or give `{missing[0]}` a default"))
        return None
    return args


def _bound_problem(env: EnvInfo, node: A.StageRef, args: list[T.TType], source: str) -> Diagnostic | None:
    for p, a in zip(env.generic.params, args, strict=True):
        if not satisfies(a, p.bound):
            return error("E0322", f"type parameter `{p.name}` of `{env.name}` is {p.bound}, but it {source} "
                         f"{T.show(a)}", node.span, f"{p.bound} allows {BOUND_HELP[p.bound]}: pass such a type",
                         f"`{p.name}` is declared at {p.decl.span}")
    return None


def _instance_problem(env: EnvInfo, args: list[T.TType], cache: dict) -> bool:
    """Whether `env` fails to check at `args` (the instance, if it checks, is kept)."""
    key = (env.qualname, tuple(args))
    if key not in cache:
        scratch: list[Diagnostic] = []
        inst = instantiate(env, tuple(args), scratch)
        if inst is None or any(d.is_error for d in scratch):
            return True
        cache[key] = inst
    return cache[key] is None


class InstanceTable(Mapping):
    """The instances a fusion checker built, by qualified name (knobs name their env so)."""

    def __init__(self, cache: dict[tuple, EnvInfo | None]) -> None:
        self.cache = cache
        self._index: dict[str, EnvInfo] = {}
        self._seen = 0  # entries of `cache` indexed so far

    def _by_name(self) -> dict[str, EnvInfo]:
        """The index, brought up to date: the cache only grows and never rebinds a key, so the
        new entries are the last ones (a lookup costs no scan of every instance built)."""
        if len(self.cache) != self._seen:
            for e in list(self.cache.values())[self._seen:]:
                if e is not None:
                    self._index[e.qualname] = e
            self._seen = len(self.cache)
        return self._index

    def __getitem__(self, name: str) -> EnvInfo:
        return self._by_name()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name())

    def __len__(self) -> int:
        return len(self._by_name())
