"""Python bindings (`solve python "mod:fn"` and friends): a module's identity is
its file, in `load()` and in compiled packages alike; failing and printing
hooks are reported as spec errors and kept out of the data on stdout."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.runtime.bindings import BindingError, folder_package, import_ref

REPO = Path(__file__).resolve().parent.parent

SPEC = '''\
env add "Add the folder's offset." {
    input x: Int[0..9]
    output Int[0..99]
    prompt """What is {{ x }} plus the offset?"""
    solve python "helpers:solve"
}
'''

# helpers.py imports a sibling both ways, at import time and inside the solver.
HELPERS = '''\
import helpers2
from helpers2 import OFFSET


def solve(x):
    import helpers2 as again

    assert again is helpers2
    return x + OFFSET + helpers2.EXTRA
'''


def _folder(root: Path, name: str, offset: int) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "spec.races").write_text(SPEC, encoding="utf-8")
    (folder / "helpers.py").write_text(HELPERS, encoding="utf-8")
    (folder / "helpers2.py").write_text(f"OFFSET = {offset}\nEXTRA = 0\n", encoding="utf-8")
    return folder


def test_same_module_name_in_two_folders_stays_two_modules(tmp_path: Path) -> None:
    a, b = _folder(tmp_path, "a", 10), _folder(tmp_path, "b", 50)
    env_a = racesdsl.load(a / "spec.races")["add"]
    env_b = racesdsl.load(b / "spec.races")["add"]
    for seed in range(5):
        x = env_a.sample(seed).input["x"]
        assert env_a.sample(seed).answer == x + 10
        assert env_b.sample(seed).answer == env_b.sample(seed).input["x"] + 50
    # Loading in the other order changes nothing, and nothing leaks onto sys.path.
    assert racesdsl.load(b / "spec.races")["add"].sample(0).answer == env_b.sample(0).answer
    assert str(a) not in sys.path and str(b) not in sys.path
    assert "helpers" not in sys.modules and "helpers2" not in sys.modules


def test_module_names_are_deterministic_per_real_path(tmp_path: Path) -> None:
    a = _folder(tmp_path, "a", 1)
    (tmp_path / "link").symlink_to(a)
    assert folder_package(str(a)) == folder_package(str(tmp_path / "link"))
    assert folder_package(str(a)) != folder_package(str(tmp_path))
    fn = import_ref("helpers:solve", str(a))
    assert import_ref("helpers:solve", str(tmp_path / "link")) is fn  # one module per file, cached
    assert fn.__module__ == folder_package(str(a)) + ".helpers"


def test_packages_and_relative_imports_in_the_folder(tmp_path: Path) -> None:
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "rules.py").write_text("from . import consts\n\ndef apply(x):\n    return x * consts.K\n",
                                  encoding="utf-8")
    (pkg / "consts.py").write_text("K = 3\n", encoding="utf-8")
    assert import_ref("mypkg.rules:apply", str(tmp_path))(4) == 12


def test_installed_modules_are_still_found(tmp_path: Path) -> None:
    """A folder without the module falls back to sys.path (docs/language.md, Python references)."""
    assert import_ref("math:sqrt", str(tmp_path)) is __import__("math").sqrt
    with pytest.raises(BindingError, match="nothere"):
        import_ref("nothere:fn", str(tmp_path))


def test_compiled_packages_resolve_bindings_per_folder(tmp_path: Path) -> None:
    """Two compiled packages, each carrying its own helpers.py: each uses its own."""
    envs = []
    for name, offset in (("pa", 7), ("pb", 70)):
        src = _folder(tmp_path, f"src_{name}", offset)
        out = tmp_path / f"out_{name}"
        write_files(package_files(check_paths([src / "spec.races"]).program, name), out)
        for helper in ("helpers.py", "helpers2.py"):
            (out / name / helper).write_text((src / helper).read_text(encoding="utf-8"), encoding="utf-8")
        sys.path.insert(0, str(out))
        try:
            envs.append(importlib.import_module(name).get("add"))
        finally:
            sys.path.remove(str(out))
    inst_a, inst_b = envs[0].sample(3), envs[1].sample(3)
    assert inst_a.answer == inst_a.input["x"] + 7
    assert inst_b.answer == inst_b.input["x"] + 70


# ------------------------------------------------------------- the command line

HOOKED = '''\
env noisy "Echo a number a chatty sampler drew." {
    input x: Int[0..9]
    output Int[0..9]
    sample python "hooks:sample"
    prompt """Repeat {{ x }}."""
    solve python "hooks:solve"
}

env broken "A sampler that fails." {
    input x: Int[0..9]
    output Int[0..9]
    sample python "hooks:broken"
    prompt """Repeat {{ x }}."""
    solve x
}
'''

HOOKS = '''\
import os

print("hooks imported")


def sample(rng, **params):
    print("drawing")
    os.write(1, b"straight to fd 1\\n")
    return rng.randint(0, 9)


def solve(x):
    print("solving", x)
    return x


def broken(rng, **params):
    raise RuntimeError("the sampler fell over")
'''


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "racesdsl", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def hooked(tmp_path: Path) -> Path:
    (tmp_path / "hooked.races").write_text(HOOKED, encoding="utf-8")
    (tmp_path / "hooks.py").write_text(HOOKS, encoding="utf-8")
    return tmp_path


def test_printing_hooks_do_not_corrupt_sample_output(hooked: Path) -> None:
    res = _cli("sample", "hooked.races:noisy", "-n", "3", cwd=hooked)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["seed"] for r in rows] == [0, 1, 2]
    assert "hooks imported" in res.stderr and "straight to fd 1" in res.stderr and "solving" in res.stderr


def test_printing_hooks_do_not_corrupt_sample_output_with_workers(hooked: Path) -> None:
    res = _cli("sample", "hooked.races:noisy", "-n", "600", "--workers", "2", cwd=hooked)
    assert res.returncode == 0, res.stderr
    assert len([json.loads(line) for line in res.stdout.splitlines()]) == 600


def test_printing_verifier_does_not_corrupt_verify_output(hooked: Path) -> None:
    row = _cli("sample", "hooked.races:noisy", "-n", "1", cwd=hooked).stdout
    (hooked / "row.json").write_text(row, encoding="utf-8")
    answer = json.loads(row)["answer"]
    (hooked / "completion.txt").write_text(f"<answer>{answer}</answer>", encoding="utf-8")
    res = _cli("verify", "hooked.races:noisy", "--instance", "row.json", "--completion", "completion.txt",
               cwd=hooked)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["value"] == 1.0


def test_a_failing_python_sampler_is_a_spec_error(hooked: Path) -> None:
    res = _cli("sample", "hooked.races:broken", "-n", "2", "--seed", "5", cwd=hooked)
    assert res.returncode == 1, res.stderr
    assert "broken" in res.stderr and "seed 5" in res.stderr and "the sampler fell over" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_failing_python_sampler_raises_sampling_error(hooked: Path) -> None:
    from racesdsl.runtime.values import SamplingError

    env = racesdsl.load(hooked / "hooked.races")["broken"]
    with pytest.raises(SamplingError, match=r"broken: the custom sampler raised RuntimeError.*seed 4"):
        env.sample(4)


def test_a_binding_module_that_fails_to_import_is_a_spec_error(hooked: Path) -> None:
    (hooked / "badmod.py").write_text("raise RuntimeError('no import for you')\n", encoding="utf-8")
    (hooked / "bad.races").write_text(HOOKED.split("env broken")[0].replace("hooks:solve", "badmod:solve"),
                                      encoding="utf-8")
    res = _cli("sample", "bad.races:noisy", "-n", "1", cwd=hooked)
    assert res.returncode == 1, res.stderr
    assert "badmod" in res.stderr and "no import for you" in res.stderr and "Traceback" not in res.stderr
    (hooked / "row.json").write_text('{"seed": 0, "params": {}}\n', encoding="utf-8")
    (hooked / "completion.txt").write_text("<answer>1</answer>", encoding="utf-8")
    res = _cli("verify", "bad.races:noisy", "--instance", "row.json", "--completion", "completion.txt", cwd=hooked)
    assert res.returncode == 1 and "no import for you" in res.stderr, res.stderr
