"""`racesdsl new NAME`: the scaffold checks, self-tests and passes its own pytest file
out of the box, its pre-commit config names this repository's hooks, and nothing is
ever overwritten."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from racesdsl.cli import app

ROOT = Path(__file__).resolve().parent.parent
FILES = ("demo.races", "test_demo.py", ".pre-commit-config.yaml")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("new")
    res = run("-m", "racesdsl", "new", "demo", cwd=cwd)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[:3] == [f"created demo/{f}" for f in FILES]
    return cwd / "demo"


def test_new_writes_the_module_its_test_and_a_pre_commit_config(scaffold: Path) -> None:
    assert sorted(p.name for p in scaffold.iterdir()) == sorted(FILES)


def test_the_scaffold_checks_clean_and_self_tests_green(scaffold: Path) -> None:
    checked = run("-m", "racesdsl", "check", "demo", cwd=scaffold.parent)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout == "Success: no issues found in 1 file\n"
    tested = run("-m", "racesdsl", "test", "demo", "--strict", "--seeds", "30", "--workers", "1",
                 cwd=scaffold.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.splitlines()[-1].startswith("1 envs, ") and " 0 failures, 0 warnings" in tested.stdout


def test_the_scaffolds_own_pytest_passes(scaffold: Path) -> None:
    res = run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=scaffold)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "3 passed" in res.stdout


def test_the_scaffolds_pytest_fails_when_its_spec_breaks(scaffold: Path, tmp_path: Path) -> None:
    """The generated tests are real: a solver that disagrees with the output type fails them."""
    broken = tmp_path / "demo"
    broken.mkdir()
    for name in FILES:
        (broken / name).write_text((scaffold / name).read_text(encoding="utf-8"), encoding="utf-8")
    spec = broken / "demo.races"
    spec.write_text(spec.read_text(encoding="utf-8").replace('if c in "aeiou"', 'if c in "aeiou"] + [1'),
                    encoding="utf-8")
    res = run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=broken)
    assert res.returncode == 1, res.stdout
    assert "failed" in res.stdout


def test_the_pre_commit_config_uses_this_repositorys_hooks(scaffold: Path) -> None:
    config = yaml.safe_load((scaffold / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    (repo,) = config["repos"]
    from racesdsl import __version__

    assert repo["rev"] == f"v{__version__}"
    ids = [h["id"] for h in repo["hooks"]]
    assert ids and set(ids) <= set(hooks)
    for hook_id in ids:  # run each hook as pre-commit would, on the scaffold's files
        entry = shlex.split(hooks[hook_id]["entry"])
        assert entry[0] == "racesdsl"
        res = run("-m", "racesdsl", *entry[1:], "demo.races", cwd=scaffold)
        assert res.returncode == 0, res.stdout + res.stderr


def test_new_never_overwrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "test_demo.py").write_text("mine\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["new", "demo"])
    assert res.exit_code == 2
    assert res.stderr.strip() == "racesdsl: demo/test_demo.py already exists; nothing was written"
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["test_demo.py"]
    assert (tmp_path / "demo" / "test_demo.py").read_text(encoding="utf-8") == "mine\n"


def test_new_into_a_nested_folder_names_the_module_after_the_last_part(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["new", str(tmp_path / "a" / "b" / "tasks")])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "a" / "b" / "tasks").iterdir()) == sorted(
        ["tasks.races", "test_tasks.py", ".pre-commit-config.yaml"])
    assert "with_name('tasks.races')" in (tmp_path / "a" / "b" / "tasks" / "test_tasks.py").read_text()


@pytest.mark.parametrize(("name", "why"), [
    ("9lives", "is not an identifier"), ("my-envs", "is not an identifier"), ("env", "is a reserved word"),
    ("class", "is a reserved word"), ("std", "is a reserved word"),
])
def test_names_that_cannot_name_a_module_exit_2(tmp_path: Path, name: str, why: str) -> None:
    res = CliRunner().invoke(app, ["new", str(tmp_path / name)])
    assert res.exit_code == 2
    assert why in res.stderr
    assert not (tmp_path / name).exists()


def test_a_file_in_the_way_exits_2(tmp_path: Path) -> None:
    (tmp_path / "demo").write_text("", encoding="utf-8")
    res = CliRunner().invoke(app, ["new", str(tmp_path / "demo")])
    assert res.exit_code == 2 and "is a file, not a folder" in res.stderr


def test_a_write_that_fails_midway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk on the last file: the files already written are removed, exit 2."""
    import errno

    real_open = Path.open

    def failing_open(self: Path, *args, **kwargs):
        if self.name == ".pre-commit-config.yaml":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", failing_open)
    res = CliRunner().invoke(app, ["new", str(tmp_path / "demo")])
    assert res.exit_code == 2
    assert "No space left on device" in res.stderr
    assert list((tmp_path / "demo").iterdir()) == []
