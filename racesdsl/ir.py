"""The typed, resolved program every back end consumes.

Produced by `racesdsl.check`; the runtime and code generator read it and
never look at raw syntax again except through the AST nodes kept here for
spans, expressions and templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from racesdsl.runtime.types import Interval, TType
from racesdsl.syntax import ast as A


@dataclass(frozen=True)
class ParamInfo:
    """A difficulty knob: `kind` is int | float | bool | enum; `range` is the
    widened numeric range (None for bool/enum)."""

    name: str
    kind: str
    type: TType
    range: Interval | None
    default: object
    decl: A.ParamClause


@dataclass(frozen=True)
class InputInfo:
    name: str
    texpr: A.TypeExpr
    type: TType  # widened over the params' ranges


@dataclass(eq=False)
class EnvInfo:
    """A checked base environment."""

    qualname: str
    decl: A.EnvDecl
    module: object  # racesdsl.check.resolve.ModuleScope
    params: dict[str, ParamInfo]
    inputs: list[InputInfo]
    output_texpr: A.TypeExpr | None
    output: TType
    verify: str = "exact"
    answer: str = "tags"

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def exact(self) -> bool:
        """Only exact verifiers pin down a unique answer (docs §4)."""
        return self.verify == "exact"

    def input(self, name: str) -> InputInfo | None:
        return next((i for i in self.inputs if i.name == name), None)


@dataclass(frozen=True)
class Knob:
    """A free param of a composite, named `env.param` / `env#2.param`."""

    name: str
    env: str  # the env's qualified name: two modules may declare envs of the same name
    param: str
    range: Interval | None


@dataclass(frozen=True)
class Signature:
    """What a stage looks like from outside: receiving input types, producing output."""

    inputs: tuple[tuple[str, TType], ...]
    output: TType
    exact: bool = True
    can_feed: bool = True


@dataclass(eq=False)
class StageInfo:
    """One checked occurrence of an env or composite inside a composition."""

    ref: A.StageRef | A.OpExpr
    label: str
    target: EnvInfo | CompositeInfo | None
    fixed: dict[str, Interval] = field(default_factory=dict)
    fed: tuple[str, ...] = ()
    inferred: tuple[str, ...] = ()
    children: list[StageInfo] = field(default_factory=list)
    distractors: list[StageInfo] = field(default_factory=list)
    output: TType | None = None


@dataclass(eq=False)
class CompositeInfo:
    """A checked `compose` declaration."""

    qualname: str
    decl: A.ComposeDecl
    root: StageInfo
    signature: Signature
    knobs: list[Knob]
    module: object = None  # racesdsl.check.resolve.ModuleScope declaring it

    @property
    def name(self) -> str:
        return self.decl.name


@dataclass
class Program:
    """Every env and composite of the checked modules, by qualified name."""

    envs: dict[str, EnvInfo] = field(default_factory=dict)
    composites: dict[str, CompositeInfo] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)  # qualified names declared in the given files

    def __getitem__(self, name: str) -> EnvInfo | CompositeInfo:
        for table in (self.envs, self.composites):
            if name in table:
                return table[name]
        matches = [v for k, v in {**self.envs, **self.composites}.items()
                   if k.split(".")[-1] == name and k in self.roots]
        if len(matches) == 1:
            return matches[0]
        raise KeyError(name)
