"""What keeps `check` linear in its input (issue 15): no work repeated per `use`,
and the cyclic GC paused for the check and restored after it, whatever happens."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from racesdsl.check.pipeline import check_paths
from racesdsl.errors import InputError

ECHO = """env echo "Repeat a digit." {
    input x: Int[0..9]
    output Int[0..9]
    prompt \"\"\"Repeat {{ x }}.\"\"\"
    solve x
}
"""


def test_a_module_used_by_many_is_located_and_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import racesdsl.check.resolve as R

    (tmp_path / "digits.races").write_text(ECHO, encoding="utf-8")
    for i in range(12):
        (tmp_path / f"user{i}.races").write_text(
            f"use digits\nuse digits as d{i}\ncompose c{i} = seq(digits.echo, d{i}.echo)\n", encoding="utf-8")
    stats: list[Path] = []
    parsed: list[str] = []
    real_is_file, real_parse = Path.is_file, R.parse_text
    monkeypatch.setattr(Path, "is_file", lambda self: stats.append(self) or real_is_file(self))
    monkeypatch.setattr(R, "parse_text", lambda text, file, module: parsed.append(module) or real_parse(text, file, module))
    result = check_paths([tmp_path])
    assert result.ok and len(result.program.composites) == 12
    assert sorted(parsed) == sorted(["digits", *(f"user{i}" for i in range(12))])
    assert [p.name for p in stats].count("digits.races") == 1  # 24 `use`s, one stat


def test_a_module_missing_for_many_uses_is_reported_at_each(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"user{i}.races").write_text("use digitz\n", encoding="utf-8")
    (tmp_path / "digits.races").write_text(ECHO, encoding="utf-8")
    result = check_paths([tmp_path])
    unknown = [d for d in result.diagnostics if d.code == "E0201"]
    assert len(unknown) == 3 and all(d.help == "did you mean `digits`?" for d in unknown)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_gc_state_is_restored_after_a_check(tmp_path: Path, enabled: bool) -> None:
    (tmp_path / "digits.races").write_text(ECHO, encoding="utf-8")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        check_paths([tmp_path])
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            check_paths([tmp_path / "missing.races"])
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
