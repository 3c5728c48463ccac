"""The self-test's report: issues per env, JSON, and the plain-text table
(`racesdsl test --format table|json`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["EnvReport", "Issue", "Report", "cut", "render_table", "where"]


@dataclass(frozen=True)
class Issue:
    """A failure or warning. `env.sample(seed)` reproduces it, with the params the message
    names for `param_ends` ("at n=1: ..."); seed None: not tied to one seed."""

    check: str
    seed: int | None
    message: str


@dataclass
class EnvReport:
    """What the self-test found for one env; `checks` counts runs per check (one per seed)."""

    env: str
    checks: Counter[str] = field(default_factory=Counter)
    failures: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    seconds: float = 0.0
    alternatives: int = 0  # near misses a `verify check` accepted: valid alternatives, skipped

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def n_checks(self) -> int:
        return sum(self.checks.values())

    def to_json(self) -> dict[str, Any]:
        out = {"env": self.env, "ok": self.ok, "checks": dict(self.checks), "seconds": round(self.seconds, 4),
               "failures": list(map(asdict, self.failures)), "warnings": list(map(asdict, self.warnings))}
        return out | ({"alternatives": self.alternatives} if self.alternatives else {})


@dataclass
class Report:
    """The self-test of several envs; `ok` when none has a failure (warnings allowed)."""

    envs: list[EnvReport]
    seeds: int
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.envs)

    @property
    def n_checks(self) -> int:
        return sum(e.n_checks for e in self.envs)

    @property
    def n_failures(self) -> int:
        return sum(len(e.failures) for e in self.envs)

    @property
    def n_warnings(self) -> int:
        return sum(len(e.warnings) for e in self.envs)

    def to_json(self) -> dict[str, Any]:
        summary = {"envs": len(self.envs), "checks": self.n_checks, "failures": self.n_failures,
                   "warnings": self.n_warnings}
        return {"ok": self.ok, "seeds": self.seeds, "seconds": round(self.seconds, 3), "summary": summary,
                "envs": [e.to_json() for e in self.envs]}


def render_table(report: Report) -> str:
    """A plain-text table, one row per env, then the summary line."""
    rows = [("env", "checks", "failures", "warnings", "first failure")]
    for e in report.envs:
        first = e.failures[0] if e.failures else e.warnings[0] if e.warnings else None
        note = "" if first is None else ("" if e.failures else "warning: ") + where(first)
        rows.append((e.env, str(e.n_checks), str(len(e.failures)), str(len(e.warnings)), cut(note, 160)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join([*(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)), r[4]]).rstrip() for r in rows]
    lines.insert(1, "-" * min(max(map(len, lines)), 120))
    alternatives = sum(e.alternatives for e in report.envs)
    lines.append(f"{len(report.envs)} envs, {report.n_checks} checks, {report.n_failures} failures, "
                 f"{report.n_warnings} warnings"
                 + (f", {alternatives} near misses skipped as valid alternatives (verify check)" if alternatives else ""))
    return "\n".join(lines)


def where(issue: Issue) -> str:
    seed = "" if issue.seed is None else f" (seed {issue.seed})"
    return f"{issue.check}{seed}: {issue.message}"


def cut(s: str, limit: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 3] + "..."
