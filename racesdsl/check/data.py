"""`data NAME: T = lines|json|csv("file")`: read a file beside the spec at check time,
validate it against T, and keep its values and digest for `OneOf[NAME]` (docs §2 "Data files").

The file must lie in the spec's folder or below it, as python references resolve in
the spec's folder: an absolute path, a `..` or a symbolic link out of the folder is
refused (E0209), so a spec cannot read `/etc/passwd` into its prompts. Its values
are validated here once (E0345) and reach generated code only as `repr()` literals."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from racesdsl.check.resolve import ModuleScope
from racesdsl.check.typeexpr import TypeContext, resolve_type
from racesdsl.diagnostics import Diagnostic, did_you_mean, error
from racesdsl.runtime import limits as L
from racesdsl.runtime import types as T
from racesdsl.runtime.checks import canonical_for, checker_for, sort_key_for
from racesdsl.syntax import ast as A

MAX_DATA_BYTES = 16 << 20
ORIGINS: ContextVar[Mapping[Path, Path] | None] = ContextVar("data_origins", default=None)
"""Spec files checked from a copy (the language server checks a buffer in a temporary folder):
copy -> the folder the spec really lives in, where its data files are."""


@dataclass(frozen=True)
class DataInfo:
    """A data declaration read and validated: its collection type, element type and values."""

    name: str
    type: T.TList | T.TSet
    elem: T.TType
    values: tuple[Any, ...]
    digest: str  # of the format and the file's bytes: part of every instance id that draws from it


class _Bad(ValueError):
    """A value of the file does not fit (message says where)."""


def check_data(scope: ModuleScope, diags: list[Diagnostic]) -> None:
    """Read every data declaration of `scope` into `scope.data` (None where it failed, reported)."""
    for decl in scope.ast.decls:
        if isinstance(decl, A.DataDecl) and scope.own[decl.name].decl is decl:
            scope.data[decl.name] = _read(decl, scope, diags)


def one_of(texpr: A.OneOfType, scope: ModuleScope, diags: list[Diagnostic]) -> DataInfo | None:
    """The data an input's `OneOf[name]` draws from (E0210 when `name` is no data declaration)."""
    dotted = ".".join(texpr.name)
    sym = scope.lookup(texpr.name)
    if sym is None or sym.kind not in ("data", "error"):
        what = "not defined" if sym is None else {"module": "a module", "type": "a type alias"}.get(
            sym.kind, f"an {sym.kind}")
        diags.append(error("E0210", f"`OneOf` takes a data declaration, but `{dotted}` is {what}", texpr.span,
                           did_you_mean(dotted, scope.visible_names(("data",)))
                           or 'declare it: `data words: List[Str] = lines("words.txt")`'))
        return None
    return sym.module.data.get(sym.name) if sym.kind == "data" else None


def data_file(folder: Path, relative: str) -> Path | str:
    """The file `relative` names inside `folder`, or why it may not be read."""
    rel = PurePosixPath(relative)
    if not relative or rel.is_absolute() or "\\" in relative or ".." in rel.parts or ":" in relative:
        return "a data file is named relative to the spec's folder, without `..`"
    path = folder / rel
    real, root = os.path.realpath(path), os.path.realpath(folder)
    if os.path.commonpath([real, root]) != root:
        return "it leads outside the spec's folder"
    if not os.path.isfile(real):
        return "no such file beside the spec"
    return Path(real)


