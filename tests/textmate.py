"""A small TextMate tokenizer for tests: enough of the engine to run editors/textmate/races.tmLanguage.json.

It reads a grammar the way vscode-textmate does, one line at a time with its
`\\n`: at each position the leftmost match among the current rule's `end` and
its patterns wins (on a tie `end` first, then the patterns in order); `match`
rules scope their text and `captures`, `begin` rules push a frame whose `name`
covers everything up to and including `end` and whose `contentName` covers the
inside. `include` of `#name`, `$self` and `$base` is supported; `while`,
injections and back-references in `end` are not (the races grammar uses none).
Regexes are Oniguruma's, as in every editor, through onigurumacffi.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onigurumacffi

Rule = dict[str, Any]


def load(path: Path) -> Rule:
    return json.loads(path.read_text(encoding="utf-8"))


def regex_keys(grammar: Rule) -> list[tuple[str, str]]:
    """(where, pattern) for every `match`, `begin`, `end` and `while` in the grammar."""
    found: list[tuple[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("match", "begin", "end", "while") and isinstance(value, str):
                    found.append((f"{where}.{key}", value))
                else:
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}[{i}]")

    walk(grammar, "$")
    return found


@dataclass
class _Frame:
    rule: Rule
    end: str | None
    scopes: tuple[str, ...]  # the scopes of everything inside this frame


class Tokenizer:
    """Scopes every character of a text: `scopes(text)[i]` is the scope stack of `text[i]`."""

    def __init__(self, grammar: Rule) -> None:
        self.grammar = grammar
        self.repository: dict[str, Rule] = grammar.get("repository", {})
        # (rule, end) -> the compiled alternatives at a position inside that rule; rules live
        # as long as the grammar, so their ids are stable keys.
        self._compiled: dict[tuple[int, str | None], tuple[Any, list[Rule]]] = {}

    def _resolve(self, rule: Rule) -> list[Rule]:
        """The `match`/`begin` rules a rule's `patterns` stand for, includes expanded, in order."""
        out: list[Rule] = []
        seen: set[int] = set()

        def expand(r: Rule) -> None:
            if "include" in r:
                ref = r["include"]
                if ref in ("$self", "$base"):
                    target: Rule = self.grammar
                else:
                    assert ref.startswith("#"), f"unsupported include {ref!r}"
                    target = self.repository[ref[1:]]
                if id(target) in seen:
                    return
                seen.add(id(target))
                if "match" in target or "begin" in target:
                    out.append(target)
                else:
                    for sub in target.get("patterns", []):
                        expand(sub)
                return
            if "match" in r or "begin" in r:
                out.append(r)
            else:
                for sub in r.get("patterns", []):
                    expand(sub)

        for sub in rule.get("patterns", []):
            expand(sub)
        return out

    def _regset(self, rule: Rule, end: str | None) -> tuple[Any, list[Rule]]:
        key = (id(rule), end)
        if key not in self._compiled:
            rules = self._resolve(rule)
            patterns = ([end] if end is not None else []) + [r.get("match") or r["begin"] for r in rules]
            self._compiled[key] = onigurumacffi.compile_regset(*patterns), rules
        return self._compiled[key]

    def scopes(self, text: str) -> list[tuple[str, ...]]:
        base = (self.grammar["scopeName"],)
        stack = [_Frame(self.grammar, None, base)]
        result: list[tuple[str, ...]] = []
        lines = text.split("\n")
        for n, line in enumerate(lines):
            if n < len(lines) - 1:
                line += "\n"
            result.extend(self._line(line, stack))
        return result

    def _line(self, line: str, stack: list[_Frame]) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = [()] * len(line)
        pos, stalls = 0, 0
        while pos <= len(line):
            frame = stack[-1]
            regset, rules = self._regset(frame.rule, frame.end)
            index, m = regset.search(line, pos)
            if m is None:
                out[pos:] = [frame.scopes] * (len(line) - pos)
                break
            out[pos:m.start()] = [frame.scopes] * (m.start() - pos)
            if frame.end is not None and index == 0:  # the frame ends
                outer = stack[-2].scopes + _names(frame.rule.get("name"))
                self._capture(out, m, outer, frame.rule.get("endCaptures") or frame.rule.get("captures"))
                stack.pop()
            else:
                rule = rules[index - (frame.end is not None)]
                scopes = frame.scopes + _names(rule.get("name"))
                if "match" in rule:
                    assert m.end() > m.start(), f"empty match of {rule['match']!r} would loop"
                    self._capture(out, m, scopes, rule.get("captures"))
                else:
                    self._capture(out, m, scopes, rule.get("beginCaptures") or rule.get("captures"))
                    stack.append(_Frame(rule, rule["end"], scopes + _names(rule.get("contentName"))))
            stalls = stalls + 1 if m.end() == pos else 0
            assert stalls < 50, f"no progress at column {pos} of {line!r}"
            pos = m.end()
            if pos == len(line):
                break
        return out

    @staticmethod
    def _capture(out: list[tuple[str, ...]], m: Any, scopes: tuple[str, ...], captures: Rule | None) -> None:
        start, end = m.span()
        for i in range(start, end):
            out[i] = scopes
        for key, cap in sorted((captures or {}).items(), key=lambda kv: int(kv[0])):
            group = int(key)
            # A group that took no part in the match has offset -1 (onigurumacffi keeps them raw).
            if "name" not in cap or group >= len(m._begs) or m._begs[group] < 0:
                continue
            for i in range(*m.span(group)):
                out[i] = out[i] + _names(cap["name"])


def _names(name: str | None) -> tuple[str, ...]:
    return tuple(name.split()) if name else ()
