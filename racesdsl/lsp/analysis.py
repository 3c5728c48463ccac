"""One document checked as the editor holds it: diagnostics, scopes and the checked program.

The buffer is written to a private temporary folder under the document's own
file name (its module name), and the document's folder is put on the search
path, so `use` of sibling modules finds them on disk while the open buffer wins
over the file on disk for the document itself. The checker is `check_paths`,
whose result also carries the document's module scope (what each name binds)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from racesdsl.check.data import ORIGINS
from racesdsl.check.pipeline import check_paths
from racesdsl.check.resolve import ModuleScope, display_path
from racesdsl.diagnostics import Diagnostic
from racesdsl.errors import InputError
from racesdsl.ir import CompositeInfo, EnvInfo, Program
from racesdsl.resources import stdlib_dir
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
        origin = ORIGINS.set({buffer: path.parent})  # its data files are beside the real file
        try:
            result = check_paths([buffer], [path.parent, *search_path])
        except InputError:
            return Analysis(uri, path, text, display, None, Program(), [], {})
        finally:
            ORIGINS.reset(origin)
    root = result.scopes[0] if result.scopes else None
    return Analysis(uri, path, text, display, root, result.program, result.diagnostics, result.sources)