def _read(decl: A.DataDecl, scope: ModuleScope, diags: list[Diagnostic]) -> DataInfo | None:
    t = resolve_type(decl.type, TypeContext(scope, {}, frozenset(), diags))
    if isinstance(t, T.TAny):
        return None
    if not isinstance(t, T.TList | T.TSet):
        diags.append(error("E0345", f"data `{decl.name}` must have a List or Set type, not {T.show(t)}",
                           decl.type.span, "write e.g. `data words: List[Str[len=1..20]] = lines(\"words.txt\")`"))
        return None
    found = data_file((ORIGINS.get() or {}).get(Path(scope.path), Path(scope.path).parent), decl.path)
    if isinstance(found, str):
        diags.append(error("E0209", f'cannot read data file "{decl.path}": {found}', decl.path_span,
                           "put the file in the spec's folder (or below it) and name it relative to that folder"))
        return None
    try:
        raw = found.read_bytes() if found.stat().st_size <= MAX_DATA_BYTES else None
        if raw is None:
            diags.append(error("E0209", f'data file "{decl.path}" is larger than {MAX_DATA_BYTES >> 20} MiB',
                               decl.path_span))
            return None
        values = _parse(raw.decode("utf-8"), decl.format, t.elem)
        values = _validate(values, t)
    except OSError as exc:
        diags.append(error("E0209", f'cannot read data file "{decl.path}": {exc.strerror}', decl.path_span))
        return None
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error, _Bad) as exc:
        diags.append(error("E0345", f'data file "{decl.path}" does not fit {T.show(t)}: {_why(exc)}',
                           decl.span, "fix the file, or widen the declared type"))
        return None
    digest = hashlib.sha256(decl.format.encode() + b"\n" + raw).hexdigest()[:32]
    return DataInfo(decl.name, t, t.elem, tuple(values), digest)


def _why(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {exc.start})"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return str(exc)


def _parse(text: str, fmt: str, elem: T.TType) -> list[tuple[str, Any]]:
    """(where, value) pairs: each value with the place in the file it comes from."""
    if fmt == "lines":  # one string per line; blank lines are skipped
        rows = [(n, line.removesuffix("\r")) for n, line in enumerate(text.split("\n"), 1)]
        return [(f"line {n}", line) for n, line in rows if line.strip()]
    if fmt == "json":
        doc = json.loads(text, parse_constant=_no_constant)
        if not isinstance(doc, list):
            raise _Bad("the file must hold one JSON array")
        return [(f"element {i}", v) for i, v in enumerate(doc)]
    if not isinstance(elem, T.TRecord):
        raise _Bad("csv data needs records: `List[{name: Str, ...}]`, with those names as the header row")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or sorted(header) != sorted(elem.names):
        raise _Bad(f"the header row must name the fields {', '.join(elem.names)}")
    out = []
    for row in reader:
        if not row:
            continue
        where = f"line {reader.line_num}"
        if len(row) != len(header):
            raise _Bad(f"{where}: {len(row)} cells where the header has {len(header)}")
        out.append((where, {n: _cell(c, elem.field(n), where) for n, c in zip(header, row, strict=True)}))
    return out


def _no_constant(name: str) -> Any:
    raise _Bad(f"{name} is not a JSON number")


def _cell(text: str, t: T.TType | None, where: str) -> Any:
    """A csv cell as the value its field's type holds."""
    try:
        if isinstance(t, T.TInt):
            return int(text)
        if isinstance(t, T.TFloat):
            return float(text)
    except ValueError:
        raise _Bad(f"{where}: {text!r:.40} is not a number") from None
    if isinstance(t, T.TBool):
        if text not in ("true", "false"):
            raise _Bad(f"{where}: {text!r:.40} is not true or false")
        return text == "true"
    return text


def _validate(rows: list[tuple[str, Any]], t: T.TList | T.TSet) -> list[Any]:
    check, canon = checker_for(t.elem), canonical_for(t.elem)
    values = []
    for where, v in rows:
        why = check(v)
        if why is not None:
            raise _Bad(f"{where}: {why}")
        values.append(canon(v))
    if isinstance(t, T.TSet):
        key = sort_key_for(t.elem)
        if len({key(v) for v in values}) != len(values):
            raise _Bad("a Set holds each value once, but the file repeats one")
    if not values:
        raise _Bad("it holds no value, so nothing can be drawn from it")
    if not t.length.contains_value(len(values)) or len(values) > L.MAX_LENGTH:
        raise _Bad(f"it holds {len(values):,} values, outside len={t.length.show()} "
                   f"(at most {L.MAX_LENGTH:,})")
    return values
