"""One document checked as the editor holds it: diagnostics, scopes and the checked program.

The buffer is written to a private temporary folder under the document's own
file name (its module name), and the document's folder is put on the search
path, so `use` of sibling modules finds them on disk while the open buffer wins
over the file on disk for the document itself. The passes are those of
`racesdsl.check.pipeline.check_paths`; they are run here because features need
the module scopes (what each name is bound to), which `check_paths` does not
return."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from racesdsl.check.envs import check_env
from racesdsl.check.fusion import FusionChecker
from racesdsl.check.resolve import ModuleScope, display_path, load, unused_import_warnings
from racesdsl.check.typeexpr import resolve_aliases
from racesdsl.diagnostics import Diagnostic
from racesdsl.errors import InputError
from racesdsl.ir import CompositeInfo, EnvInfo, Program
from racesdsl.resources import stdlib_dir
from racesdsl.syntax import ast as A
from racesdsl.syntax.ast import Span


@dataclass
class Analysis:
    """What the features read: the checked text, its scope, every module's source."""

    uri: str
    path: Path  # the document's file (its folder is searched for `use`)
    text: str
    display: str  # the span `file` of the document itself
    scope: ModuleScope | None
    program: Program
    diagnostics: list[Diagnostic]
    sources: dict[str, str]

    def own(self, span: Span) -> bool:
        return span.file == self.display

    def file_of(self, span: Span) -> Path | None:
        """The file a span of another module points into (None: the document itself)."""
        if self.own(span):
            return None
        if span.file.startswith("<std>/"):
            return stdlib_dir() / span.file.removeprefix("<std>/")
        return Path(span.file).resolve()

    def text_of(self, span: Span) -> str:
        return self.text if self.own(span) else self.sources.get(span.file, "")

    def info(self, qualname: str) -> EnvInfo | CompositeInfo | None:
        return self.program.envs.get(qualname) or self.program.composites.get(qualname)


def analyze(uri: str, path: Path, text: str, search_path: list[Path]) -> Analysis:
    """Check `text` as the content of `path` (which may not exist yet)."""
    with tempfile.TemporaryDirectory(prefix="racesdsl-lsp-") as tmp:
        buffer = Path(tmp).resolve() / path.name
        buffer.write_text(text, encoding="utf-8")
        display = display_path(buffer)
        try:
            loaded = load([buffer], [path.parent, *search_path])
        except InputError:
            return Analysis(uri, path, text, display, None, Program(), [], {})
        diags = list(loaded.diagnostics)
        program = Program()
        modules = [m for m in loaded.modules if m.ast is not None]
        for scope in modules:
            for decl in scope.ast.decls:
                if isinstance(decl, A.TypeDecl) and scope.own[decl.name].decl is decl:
                    resolve_aliases(scope.own[decl.name], diags)
        for scope in modules:
            for decl in scope.ast.decls:
                if isinstance(decl, A.EnvDecl) and decl.name in scope.own and scope.own[decl.name].decl is decl:
                    env = check_env(decl, scope, diags)
                    program.envs[env.qualname] = env
        fusion = FusionChecker(program.envs, diags)
        for scope in modules:
            for decl in scope.ast.decls:
                if isinstance(decl, A.ComposeDecl) and scope.own[decl.name].decl is decl:
                    comp = fusion.composite(decl, scope)
                    if comp is not None:
                        program.composites[comp.qualname] = comp
        for scope in modules:
            diags.extend(unused_import_warnings(scope))
    root = loaded.roots[0] if loaded.roots else None
    unique = sorted(set(diags), key=Diagnostic.sort_key)
    return Analysis(uri, path, text, display, root, program, unique, loaded.sources)
