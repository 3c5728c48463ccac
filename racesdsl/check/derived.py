"""Draws, lets and dependent shapes (docs/language.md §4, `let`, `draw`, "Types that
depend on earlier inputs"): what a type may read of the values sampled before it,
and the checked `let` clauses in declaration order."""

from __future__ import annotations

import re

from racesdsl.check.expr_names import free_names
from racesdsl.check.exprs import infer
from racesdsl.check.typeexpr import TypeContext, type_names
from racesdsl.diagnostics import Diagnostic, error
from racesdsl.ir import EnvInfo, LetInfo
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A

Sampled = A.InputClause | A.DrawClause


def sampled_clauses(decl: A.EnvDecl) -> list[Sampled]:
    """Inputs and draws in declaration order: a type may read the values declared before it."""
    return [c for c in decl.clauses if isinstance(c, (A.InputClause, A.DrawClause))]


class EarlierValues:
    """The inputs and draws resolved so far, as a type after them may read them:
    numbers by their range, sized values by their length (`len(xs)`)."""

    def __init__(self, decl: A.EnvDecl) -> None:
        self.order = [c.name for c in sampled_clauses(decl)]
        self.lets = [c.name for c in decl.clauses_of(A.LetClause)]
        self.ranges: dict[str, T.Interval] = {}
        self.lengths: dict[str, T.Interval] = {}
        self.blocked: dict[str, tuple[str, str, str | None]] = {}
        self.done: set[str] = set()
        for name in self.lets:
            self.blocked.setdefault(name, ("E0334", f"a type cannot read let `{name}`: lets are derived after "
                                                    "every input and draw is sampled", "write its formula in the bound"))

    def context(self, pctx: TypeContext, name: str) -> TypeContext:
        """The context of `name`'s type: the params plus every earlier input and draw."""
        blocked = dict(self.blocked)
        for later in self.order[self.order.index(name):]:
            if later not in self.done:
                blocked[later] = ("E0332", f"this type reads `{later}`, which is declared after it: a type may "
                                           "only read the inputs and draws declared before it",
                                  f"declare `{later}` before `{name}`")
        ctx = pctx.with_params({**pctx.params, **self.ranges}, report=True)
        ctx.lengths, ctx.blocked = dict(self.lengths), blocked
        return ctx

    def add(self, name: str, t: T.TType) -> None:
        self.done.add(name)
        if isinstance(t, (T.TInt, T.TFloat)) and not isinstance(t, T.TBool):
            self.ranges[name] = t.range
            self.blocked[name] = ("E0334", f"`len({name})` reads a number", f"use `{name}` itself")
        elif isinstance(t, (T.TList, T.TSet, T.TStr)):
            self.lengths[name] = t.length
            self.blocked[name] = ("E0334", f"`{name}` is {T.show(t)}, not a number", f"a bound may read `len({name})`")
        else:
            self.blocked[name] = ("E0334", f"a bound cannot read `{name}`, of type {T.show(t)}",
                                  "a bound reads numbers and the lengths of lists, sets and strings")

    def reads(self, clause: Sampled) -> bool:
        """Whether the clause's type reads an earlier input or draw (a dependent shape)."""
        return bool(type_names(clause.type) & set(self.order))


def check_lets(decl: A.EnvDecl, scope_types: dict[str, T.TType], taken: dict[str, str],
               diags: list[Diagnostic]) -> tuple[list[LetInfo], set[str]]:
    """Each let typed in turn, seeing the params, inputs, draws and the lets before it;
    `scope_types` grows by each. Returns the lets and the names they read."""
    lets: list[LetInfo] = []
    used: set[str] = set()
    later = [c.name for c in decl.clauses_of(A.LetClause)]
    for clause in decl.clauses_of(A.LetClause):
        later.remove(clause.name) if clause.name in later else None
        if clause.name in taken:
            diags.append(error("E0330", f"let `{clause.name}` has the name of {taken[clause.name]}", clause.span,
                               f"rename it, for example `{clause.name}2`"))
            continue
        names = free_names(clause.expr)
        used |= names
        early = sorted(n for n in names if n in later or n == clause.name)
        if early:
            diags.append(error("E0331", f"let `{clause.name}` reads `{early[0]}` before it is defined", clause.expr.span,
                               f"move `let {early[0]} = ...` above `let {clause.name} = ...`" if early[0] != clause.name
                               else "a let cannot read itself"))
            t: T.TType = T.TAny()
        else:
            t = infer(clause.expr, scope_types, diags)
        taken[clause.name] = f"let `{clause.name}`"
        scope_types[clause.name] = t
        lets.append(LetInfo(clause.name, clause.expr, t))
    return lets, used


def let_sources(lets: list[LetInfo]) -> dict[str, set[str]]:
    """What each let reads, through the lets it reads: a prompt showing `cipher` shows `text`."""
    out: dict[str, set[str]] = {}
    for let in lets:
        names = free_names(let.expr)
        out[let.name] = names.union(*(out[n] for n in names if n in out))
    return out


def fed_let_errors(env: EnvInfo, fed: list[str], tags: list[str], span: A.Span,
                   at: A.Span) -> list[Diagnostic]:
    """E0405 for a let computed from a fed input that the step text shows: the input is
    described by words ("the list you obtained in step 1"), its let would give away the value."""
    out = []
    for let, reads in let_sources(env.lets).items():
        source = next((n for n in fed if n in reads), None)
        word = re.compile(rf"(?<![\w.]){re.escape(let)}\b")
        if source is not None and any(word.search(t) for t in tags):
            out.append(error("E0405", f"`{env.name}` shows its let `{let}`, computed from `{source}`, so it cannot "
                             "describe a value it receives from an earlier step", span,
                             f"give it a `step` template that does not show `{let}`",
                             f"`{env.name}` receives `{source}` at {at}"))
    return out
