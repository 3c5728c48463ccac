"""Pass 1: load modules, follow `use`, bind names.

Produces one `ModuleScope` per file with its own declarations and imported
bindings. Unknown modules and names, duplicates and import cycles become
E02xx diagnostics; a module that fails to parse still binds nothing, so the
other modules keep being checked."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from racesdsl.diagnostics import Diagnostic, did_you_mean, error, warning
from racesdsl.errors import InputError
from racesdsl.resources import stdlib_dir
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import parse_text

STD = "std"


@dataclass(frozen=True)
class Symbol:
    """What a name stands for: a type alias, env, composite or module."""

    kind: str  # "type" | "data" | "env" | "compose" | "module" | "error" (a failed import: already reported)
    name: str
    module: ModuleScope
    decl: A.TypeDecl | A.DataDecl | A.EnvDecl | A.ComposeDecl | None = None

    @property
    def qualname(self) -> str:
        return f"{self.module.name}.{self.name}" if self.kind != "module" else self.name


@dataclass(eq=False)
class ModuleScope:
    """A parsed module with its own declarations and its imports."""

    name: str
    path: Path
    display: str
    ast: A.Module | None
    own: dict[str, Symbol] = field(default_factory=dict)
    imported: dict[str, tuple[Symbol, A.UseDecl, A.Span]] = field(default_factory=dict)
    used_imports: set[str] = field(default_factory=set)
    alias_types: dict[str, object] = field(default_factory=dict)  # own aliases resolved: name -> TType, None if failed
    data: dict[str, object] = field(default_factory=dict)  # own data read: name -> check.data.DataInfo, None if failed

    def lookup(self, dotted: tuple[str, ...]) -> Symbol | None:
        """Resolve `a` or `m.a`; marks the import it goes through as used."""
        head = dotted[0]
        sym = self.own.get(head)
        if sym is None and head in self.imported:
            sym = self.imported[head][0]
            self.used_imports.add(head)
        for part in dotted[1:]:
            if sym is None or sym.kind != "module":
                return None
            sym = sym.module.own.get(part)
        return sym

    def visible_names(self, kinds: tuple[str, ...] = ("type", "env", "compose", "module")) -> list[str]:
        names = [n for n, s in self.own.items() if s.kind in kinds]
        names += [n for n, (s, _, _) in self.imported.items() if s.kind in kinds]
        return names


@dataclass
class Loaded:
    modules: list[ModuleScope]
    roots: list[ModuleScope]
    sources: dict[str, str]
    diagnostics: list[Diagnostic]


def display_path(path: Path) -> str:
    """Paths relative to the working folder when below it, as compilers print them."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def collect_files(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(p.rglob("*.races")))
        elif p.is_file():
            if p.suffix != ".races":
                raise InputError(f"{p}: not a .races file")
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return files


