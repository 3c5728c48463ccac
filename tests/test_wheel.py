"""The built wheel carries the grammar and the stdlib, and works away from the
checkout: an editable install would hide a missing `force-include`."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the wheel once (no isolation: no download) and install it into a bare folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(tmp / "dist"), str(REPO)],
        check=True, capture_output=True, text=True, timeout=120,
    )
    (wheel,) = (tmp / "dist").glob("racesdsl-*.whl")
    site = tmp / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(site), str(wheel)],
        check=True, capture_output=True, text=True, timeout=120,
    )
    return wheel, site


def _installed_env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NO_COLOR")}
    env["PYTHONPATH"] = str(site)
    env["PYTHONNOUSERSITE"] = "1"
    return env


def test_wheel_contains_grammar_and_stdlib(wheel_site: tuple[Path, Path]) -> None:
    wheel, _ = wheel_site
    names = zipfile.ZipFile(wheel).namelist()
    assert "racesdsl/_data/races.lark" in names
    assert any(n.startswith("racesdsl/_data/specs/") and n.endswith(".races") for n in names), names
    assert "racesdsl/cli/__init__.py" in names and "racesdsl/cli/commands.py" in names
    assert "racesdsl/_data/diagnostics.json" in names  # what `racesdsl explain` prints


def test_installed_wheel_finds_its_grammar_and_parses(wheel_site: tuple[Path, Path], tmp_path: Path) -> None:
    _, site = wheel_site
    probe = (
        "import racesdsl, racesdsl.resources as r\n"
        "from racesdsl.syntax.parser import parse_text\n"
        "print(racesdsl.__file__)\n"
        "print(r.grammar_path())\n"
        "print(r.stdlib_dir())\n"
        "mod, diags = parse_text('type T = Int[1..2]')\n"
        "assert mod is not None and not diags, diags\n"
    )
    res = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=_installed_env(site),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    package, grammar, stdlib = (Path(line) for line in res.stdout.splitlines())
    site = site.resolve()
    for path in (package, grammar, stdlib):
        assert path.resolve().is_relative_to(site), f"{path} is not inside the installed wheel {site}"
    assert grammar.is_file() and stdlib.is_dir()


def test_installed_wheel_checks_its_own_stdlib(wheel_site: tuple[Path, Path], tmp_path: Path) -> None:
    """`python -m racesdsl check` works from the wheel alone, on the specs it ships."""
    _, site = wheel_site
    stdlib = site / "racesdsl" / "_data" / "specs"
    res = subprocess.run([sys.executable, "-m", "racesdsl", "check", "--format", "concise", str(stdlib)],
                         cwd=tmp_path, env=_installed_env(site), capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.rstrip().splitlines()[-1].startswith("Success: no issues found in ")


def test_installed_wheel_explains_a_code(wheel_site: tuple[Path, Path], tmp_path: Path) -> None:
    """`racesdsl explain` reads the text the wheel ships, not docs/ (which it lacks)."""
    _, site = wheel_site
    env = _installed_env(site)
    res = subprocess.run([sys.executable, "-m", "racesdsl", "explain", "E0310"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("E0310: output not assignable to input\n")
    assert "compose backwards = seq(total, sort_list)" in res.stdout
    here = subprocess.run([sys.executable, "-m", "racesdsl", "explain", "E0310"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert res.stdout == here.stdout
    missing = subprocess.run([sys.executable, "-m", "racesdsl", "explain", "E9999"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no diagnostic code" in missing.stderr


def test_installed_wheel_lists_its_own_stdlib(wheel_site: tuple[Path, Path], tmp_path: Path) -> None:
    """`racesdsl list` and `std.lists` name the specs inside the wheel, not the checkout's."""
    _, site = wheel_site
    env = _installed_env(site)
    where = subprocess.run([sys.executable, "-m", "racesdsl", "list", "--where"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve() == (site / "racesdsl" / "_data" / "specs").resolve()
    listed = subprocess.run([sys.executable, "-m", "racesdsl", "list", "std.lists"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("std.lists (<std>/lists.races)\n  env sort_list[")
