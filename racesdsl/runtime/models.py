"""Pydantic models of the language's types (docs/language.md §3), for users.

The hot path (sampling, checking, verifying) never touches pydantic: it uses the
specialised closures of `runtime.values` and `runtime.checks`. These models sit at the
boundaries instead — validating data that comes from outside, exporting JSON
schemas, driving tooling — so they accept exactly what `checks.checker_for(t)`
accepts and return the canonical form (`checks.canonical`), with records as models.

Mapping (`pydantic_type`):

- `Int[a..b]` -> `Annotated[int, Strict(), Field(ge=a, le=b)]`: strict, so `true`
  and `5.0` are rejected, as the checker does (JSON `5.0` too).
- `Float[a..b]` -> `Annotated[float, Strict(), Field(ge=a, le=b, allow_inf_nan=False)]`:
  strict still accepts an `int` (returned as a float) but not a bool or a string; an
  int beyond 2**53 is compared with the bounds exactly, as the checker does.
- `Bool` -> `StrictBool`; `Enum[...]` -> `Literal[...]`.
- `Str[len=a..b, chars=C]` -> `Annotated[str, StringConstraints(strict=True,
  min_length=a, max_length=b, pattern="^[C]*$")]`.
- `List[T, len=a..b]` -> `Annotated[list[T], Strict(), Field(min_length=a, max_length=b)]`.
- `Set[T, len=a..b]` -> the list type, also taking a `set`/`frozenset`, whose
  after-validator rejects repeats and sorts into the canonical order.
- `Tuple[A, B]` -> `tuple[A, B]` (a list is accepted, as JSON has no tuples).
- `{x: A, y: B}` -> a generated `BaseModel` that forbids extra fields and accepts
  only a dict (or an instance); names that cannot be Python attributes get aliases.
- `?` (an erroneous type) -> `Any`. A missing bound is no constraint.

Known difference: a string holding a lone surrogate (`"\\ud800"`) passes the checker
but not a `Str` with a length or `chars` (pydantic-core needs valid Unicode to measure
it); such strings never occur in UTF-8 text, so not in model output either.
"""

from __future__ import annotations

import functools
import keyword
import math
from typing import Annotated, Any, Literal, Optional

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    create_model,
    model_validator,
)

from racesdsl.runtime.checks import sort_key_for
from racesdsl.runtime.types import (
    Interval,
    TAny,
    TBool,
    TEnum,
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
    show,
)

__all__ = ["RecordModel", "input_model", "model_name", "output_model", "pydantic_type", "type_adapter"]

# `model_dump()` should give the record's own field names, aliased or not (pydantic >= 2.11).
_BY_ALIAS: dict[str, Any] = {"serialize_by_alias": True} if "serialize_by_alias" in ConfigDict.__annotations__ else {}


