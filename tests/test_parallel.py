"""Sharded sampling gives the same bytes for any worker count and either engine
(racesdsl.parallel), and the pre-commit hooks (.pre-commit-hooks.yaml) are
well formed and run what they say (docs/ci.md)."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import racesdsl
from racesdsl import parallel
from racesdsl.integrations import export
from racesdsl.parallel import sample_rows
from racesdsl.runtime.env import ParamError

ROOT = Path(__file__).resolve().parent.parent
LISTS = ROOT / "specs" / "lists.races"
COMPOSITIONS = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
HOOKS = ROOT / ".pre-commit-hooks.yaml"

# (spec, env, n, seed): a base env and a depth-3 composite; n=600 gives the local
# engine two shards of 300 and the Ray engine eight of 75.
CASES = [(LISTS, "lists.sort_list", 600, 0), (COMPOSITIONS, "compositions.top3_sum", 600, 17)]
IDS = ["sort_list", "top3_sum"]


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    out = io.BytesIO()
    export.write(rows, out, "jsonl")
    return out.getvalue()


@pytest.fixture(scope="module")
def reference() -> dict[str, bytes]:
    """Each case's rows sampled one by one, without any sharding."""
    found = {}
    for spec, name, n, seed in CASES:
        env = racesdsl.load(spec)[name]
        found[name] = jsonl([env.sample(s).to_dict() for s in range(seed, seed + n)])
    return found


@pytest.fixture(scope="module")
def ray_engine() -> Iterator[Any]:
    """Ray, started by the first `engine="ray"` call and shut down after this module."""
    ray = pytest.importorskip("ray", reason="engine='ray' needs the `ray` extra: pip install 'racesdsl[ray]'")
    was_running = ray.is_initialized()
    yield ray
    if not was_running and ray.is_initialized():
        ray.shutdown()


# --------------------------------------------------------------- local engine


@pytest.mark.parametrize(("spec", "name", "n", "seed"), CASES, ids=IDS)
@pytest.mark.parametrize("workers", [1, 2])
def test_local_rows_are_identical_for_any_worker_count(reference, spec, name, n, seed, workers) -> None:
    rows = sample_rows([spec], [name], n, seed, {}, workers)
    assert len(rows) == n and [r["seed"] for r in rows] == list(range(seed, seed + n))
    assert jsonl(rows) == reference[name]


def test_local_several_envs_come_env_by_env_in_seed_order() -> None:
    names = ["lists.sort_list", "compositions.top3_sum"]
    one = sample_rows([LISTS, COMPOSITIONS], names, 520, 3, {}, 1)
    two = sample_rows([LISTS, COMPOSITIONS], names, 520, 3, {}, 2)
    assert jsonl(one) == jsonl(two)
    assert [(r["env"], r["seed"]) for r in two] == [(e, s) for e in names for s in range(3, 523)]


def test_small_runs_use_one_process(monkeypatch) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pool was started for fewer than _MIN_CHUNK instances per worker")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_pool)
    rows = sample_rows([LISTS], ["lists.sort_list"], parallel._MIN_CHUNK * 2 - 1, 0, {"n": 5}, workers=8)
    assert len(rows) == parallel._MIN_CHUNK * 2 - 1 and all(r["params"] == {"n": 5} for r in rows)


def test_bounds_cover_the_seeds_exactly() -> None:
    for n, shards in [(1, 1), (7, 3), (600, 8), (1000, 7)]:
        bounds = parallel._bounds(5, n, shards)
        assert len(bounds) == shards and bounds[0][0] == 5 and bounds[-1][1] == 5 + n
        assert all(hi > lo for lo, hi in bounds) and all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
        assert max(hi - lo for lo, hi in bounds) - min(hi - lo for lo, hi in bounds) <= 1


def test_unknown_engine_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown engine `dask`"):
        sample_rows([LISTS], ["lists.sort_list"], 3, 0, {}, 1, engine="dask")


def test_ray_engine_without_ray_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(ImportError, match=re.escape("racesdsl[ray]")):
        sample_rows([LISTS], ["lists.sort_list"], 3, 0, {}, 1, engine="ray")


