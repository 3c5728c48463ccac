// The racesdsl extension: highlighting comes from the contributed TextMate grammar;
// this client starts the language server, `racesdsl lsp`, over stdio.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  // `racesdsl.path` names the executable, e.g. the one in the project's virtual environment.
  const command = vscode.workspace.getConfiguration("racesdsl").get("path") || "racesdsl";
  return { command, args: ["lsp"], transport: TransportKind.stdio };
}

async function start() {
  client = new LanguageClient("racesdsl", "racesdsl language server", serverOptions(), {
    documentSelector: [{ scheme: "file", language: "races" }, { scheme: "untitled", language: "races" }],
  });
  try {
    await client.start();
  } catch (err) {
    client = undefined;
    vscode.window.showErrorMessage(
      `racesdsl: could not start \`${serverOptions().command} lsp\` (set racesdsl.path): ${err}`);
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function activate(context) {
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (event) => {
    if (event.affectsConfiguration("racesdsl.path")) {
      await stop();
      await start();
    }
  }));
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