class RecordModel(BaseModel):
    """The base of every generated record model: a record is a closed dict of fields."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=(), **_BY_ALIAS)

    @model_validator(mode="before")
    @classmethod
    def _dict_only(cls, data: Any) -> Any:
        """pydantic would read any Mapping; the checker (and JSON) knows only dicts."""
        if isinstance(data, dict | BaseModel):
            return data
        raise ValueError(f"expected a record (a dict), got {type(data).__name__}")


@functools.lru_cache(maxsize=1024)
def pydantic_type(t: TType, name: str = "Value") -> Any:
    """The pydantic annotation for values of `t`; `name` names the model of a record
    (nested records get `name` plus their field's name). Cached per `(t, name)`."""
    match t:
        case TInt(r):
            lo, hi = _int_bounds(r)
            return Annotated[int, Strict(), Field(ge=lo, le=hi)]
        case TFloat(r):
            return Annotated[float, Strict(), Field(ge=_finite(r.lo), le=_finite(r.hi), allow_inf_nan=False),
                             BeforeValidator(_exact_range(r))]
        case TBool():
            return StrictBool
        case TEnum(values):
            if not values:
                return Annotated[str, Strict(), AfterValidator(_no_value)]
            return Literal[tuple(dict.fromkeys(values))]
        case TStr(length, chars, _):
            lo, hi = _length_bounds(length)
            pattern = None if chars is None else char_class_pattern(chars)
            return Annotated[str, StringConstraints(strict=True, min_length=lo, max_length=hi, pattern=pattern)]
        case TList(elem, length):
            lo, hi = _length_bounds(length)
            return Annotated[list[pydantic_type(elem, name + "Item")], Strict(),
                             Field(min_length=lo, max_length=hi)]
        case TSet(elem, length):
            lo, hi = _length_bounds(length)
            inner = pydantic_type(elem, name + "Item")
            return Annotated[list[inner], Strict(),
                             Field(min_length=lo, max_length=hi, json_schema_extra={"uniqueItems": True}),
                             BeforeValidator(_set_to_list), AfterValidator(_distinct_sorted(elem))]
        case TTuple(items):
            args = tuple(pydantic_type(x, f"{name}{i}") for i, x in enumerate(items))
            return Annotated[tuple[args] if args else tuple[()], BeforeValidator(_tuple_or_list)]
        case TRecord(fields):
            return _record_model(fields, name, show(t))
        case TMap(key, value, length):
            lo, hi = _length_bounds(length)
            k, v = pydantic_type(key, name + "Key"), pydantic_type(value, name + "Value")
            key_kind = int if isinstance(key, TInt) else str  # JSON keys are strings: an Int key reads its digits
            return Annotated[dict[Annotated[key_kind, k], v], Field(min_length=lo, max_length=hi),
                             AfterValidator(_by_key)]
        case TOptional(inner):
            return Optional[pydantic_type(inner, name)]  # noqa: UP045 (the annotation is built at run time)
        case TAny():
            return Any
    raise TypeError(f"not a type: {t!r}")


@functools.lru_cache(maxsize=256)
def type_adapter(t: TType, name: str = "Value") -> TypeAdapter[Any]:
    """A cached `TypeAdapter` of `pydantic_type(t)`: building one compiles a validator."""
    return TypeAdapter(pydantic_type(t, name))


# ------------------------------------------------------------ environments


def model_name(qualname: str, suffix: str) -> str:
    """`lists.sort_list` -> `SortList` + suffix: a class name from the env's short name."""
    short = "".join(c if c.isalnum() else "_" for c in qualname.rsplit(".", 1)[-1])
    return "".join(p[:1].upper() + p[1:] for p in short.split("_") if p) + suffix


def input_model(env: Any, **params: Any) -> type[BaseModel]:
    """The model of an environment's inputs at these params: one field per input, in order."""
    types = env.types(env.resolve_params(params))
    names = list(getattr(env, "input_names", None) or types.inputs)
    fields = tuple((n, types.inputs[n]) for n in names)
    doc = f"The inputs of `{env.qualname}`: {show(TRecord(fields))}."
    return _record_model(fields, model_name(env.qualname, "Input"), doc)


def output_model(env: Any, **params: Any) -> type[BaseModel]:
    """The model of an environment's answer at these params: one field, `value`."""
    types = env.types(env.resolve_params(params))
    doc = f"The answer of `{env.qualname}`: {show(types.output)}."
    return _record_model((("value", types.output),), model_name(env.qualname, "Output"), doc)


# ------------------------------------------------------------------- helpers


def _is_finite(x: float) -> bool:
    return not isinstance(x, float) or math.isfinite(x)  # (an int may be too large for a float)


def _finite(x: float) -> float | None:
    return x if _is_finite(x) else None


def _exact_range(r: Interval) -> Any:
    """pydantic compares a Float as a float; the checker compares the number itself. They differ
    only for an int beyond 2**53 or a bound a float cannot hold: those are compared here."""
    lo, hi = r.lo, r.hi
    inexact = any(isinstance(b, int) and abs(b) > _EXACT and b != _to_float(b) for b in (lo, hi))

    def exact_range(v: Any) -> Any:
        exact = inexact or (isinstance(v, int) and abs(v) > _EXACT)
        if exact and isinstance(v, int | float) and not isinstance(v, bool) and v == v and not lo <= v <= hi:
            raise ValueError(f"{v!r:.40} is not in {r.show()}")
        return v

    return exact_range


_EXACT = 2**53  # every int up to here is a float


def _to_float(x: int) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf


def _int_bounds(r: Interval) -> tuple[int | None, int | None]:
    """Integer bounds: a fractional bound excludes the same integers once rounded inwards."""
    lo = math.ceil(r.lo) if _is_finite(r.lo) else None
    hi = math.floor(r.hi) if _is_finite(r.hi) else None
    return lo, hi


def _length_bounds(r: Interval) -> tuple[int | None, int | None]:
    """Length bounds; pydantic wants them non-negative, so no length at all is `1..0`."""
    lo, hi = _int_bounds(r)
    if hi is not None and hi < 0:
        return 1, 0
    return (lo if lo is not None and lo > 0 else None), hi


def char_class_pattern(chars: frozenset[str]) -> str:
    """A regex matching the strings made of `chars` only, valid for pydantic's Rust engine,
    Python's `re` and JSON Schema (ECMA-262): runs of code points become ranges, and every
    character but `[A-Za-z0-9_]` is written `\\uXXXX` (above U+FFFF: the literal character,
    which is special nowhere). Lone surrogates are left out: pydantic cannot read them."""
    points = sorted(ord(c) for c in chars if not 0xD800 <= ord(c) <= 0xDFFF)
    parts: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        a, b = points[i], points[j]
        parts.append(_escape(a) if a == b else _escape(a) + ("" if b == a + 1 else "-") + _escape(b))
        i = j + 1
    return "^[" + "".join(parts) + "]*$" if parts else "^$"


def _escape(cp: int) -> str:
    c = chr(cp)
    if (c.isascii() and c.isalnum()) or c == "_" or cp > 0xFFFF:
        return c
    return f"\\u{cp:04X}"


def _no_value(v: str) -> str:
    raise ValueError("this Enum has no values")


def _tuple_or_list(v: Any) -> Any:
    """pydantic's lax tuple would also read sets and generators; the checker takes these two."""
    if isinstance(v, tuple | list):
        return v
    raise ValueError(f"expected a tuple (or a list), got {type(v).__name__}")


def _set_to_list(v: Any) -> Any:
    """A Python set is a valid Set value; a fixed order keeps error locations reproducible."""
    if isinstance(v, set | frozenset):
        return sorted(v, key=lambda x: (type(x).__name__, repr(x)))
    return v


def _by_key(v: dict[Any, Any]) -> dict[Any, Any]:
    """A Map in canonical (key) order."""
    return {k: v[k] for k in sorted(v)}


def _plain(v: Any) -> Any:
    """A validated value in the runtime representation (records as dicts), for sort keys."""
    if isinstance(v, BaseModel):
        return v.model_dump(by_alias=True)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_plain(x) for x in v)
    return v


