"""The typed, resolved program every back end consumes.

Produced by `racesdsl.check`; the runtime and code generator read it and
never look at raw syntax again except through the AST nodes kept here for
spans, expressions and templates."""

from __future__ import annotations

from collections.abc import Iterator
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
    dist: A.Distribution | None = None  # `~ ...`; None: uniform
    data: object = None  # check.data.DataInfo of `OneOf[name]`: drawn uniformly from its values


@dataclass(frozen=True)
class LetInfo:
    """`let NAME = EXPR` with the type inferred for it (intervals as for `solve`)."""

    name: str
    expr: A.Expr
    type: TType


@dataclass(frozen=True)
class TypeParamInfo:
    """A checked type parameter: `bound` is Any | Eq | Ord | Num; `default` None when
    the env can only be fed or instantiated."""

    name: str
    bound: str
    default: TType | None
    decl: A.TypeParam


@dataclass(eq=False)
class GenericInfo:
    """What makes an env generic: its declaration as written and its type parameters."""

    decl: A.EnvDecl
    params: tuple[TypeParamInfo, ...]
    shape: EnvInfo | None = None  # the env checked with its type parameters as unknown types

    @property
    def samplable(self) -> bool:
        """Only an env whose every type parameter has a default can stand alone."""
        return all(p.default is not None for p in self.params)


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
    draws: list[InputInfo] = field(default_factory=list)  # sampled, never fed: not in the signature
    lets: list[LetInfo] = field(default_factory=list)  # in declaration order
    shaped: frozenset[str] = frozenset()  # inputs and draws whose types read earlier inputs or draws
    generic: GenericInfo | None = None  # set on a generic env and on each of its instances
    type_args: tuple[TType, ...] = ()  # what this instance substitutes (the defaults when standalone)

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def key(self) -> str:
        """The env's name in its module's table: `take_first`, or an instance's `take_first@3f2a...`."""
        return self.qualname[len(self.module.name) + 1:]

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


@dataclass(frozen=True)
class NestedKnobs:
    """A named composite used as a stage: its knobs appear in ours as `label.knob`.
    Kept as a reference, not copied, so a chain of composites each using the
    previous one twice is checked in linear time although it has 2**n knobs."""

    label: str
    info: CompositeInfo


@dataclass(eq=False)
class CompositeInfo:
    """A checked `compose` declaration."""

    qualname: str
    decl: A.ComposeDecl
    root: StageInfo
    signature: Signature
    knob_parts: list[Knob | NestedKnobs]  # in stage order
    module: object = None  # racesdsl.check.resolve.ModuleScope declaring it

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def knobs(self) -> list[Knob]:
        """Every knob, flattened: as many as the composite has base stages, which
        nesting can make exponential in the text's size; prefer `knob()`/`iter_knobs()`."""
        return list(self.iter_knobs())

    def iter_knobs(self, prefix: str = "") -> Iterator[Knob]:
        for part in self.knob_parts:
            if isinstance(part, Knob):
                yield Knob(prefix + part.name, part.env, part.param, part.range) if prefix else part
            else:
                yield from part.info.iter_knobs(f"{prefix}{part.label}.")

    def knob(self, name: str) -> Knob | None:
        """The knob called `name` (`pair.gcd2#2.hi`), found in time linear in the nesting depth."""
        info, prefix = self, ""
        while True:
            rest = name[len(prefix):]
            own = next((k for k in info.knob_parts if isinstance(k, Knob) and k.name == rest), None)
            if own is not None:
                return Knob(name, own.env, own.param, own.range)
            nested = next((n for n in info.knob_parts if isinstance(n, NestedKnobs)
                           and rest.startswith(n.label + ".")), None)
            if nested is None:
                return None
            info, prefix = nested.info, prefix + nested.label + "."


@dataclass
class Program:
    """Every env and composite of the checked modules, by qualified name."""

    envs: dict[str, EnvInfo] = field(default_factory=dict)
    instances: dict[str, EnvInfo] = field(default_factory=dict)  # generic envs at other types, for stages
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