class Loader:
    """Parses files once each and resolves their `use` declarations."""

    def __init__(self, search_path: list[str | Path]) -> None:
        self.search_path = [Path(p) for p in search_path]
        self.by_path: dict[Path, ModuleScope] = {}
        self.sources: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []
        self._state: dict[Path, str] = {}  # "active" while its imports load, then "done"
        # Where `use` found each (root, module path), and each root's module stems: a spec set
        # has many more `use`s than modules, so each candidate is stat'ed and resolved once
        # per load, not once per `use` (per Loader: a later check sees the files as they are then).
        self._found: dict[tuple[Path, tuple[str, ...]], Path | None] = {}
        self._stems: dict[Path, list[str]] = {}

    def load_file(self, path: Path) -> ModuleScope:
        return self._load_key(path.resolve())

    def _load_key(self, key: Path) -> ModuleScope:
        """Load the module at `key`, an already resolved path."""
        if key in self.by_path:
            return self.by_path[key]
        display = display_path(key) if not _is_std(key) else f"<std>/{key.relative_to(stdlib_dir().resolve())}"
        try:
            text = key.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{display}: cannot read: {exc}") from exc
        self.sources[display] = text
        mod_ast, diags = parse_text(text, display, key.stem)
        self.diagnostics.extend(diags)
        scope = ModuleScope(key.stem, key, display, mod_ast)
        self.by_path[key] = scope
        if not key.stem.isidentifier():
            self.diagnostics.append(error(
                "E0106", f"module file name `{key.name}` is not an identifier", A.Span(display, 1, 1, 1, 2),
                "rename the file, for example to `" + _identifier(key.stem) + ".races`"))
        if mod_ast is not None:
            self._bind_own(scope)
            self._state[key] = "active"
            self._bind_imports(scope)
            self._state[key] = "done"
        return scope

    def _bind_own(self, scope: ModuleScope) -> None:
        kinds = {A.TypeDecl: "type", A.DataDecl: "data", A.EnvDecl: "env", A.ComposeDecl: "compose"}
        for decl in scope.ast.decls:
            kind = kinds.get(type(decl))
            if kind is None:
                continue
            span = getattr(decl, "name_span", decl.span)
            if decl.name in scope.own:
                self.diagnostics.append(error(
                    "E0203", f"`{decl.name}` is defined twice in module `{scope.name}`", span,
                    None, f"first defined at {scope.own[decl.name].decl.span}"))
                continue
            scope.own[decl.name] = Symbol(kind, decl.name, scope, decl)

    def _bind_imports(self, scope: ModuleScope) -> None:
        for use in (d for d in scope.ast.decls if isinstance(d, A.UseDecl)):
            target = self._resolve_use(scope, use)
            if target is None:
                # Bind the names anyway, as errors, so their uses do not cascade.
                for name, span in _bound_names(use):
                    scope.imported.setdefault(name, (Symbol("error", name, scope), use, span))
                continue
            if use.names is None:
                bind = use.alias or use.module[-1]
                self._bind(scope, bind, Symbol("module", target.name, target), use, use.span)
                continue
            for imp in use.names:
                sym = target.own.get(imp.name)
                if sym is None:
                    self.diagnostics.append(error(
                        "E0202", f"module `{'.'.join(use.module)}` has no `{imp.name}`", imp.span,
                        did_you_mean(imp.name, list(target.own))))
                    sym = Symbol("error", imp.name, scope)
                self._bind(scope, imp.name, sym, use, imp.span)

    def _bind(self, scope: ModuleScope, name: str, sym: Symbol, use: A.UseDecl, span: A.Span) -> None:
        if name in scope.own or name in scope.imported:
            self.diagnostics.append(error(
                "E0203", f"`{name}` is imported here but already defined in module `{scope.name}`", span,
                f"import it under another name: `use {'.'.join(use.module)} as ...`"))
            return
        scope.imported[name] = (sym, use, span)

    def _resolve_use(self, scope: ModuleScope, use: A.UseDecl) -> ModuleScope | None:
        parts = use.module
        if parts[0] == STD:
            roots = [stdlib_dir()]
            rel = parts[1:]
        else:
            roots = [scope.path.parent, *self.search_path]
            rel = parts
        for root in roots:
            key = self._locate(root, rel)
            if key is not None:
                if self._state.get(key) == "active":
                    self.diagnostics.append(error(
                        "E0204", f"import cycle: `{scope.name}` imports `{'.'.join(parts)}`, which imports it back",
                        use.span, "move the shared declarations into a third module"))
                    return None
                return self._load_key(key)
        known = [stem for r in roots for stem in self._root_stems(r)]
        self.diagnostics.append(error(
            "E0201", f"unknown module `{'.'.join(parts)}`", use.span,
            did_you_mean(rel[-1] if rel else parts[0], known),
            "searched: " + ", ".join(str(r) for r in roots) if parts[0] != STD else "searched the stdlib"))
        return None


    def _locate(self, root: Path, rel: tuple[str, ...]) -> Path | None:
        """The resolved path of module `rel` below `root`, if that file exists."""
        if not rel:
            return None
        if (root, rel) not in self._found:
            candidate = root.joinpath(*rel[:-1], rel[-1] + ".races")
            self._found[root, rel] = candidate.resolve() if candidate.is_file() else None
        return self._found[root, rel]

    def _root_stems(self, root: Path) -> list[str]:
        """The module names a folder offers, for did-you-mean on an unknown module."""
        if root not in self._stems:
            self._stems[root] = [p.stem for p in root.glob("*.races")] if root.is_dir() else []
        return self._stems[root]


def _bound_names(use: A.UseDecl) -> list[tuple[str, A.Span]]:
    if use.names is None:
        return [(use.alias or use.module[-1], use.span)]
    return [(imp.name, imp.span) for imp in use.names]


def _is_std(path: Path) -> bool:
    try:
        path.relative_to(stdlib_dir().resolve())
        return True
    except ValueError:
        return False


def _identifier(stem: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    return out if out and not out[0].isdigit() else "m_" + out


def load(paths: list[str | Path], search_path: list[str | Path] = ()) -> Loaded:
    """Parse the given files/folders and everything they import."""
    loader = Loader(list(search_path))
    roots = [loader.load_file(f) for f in collect_files(list(paths))]
    loader.diagnostics.extend(name_modules(list(loader.by_path.values())))
    return Loaded(list(loader.by_path.values()), roots, loader.sources, loader.diagnostics)


def name_modules(modules: list[ModuleScope]) -> list[Diagnostic]:
    """Give every module of a program its own name: the name prefixes qualified names
    (`lists.total`), the in-memory and the compiled module names, so two files must never
    share one. Stdlib modules keep their file's stem, so stdlib ids never change; a user
    module named like a stdlib module the program also loads is `stem_` (`lists.races`
    next to `use std.lists` is the module `lists_`); any other clash is E0208."""
    std = {m.name: m for m in modules if _is_std(m.path)}
    taken: dict[str, ModuleScope] = dict(std)
    renamed: set[ModuleScope] = set()
    diags = []
    for scope in modules:  # in load order: deterministic for the same arguments
        if _is_std(scope.path):
            continue
        if scope.name in std:
            renamed.add(scope)
            scope.name += "_"
        other = taken.setdefault(scope.name, scope)
        if other is not scope:
            notes = [f"{m.display} is `{m.name}` because the stdlib module `std.{m.name[:-1]}` is loaded too"
                     for m in (other, scope) if m in renamed]
            diags.append(error(
                "E0208", f"two modules are named `{scope.name}`: {other.display} and {scope.display}",
                A.Span(scope.display, 1, 1, 1, 2),
                "rename one of the files: a module's name prefixes the qualified names of everything in it",
                *notes))
    return diags


def unused_import_warnings(scope: ModuleScope) -> list[Diagnostic]:
    return [
        warning("W0201", f"`{name}` is imported but never used", span, "remove it from the `use`")
        for name, (sym, _, span) in scope.imported.items()
        if name not in scope.used_imports and sym.kind != "error"
    ]