def _distinct_sorted(elem: TType) -> Any:
    """The Set after-validator: distinct elements (as `checker_for` judges them), canonical order."""
    key = sort_key_for(elem)

    def distinct_sorted(items: list[Any]) -> list[Any]:
        keyed = [(key(_plain(x)), x) for x in items]
        first: dict[Any, int] = {}
        for i, (k, _) in enumerate(keyed):
            j = first.setdefault(k, i)
            if j != i:
                raise ValueError(f"element {i} repeats element {j}")
        keyed.sort(key=lambda p: p[0])
        return [x for _, x in keyed]

    return distinct_sorted


def _attr_name(name: str, taken: set[str], i: int) -> str | None:
    """None when `name` can be the model's attribute, else a free attribute name (the
    record's own name then becomes the alias, used for validation and dumps)."""
    if (name.isidentifier() and not keyword.iskeyword(name) and not name.startswith(("_", "model_"))
            and not hasattr(RecordModel, name)):
        return None
    attr = f"field{i}"
    while attr in taken:
        attr += "_"
    return attr


@functools.lru_cache(maxsize=1024)
def _record_model(fields: tuple[tuple[str, TType], ...], name: str, doc: str) -> type[BaseModel]:
    taken = {n for n, _ in fields}
    spec: dict[str, Any] = {}
    for i, (n, ft) in enumerate(fields):
        annotation = pydantic_type(ft, name + model_name(n, ""))
        attr = _attr_name(n, taken, i)
        if attr is None:
            spec[n] = (annotation, ...)
        else:
            taken.add(attr)
            spec[attr] = (annotation, Field(alias=n))
    model: type[BaseModel] = create_model(name, __base__=RecordModel, __doc__=doc, **spec)
    return model
