"""docs/language.md stays true: every ```races block in it is checked.

A plain ```races block must check clean: no error and no warning. A block
marked ```races error=CODE (or warning=CODE) shows a mistake: checking it must
report that code, and nothing else. Each block is written as its own module,
`ex_<n>.races`, in a fresh folder. A block right after `<!-- file: NAME.races -->`
is a module other examples import: it is written under that name into one
shared folder, which every check gets as its `--path`.

A ```console block that starts with `$ racesdsl` is run in that shared folder
and must print what the page shows. The page must also keep enough examples
and name every builtin of the expression language."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from racesdsl.check.builtins_types import BUILTINS
from racesdsl.check.pipeline import check_paths
from racesdsl.diagnostics import CODES, Severity

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "language.md"
MIN_BLOCKS = 25

FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
FILE_MARK = re.compile(r"<!-- file: (?P<name>[A-Za-z_][A-Za-z0-9_]*\.races) -->\s*\Z")
RACES_INFO = re.compile(r"races(?:\s+(?P<kind>error|warning)=(?P<code>[EW]\d{4}))?")
OTHER_INFOS = {"", "console", "text", "sh", "python", "json"}


@dataclass(frozen=True)
class Block:
    index: int  # 1-based among ```races blocks
    line: int  # line of the opening fence in the doc
    body: str
    file: str | None  # `NAME.races` when the block is a named module
    kind: str | None  # "error" | "warning" | None (must check clean)
    code: str | None

    @property
    def id(self) -> str:
        what = self.code or "clean"
        return f"ex_{self.index}-line{self.line}-{what}"


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def races_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for m in FENCE.finditer(text):
        info = m.group("info").strip()
        line = text.count("\n", 0, m.start()) + 1
        if not info.startswith("races"):
            assert info in OTHER_INFOS, f"docs/language.md:{line}: unexpected code fence info {info!r}"
            continue
        mi = RACES_INFO.fullmatch(info)
        assert mi is not None, f"docs/language.md:{line}: write ```races, ```races error=CODE or warning=CODE"
        mark = FILE_MARK.search(text, 0, m.start())
        named = mark.group("name") if mark is not None and mark.end() == m.start() else None
        blocks.append(Block(len(blocks) + 1, line, m.group("body"), named, mi.group("kind"), mi.group("code")))
    return blocks


BLOCKS = races_blocks(doc_text())


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared folder of named modules (`<!-- file: NAME.races -->`)."""
    folder = tmp_path_factory.mktemp("modules")
    for b in BLOCKS:
        if b.file is not None:
            target = folder / b.file
            assert not target.exists(), f"two blocks are named {b.file}"
            target.write_text(b.body, encoding="utf-8")
    return folder


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block_checks_as_documented(block: Block, modules: Path, tmp_path: Path) -> None:
    if block.file is not None:
        path = modules / block.file
    else:
        path = tmp_path / f"ex_{block.index}.races"
        path.write_text(block.body, encoding="utf-8")
    result = check_paths([path], search_path=[modules])
    found = [f"{d.span.file}:{d.span.line}:{d.span.col}: {d.severity.value}: {d.message} [{d.code}]"
             for d in result.diagnostics]
    where = f"docs/language.md:{block.line} (```races block {block.index})"
    if block.code is None:
        assert not found, f"{where} should check clean, but:\n" + "\n".join(found)
        return
    assert block.code in CODES, f"{where}: {block.code} is not a registered diagnostic code"
    severity = Severity.ERROR if block.kind == "error" else Severity.WARNING
    codes = {(d.code, d.severity) for d in result.diagnostics}
    assert (block.code, severity) in codes, f"{where} should report {block.kind} {block.code}, but:\n" + (
        "\n".join(found) or "nothing")
    assert codes == {(block.code, severity)}, f"{where} reports more than {block.code}:\n" + "\n".join(found)


def test_doc_has_enough_examples() -> None:
    assert len(BLOCKS) >= MIN_BLOCKS, f"docs/language.md has {len(BLOCKS)} ```races blocks, want >= {MIN_BLOCKS}"
    assert any(b.code is None for b in BLOCKS) and any(b.kind == "error" for b in BLOCKS)


@pytest.mark.parametrize("name", BUILTINS)
def test_doc_mentions_every_builtin(name: str) -> None:
    assert re.search(rf"`{name}\(", doc_text()), f"docs/language.md never shows the builtin `{name}(...)`"


def test_doc_names_the_diagnostics_page() -> None:
    assert "diagnostics.md" in doc_text()


def console_sessions(text: str) -> list[tuple[int, str]]:
    """(line, body) of every ```console block whose first command runs racesdsl."""
    return [(text.count("\n", 0, m.start()) + 1, m.group("body")) for m in FENCE.finditer(text)
            if m.group("info").strip() == "console" and m.group("body").startswith("$ racesdsl ")]


SESSIONS = console_sessions(doc_text())


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@pytest.mark.parametrize(("line", "body"), SESSIONS, ids=[f"line{n}" for n, _ in SESSIONS])
def test_console_session_prints_as_shown(line: int, body: str, modules: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    for chunk in re.split(r"^\$ ", body, flags=re.M)[1:]:
        command, _, expected = chunk.partition("\n")
        argv = shlex.split(command)
        assert argv[0] == "racesdsl", f"docs/language.md:{line}: the session runs {argv[0]}, not racesdsl"
        res = subprocess.run([sys.executable, "-m", "racesdsl", *argv[1:]], cwd=modules, env=env,
                             capture_output=True, text=True, timeout=60)
        assert _normalise(res.stdout) == _normalise(expected), (
            f"docs/language.md:{line}: $ {command}\n--- got ---\n{res.stdout}{res.stderr}")