class FakeRay:
    """Stands in for `ray` where only `ray.init`'s arguments matter."""

    def __init__(self, error: str | None) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []
        self.ready = False

    def is_initialized(self) -> bool:
        return self.ready

    def init(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        if self.error and "num_cpus" in kwargs:
            raise ValueError(self.error)
        self.ready = True


def test_ray_starts_with_workers_cpus_or_joins_an_existing_cluster(monkeypatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    fresh = FakeRay(None)
    parallel._start_ray(fresh, 3)
    parallel._start_ray(fresh, 3)  # initialised: left alone
    assert fresh.calls == [{"num_cpus": 3, "include_dashboard": False, "ignore_reinit_error": True,
                            "log_to_driver": False}]
    joined = FakeRay("When connecting to an existing cluster, num_cpus and num_gpus must not be provided.")
    parallel._start_ray(joined, 3)
    assert [sorted(c) for c in joined.calls] == [
        ["ignore_reinit_error", "include_dashboard", "log_to_driver", "num_cpus"],
        ["ignore_reinit_error", "include_dashboard", "log_to_driver"]]
    with pytest.raises(ValueError, match="something else"):
        parallel._start_ray(FakeRay("something else"), 3)


def test_ray_joins_the_cluster_ray_address_names(monkeypatch) -> None:
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
    joined = FakeRay(None)
    parallel._start_ray(joined, 3)
    assert joined.calls == [{"address": "ray://head:10001", "include_dashboard": False, "ignore_reinit_error": True,
                             "log_to_driver": False}]  # no num_cpus: the cluster has its own size


# ----------------------------------------------------------------- ray engine


@pytest.mark.parametrize(("spec", "name", "n", "seed"), CASES, ids=IDS)
def test_ray_rows_match_the_local_engine(ray_engine, reference, spec, name, n, seed) -> None:
    rows = sample_rows([spec], [name], n, seed, {}, 2, engine="ray")
    assert jsonl(rows) == reference[name]
    assert jsonl(rows) == jsonl(sample_rows([spec], [name], n, seed, {}, 2))


def test_ray_handles_relative_paths_params_and_several_envs(ray_engine, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    names = ["lists.sort_list", "compositions.top3_sum"]
    paths = ["specs/lists.races", str(COMPOSITIONS.relative_to(ROOT))]
    ray_rows = sample_rows(paths, names, 301, 9, {}, 2, engine="ray")
    assert jsonl(ray_rows) == jsonl(sample_rows(paths, names, 301, 9, {}, 1))
    one = sample_rows(["specs/lists.races"], ["lists.sort_list"], 70, 0, {"n": 7}, 3, engine="ray")
    assert all(len(r["input"]["xs"]) == 7 for r in one) and [r["seed"] for r in one] == list(range(70))
    assert sample_rows(paths, names, 0, 0, {}, 2, engine="ray") == []


def test_ray_reports_the_tasks_own_exception(ray_engine) -> None:
    with pytest.raises(ParamError, match="999") as local:
        sample_rows([LISTS], ["lists.sort_list"], 600, 0, {"n": 999}, 2)
    with pytest.raises(ParamError) as remote:
        sample_rows([LISTS], ["lists.sort_list"], 600, 0, {"n": 999}, 2, engine="ray")
    assert str(remote.value) == str(local.value)


# ------------------------------------------------------------ pre-commit hooks


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(part) for part in text[1:-1].split(",") if part.strip()]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return json.loads(text) if text[0] == '"' else text[1:-1].replace("''", "'")
    return {"true": True, "false": False, "null": None, "~": None}.get(text, text)


def read_hooks(text: str) -> list[dict[str, Any]]:
    """The YAML subset a hooks file needs: a list of flat mappings whose values are
    plain or quoted scalars or flow lists, with `#` comments on their own lines."""
    hooks: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("- "):
            hooks.append({})
            line = "  " + line[2:]
        match = re.fullmatch(r"  ([A-Za-z_]+): (.*)", line)
        if not match or not hooks or match[1] in hooks[-1]:
            raise ValueError(f"line {number}: not in the supported YAML subset: {line!r}")
        hooks[-1][match[1]] = _scalar(match[2])
    return hooks


@pytest.fixture(scope="module")
def hooks() -> dict[str, dict[str, Any]]:
    found = read_hooks(HOOKS.read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in found}


def test_hooks_file_declares_every_hook(hooks) -> None:
    assert set(hooks) == {"racesdsl-check", "racesdsl-compile-check", "racesdsl-fmt"}
    for hook in hooks.values():
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert hook["language"] == "python" and hook["entry"].split()[0] == "racesdsl"
        assert re.search(hook["files"], "specs/lists.races") and not re.search(hook["files"], "lists.races.bak")
    assert hooks["racesdsl-check"]["entry"] == "racesdsl check"
    assert hooks["racesdsl-fmt"]["entry"] == "racesdsl fmt" and hooks["racesdsl-fmt"]["pass_filenames"] is True
    assert hooks["racesdsl-check"]["pass_filenames"] is True
    assert hooks["racesdsl-compile-check"]["entry"] == "racesdsl compile --check"
    assert hooks["racesdsl-compile-check"]["pass_filenames"] is False


def test_hooks_file_reads_the_same_with_pyyaml() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML cross-checks the tiny reader when it is installed")
    assert yaml.safe_load(HOOKS.read_text(encoding="utf-8")) == read_hooks(HOOKS.read_text(encoding="utf-8"))


def test_tiny_reader_rejects_what_it_does_not_understand() -> None:
    assert read_hooks("- id: a\n  args: [-o, 'b c', \"d\"]\n  x: true\n") == [
        {"id": "a", "args": ["-o", "b c", "d"], "x": True}]
    for bad in ("id: a\n", "- id: a\n  id: b\n", "- id: a\n    nested: b\n"):
        with pytest.raises(ValueError):
            read_hooks(bad)


def run_hook(hook: dict[str, Any], args: list[str], files: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a hook as pre-commit does: entry + args (+ the files when pass_filenames)."""
    entry = shlex.split(hook["entry"])
    assert entry[0] == "racesdsl"
    command = [sys.executable, "-m", "racesdsl", *entry[1:], *args, *(files if hook.get("pass_filenames", True) else [])]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_check_hook_passes_clean_specs_and_fails_broken_ones(hooks, tmp_path: Path) -> None:
    broken = tmp_path / "broken.races"
    broken.write_text("use std.lists.{sort_list, take_first, total}\n\n"
                      "compose top3_sum = seq(sort_list, take_first(k=3), total)\n", encoding="utf-8")
    ok = run_hook(hooks["racesdsl-check"], [], [str(LISTS), str(COMPOSITIONS)], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run_hook(hooks["racesdsl-check"], ["--format", "github"], [str(LISTS), "broken.races"], tmp_path)
    assert bad.returncode == 1 and "::error file=broken.races,line=3" in bad.stdout, bad.stdout


def test_compile_check_hook_fails_on_a_stale_package(hooks, tmp_path: Path) -> None:
    hook = hooks["racesdsl-compile-check"]
    args = ["-o", "build", "--package", "envs", str(LISTS)]
    assert run_hook(hook, args, [], tmp_path).returncode == 1  # nothing compiled yet
    made = subprocess.run([sys.executable, "-m", "racesdsl", "compile", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    fresh = run_hook(hook, args, [str(COMPOSITIONS)], tmp_path)  # files are not passed: none are read
    assert fresh.returncode == 0 and "up to date" in fresh.stdout, fresh.stdout + fresh.stderr
    module = next((tmp_path / "build" / "envs").glob("*.py"))
    module.write_text(module.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    stale = run_hook(hook, args, [], tmp_path)
    assert stale.returncode == 1 and "stale: " in stale.stdout


SAMPLE_UNDER = """
import json, multiprocessing, sys
if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1], force=True)
    from racesdsl.parallel import sample_rows, selftest
    rows = sample_rows([sys.argv[2]], ["lists.sort_list", "numbers.gcd2"], 300, 3, {}, 2)
    report = selftest([sys.argv[2]], ["lists.sort_list", "numbers.gcd2"] * 4, 3, 2)
    print(json.dumps([rows, report.ok, [e.n_checks for e in report.envs]]))
"""


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_worker_pools_give_the_same_output_under_any_start_method(tmp_path: Path, method: str) -> None:
    """Python 3.14 makes forkserver the default on Linux: worker pools must not rely on fork."""
    script = tmp_path / "under.py"
    script.write_text(SAMPLE_UNDER, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), method, str(ROOT / "specs")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows, ok, checks = json.loads(run.stdout)
    assert rows == sample_rows([ROOT / "specs"], ["lists.sort_list", "numbers.gcd2"], 300, 3, {}, 1)
    assert ok and len(checks) == 8 and all(checks)
