"""The editor side of highlighting: the VS Code extension folder (editors/vscode) and README's
"Editor support" section. The lexer and the TextMate grammar themselves are tested in
tests/test_highlight.py."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GRAMMAR = REPO / "editors" / "textmate" / "races.tmLanguage.json"
VSCODE = REPO / "editors" / "vscode"
README = REPO / "README.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)


# ---------------------------------------------------------------- the VS Code folder


def test_vscode_extension_manifest() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert manifest["engines"]["vscode"].startswith("^1.")
    assert (VSCODE / manifest["main"]).is_file()
    assert "onLanguage:races" in manifest["activationEvents"]
    assert "vscode-languageclient" in manifest["dependencies"]
    (language,) = manifest["contributes"]["languages"]
    assert language["id"] == "races" and language["extensions"] == [".races"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == "source.races" and grammar["language"] == "races"
    assert (VSCODE / grammar["path"]).read_bytes() == GRAMMAR.read_bytes(), (
        "editors/vscode/syntaxes must be a copy of editors/textmate/races.tmLanguage.json")
    assert "racesdsl.path" in manifest["contributes"]["configuration"]["properties"]
    config = json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"
    assert {"open": '"""', "close": '"""'} in config["autoClosingPairs"]
    assert [list(p) for p in config["brackets"]] == [["{", "}"], ["[", "]"], ["(", ")"]]


STUBS = {
    "vscode/index.js": """
const listeners = [];
module.exports = {
  settings: {},
  workspace: {
    getConfiguration: (section) => ({ get: (key) => module.exports.settings[`${section}.${key}`] }),
    onDidChangeConfiguration: (fn) => { listeners.push(fn); return { dispose() {} }; },
  },
  window: { showErrorMessage: (msg) => { module.exports.errors.push(msg); } },
  errors: [],
  fire: (name) => Promise.all(listeners.map((fn) => fn({ affectsConfiguration: (s) => s === name }))),
};
""",
    "vscode-languageclient/node.js": """
const started = [];
class LanguageClient {
  constructor(id, name, server, client) { Object.assign(this, { id, name, server, client }); }
  async start() { started.push(this); }
  async stop() { this.stopped = true; }
}
module.exports = { LanguageClient, TransportKind: { stdio: 0 }, started };
""",
}

DRIVER = """
const vscode = require("vscode");
const lc = require("vscode-languageclient/node");
const ext = require(process.argv[1]);
(async () => {
  const context = { subscriptions: [] };
  await ext.activate(context);
  vscode.settings["racesdsl.path"] = "/venv/bin/racesdsl";
  await vscode.fire("racesdsl.path");
  await ext.deactivate();
  console.log(JSON.stringify({
    servers: lc.started.map((c) => c.server), selector: lc.started[0].client.documentSelector,
    stopped: lc.started.map((c) => !!c.stopped), errors: vscode.errors, subscriptions: context.subscriptions.length,
  }));
})();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")  # a system tool, not a Python one
def test_vscode_client_starts_racesdsl_lsp_over_stdio(tmp_path: Path) -> None:
    """extension.js against stand-ins for `vscode` and `vscode-languageclient` (no npm install)."""
    for name, body in STUBS.items():
        (tmp_path / "node_modules" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "node_modules" / name).write_text(body, encoding="utf-8")
    res = subprocess.run(["node", "-e", DRIVER, str(VSCODE / "extension.js")], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "NODE_PATH": str(tmp_path / "node_modules")})
    assert res.returncode == 0, res.stderr
    seen = json.loads(res.stdout)
    assert seen["servers"] == [{"command": "racesdsl", "args": ["lsp"], "transport": 0},
                               {"command": "/venv/bin/racesdsl", "args": ["lsp"], "transport": 0}]
    assert {"scheme": "file", "language": "races"} in seen["selector"]
    assert seen["stopped"] == [True, True] and seen["errors"] == [] and seen["subscriptions"] == 1


# ---------------------------------------------------------------- README


def editor_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert "\n## Editor support\n" in text
    return text.split("\n## Editor support\n", 1)[1].split("\n## ", 1)[0]


def test_readme_editor_support_commands_run_as_shown(tmp_path: Path) -> None:
    """Every ```console block of the section runs (pygmentize as `python -m pygments`) in a folder
    with the README's files, and prints what the README shows."""
    files = re.findall(r"<!-- file: (\S+) -->\s*\n```races\n(.*?)^```", README.read_text(encoding="utf-8"),
                       re.S | re.M)
    for name, body in files:
        (tmp_path / name).write_text(body, encoding="utf-8")
    blocks = [m.group("body") for m in FENCE.finditer(editor_section()) if m.group("info").strip() == "console"]
    assert blocks, "the Editor support section shows no console block"
    for block in blocks:
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, expected = chunk.partition("\n")
            argv = shlex.split(command)
            assert argv[0] == "pygmentize", f"README Editor support runs {argv[0]}, which this test cannot"
            res = subprocess.run([sys.executable, "-m", "pygments", *argv[1:]], cwd=tmp_path,
                                 capture_output=True, text=True, timeout=60)
            assert res.returncode == 0, f"$ {command}\n{res.stderr}"
            assert res.stdout.strip() == expected.strip(), f"$ {command}\n--- got ---\n{res.stdout}"
    html = (tmp_path / "demo.html").read_text(encoding="utf-8")
    assert '<span class="kn">use</span>' in html and '<span class="si">{{</span>' in html
