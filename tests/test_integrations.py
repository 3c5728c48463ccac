"""RL-stack integrations: exported rows round-trip through Parquet and JSON lines,
and the verl / TRL reward functions score every reference answer 1.0 and
garbage 0.0, without ever raising (docs/integrations.md)."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl import loader
from racesdsl.integrations import export, registry
from racesdsl.integrations.registry import Registry, RegistryError, UnknownEnvironment, default_registry
from racesdsl.integrations.trl import completion_text, make_reward_function, reward_function
from racesdsl.integrations.verl import PART_KEYS, compute_score, make_compute_score

# Rows naming no known env score 0 here on purpose; that they also warn (once) is
# tests/test_reward_sources.py's subject.
pytestmark = pytest.mark.filterwarnings("ignore::racesdsl.integrations.registry.MissingEnvironmentWarning")

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
COMPOSITIONS = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
BASE = ["lists.sort_list", "numbers.gcd2", "strings.reverse_string", "strings.is_palindrome",
        "graphs.complement_graph", "dates.day_of_week"]
COMPOSITES = ["compositions.top3_sum", "compositions.nested", "compositions.planner", "compositions.two_tasks",
              "compositions.shuffled", "compositions.gcd_pair"]
N = 50


@pytest.fixture(scope="module")
def program() -> loader.Program:
    paths = [SPECS / f"{m}.races" for m in ("lists", "numbers", "strings", "graphs", "dates")]
    return racesdsl.load([*paths, COMPOSITIONS])


@pytest.fixture
def pq():
    """pyarrow.parquet, for the Parquet tests only: without the extra the reward tests still run."""
    return pytest.importorskip("pyarrow.parquet", reason="Parquet needs the parquet extra (in dev)")


@pytest.fixture
def specs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reward functions find the composites through RACESDSL_SPECS (the stdlib on its own)."""
    monkeypatch.setenv(registry.ENV_SPECS, str(COMPOSITIONS))
    monkeypatch.delenv(registry.ENV_PACKAGES, raising=False)


def reference(program: loader.Program, env: str, seed: int, params: dict) -> str:
    e = program[env]
    inst = e.sample(seed, **params)
    return e.render_answer(inst.answer, **inst.params)


# ------------------------------------------------------------------- verl


def test_verl_parquet_round_trip_scores_references_one(program, specs_env, tmp_path: Path, pq) -> None:
    path = tmp_path / "train.parquet"
    written = export.write(export.rows(program, BASE + COMPOSITES, N, seed=100, schema="verl"), path, "parquet")
    assert written == N * len(BASE + COMPOSITES)
    table = pq.read_table(path)
    assert table.column_names == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    keys = None
    for row in table.to_pylist():
        info = row["extra_info"]
        assert row["data_source"] == "racesdsl/" + info["env"]
        assert row["ability"] == info["env"].split(".")[0]
        assert row["prompt"][0]["role"] == "user" and row["reward_model"]["style"] == "rule"
        params = json.loads(info["params"])
        assert program[info["env"]].sample(info["seed"], **params).id == info["id"]
        good = reference(program, info["env"], info["seed"], params)
        # The keyword call verl's reward managers make, and the positional order of its signature.
        result = compute_score(data_source=row["data_source"], solution_str=good,
                               ground_truth=row["reward_model"]["ground_truth"], extra_info=info)
        assert result["score"] == 1.0 and result["acc"] == 1.0, (info, result)
        bad = compute_score(row["data_source"], "I am not sure.", row["reward_model"]["ground_truth"], info)
        assert bad["score"] == 0.0 and bad["reason"]
        keys = keys or list(result)
        assert list(result) == list(bad) == keys  # one value a row for every reward_extra_info key
    assert keys == ["score", "acc", "reason", *(f"part_{i}" for i in range(1, PART_KEYS + 1))]


def test_verl_reports_composite_parts(program, specs_env) -> None:
    (row,) = export.rows(program, ["compositions.top3_sum"], 1, seed=3, schema="verl")
    info = row["extra_info"]
    good = reference(program, info["env"], info["seed"], json.loads(info["params"]))
    result = compute_score(row["data_source"], good, row["reward_model"]["ground_truth"], info)
    assert [result[f"part_{i}"] for i in (1, 2, 3)] == [1.0, 1.0, 1.0]
    assert all(math.isnan(result[f"part_{i}"]) for i in range(4, PART_KEYS + 1))
    (base,) = export.rows(program, ["lists.sort_list"], 1, schema="verl")
    assert math.isnan(compute_score(base["data_source"], "x", "[]", base["extra_info"])["part_1"])
    assert len(compute_score(base["data_source"], "x", "[]", base["extra_info"], part_keys=2)) == 5


def test_verl_falls_back_to_ground_truth_and_never_raises(program, specs_env) -> None:
    (row,) = export.rows(program, ["lists.sort_list"], 1, seed=9, schema="verl")
    info, truth = row["extra_info"], row["reward_model"]["ground_truth"]
    good = reference(program, "lists.sort_list", 9, json.loads(info["params"]))
    assert compute_score(row["data_source"], good, truth)["score"] == 1.0  # no extra_info
    assert compute_score(row["data_source"], good, truth, {**info, "seed": "x"})["score"] == 1.0
    assert compute_score(row["data_source"], good, truth, ["not", "a", "dict"])["score"] == 1.0
    # The spec changed since export: the exported answer is what the prompt asked for.
    drift = compute_score(row["data_source"], "<answer>[1, 2, 3, 4, 5, 6]</answer>", "[1, 2, 3, 4, 5, 6]", info)
    assert drift["score"] == 1.0 and "exported" in drift["reason"]
    # A composite cannot be verified without its instance; a bad name is a reason, not an error.
    (comp,) = export.rows(program, ["compositions.top3_sum"], 1, schema="verl")
    assert compute_score(comp["data_source"], "x", comp["reward_model"]["ground_truth"])["score"] == 0.0
    unknown = compute_score("racesdsl/nowhere.nothing", good, truth, {"env": "nowhere.nothing", "seed": 1})
    assert unknown["score"] == 0.0 and "unknown environment" in unknown["reason"]
    for args in [(None, None, None, None), (1, 2, 3, 4), ("racesdsl/lists.sort_list", good, "{bad json", info),
                 ("racesdsl/lists.sort_list", None, truth, info), ("", "", "", {})]:
        result = compute_score(*args)
        assert set(result) >= {"score", "reason"} and 0.0 <= result["score"] <= 1.0
    custom = make_compute_score(specs=[COMPOSITIONS])
    assert custom.__name__ == "compute_score"
    assert custom(comp["data_source"], "x", comp["reward_model"]["ground_truth"], comp["extra_info"])["score"] == 0.0


def test_verl_reward_kwargs_choose_the_sources(program, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(registry.ENV_SPECS, raising=False)
    (row,) = export.rows(program, ["compositions.nested"], 1, seed=4, schema="verl")
    info = row["extra_info"]
    good = reference(program, info["env"], 4, json.loads(info["params"]))
    assert compute_score(row["data_source"], good, row["reward_model"]["ground_truth"], info)["score"] == 0.0
    result = compute_score(row["data_source"], good, row["reward_model"]["ground_truth"], info,
                           specs=[str(COMPOSITIONS)])
    assert result["score"] == 1.0


# -------------------------------------------------------------------- TRL


def test_trl_reward_function_scores_references_and_garbage(program, specs_env, tmp_path: Path, pq) -> None:
    path = tmp_path / "trl.parquet"
    export.write(export.rows(program, BASE + COMPOSITES, N, seed=7, schema="trl"), path, "parquet")
    columns = pq.read_table(path).to_pydict()
    assert set(columns) == {"prompt", "env", "seed", "params", "answer", "id", "lineage"}
    refs = [reference(program, e, s, json.loads(p)) for e, s, p in
            zip(columns["env"], columns["seed"], columns["params"], strict=True)]
    extra = {k: v for k, v in columns.items() if k != "prompt"}
    chats = [[{"role": "assistant", "content": r}] for r in refs]
    # The keyword call GRPOTrainer makes: every other column, plus its own extras.
    assert reward_function(prompts=columns["prompt"], completions=refs, completion_ids=[[1]] * len(refs),
                           trainer_state=None, **extra) == [1.0] * len(refs)
    assert reward_function(columns["prompt"], chats, **extra) == [1.0] * len(refs)
    assert reward_function(columns["prompt"], ["no idea"] * len(refs), **extra) == [0.0] * len(refs)
    named = make_reward_function(specs=[COMPOSITIONS], name="races")
    assert named.__name__ == "races"
    assert named(None, chats[:5], **{k: v[:5] for k, v in extra.items()}) == [1.0] * 5


def test_trl_reward_function_never_raises(program, specs_env) -> None:
    rows = list(export.rows(program, ["lists.sort_list"], 3, schema="trl"))
    cols = {k: [r[k] for r in rows] for k in ("env", "seed", "params", "answer")}
    good = [reference(program, "lists.sort_list", r["seed"], json.loads(r["params"])) for r in rows]
    assert reward_function(None, good) == [0.0, 0.0, 0.0]  # no columns
    weird = [None, 42, [{"role": "user"}]]
    assert reward_function(None, weird, **cols) == [0.0, 0.0, 0.0]
    broken = {**cols, "seed": ["x", None, 2.5], "params": ["{", None, "[]"]}
    assert reward_function(None, good, **broken) == [1.0, 1.0, 1.0]  # scored against the answer column
    assert reward_function(None, good, env=cols["env"][:1], seed=cols["seed"]) == [1.0, 0.0, 0.0]
    assert reward_function(None, None) == []


def test_completion_text_takes_the_last_assistant_message() -> None:
    chat = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"},
            {"role": "assistant", "content": [{"type": "text", "text": "b"}, {"type": "text", "text": "c"}]}]
    assert completion_text(chat) == "bc"
    assert completion_text("plain") == "plain"
    assert completion_text({"role": "assistant", "content": "d"}) == "d"
    assert completion_text(7) is None


# ----------------------------------------------------------- splits, bytes


def test_splits_are_disjoint_and_deterministic(program) -> None:
    split = {"train": 0.8, "test": 0.2}
    first = list(export.rows(program, BASE, 200, seed=0, schema="verl", split=split))
    again = list(export.rows(program, BASE, 200, seed=0, schema="verl", split=split))
    assert first == again
    groups = export.by_split(first)
    assert list(groups) == ["train", "test"]
    for env in BASE:
        seeds = {name: {r["extra_info"]["seed"] for r in g if r["extra_info"]["env"] == env}
                 for name, g in groups.items()}
        assert seeds["train"] and seeds["test"] and not seeds["train"] & seeds["test"]
        assert len(seeds["train"]) + len(seeds["test"]) == 200
    assert 0.7 < len(groups["train"]) / len(first) < 0.9
    # Assignment depends on (env, seed) only: a different base seed keeps each seed's split.
    shifted = export.rows(program, ["lists.sort_list"], 10, seed=5, schema="trl", split=split)
    for row in shifted:
        assert row["split"] == export.assign_split("lists.sort_list", row["seed"], split)
    assert export.assign_split("lists.sort_list", 0, split) == "train"  # pinned: the hash must not change
    assert export.assign_split("lists.sort_list", 2, split) == "test"


def test_split_arguments(program) -> None:
    assert export.parse_split("train=0.9,test=0.1") == {"train": 0.9, "test": 0.1}
    for bad in ["train", "train=0.5", "train=x,test=0.5", "=1", "a=0,b=1"]:
        with pytest.raises(ValueError):
            export.parse_split(bad)
    with pytest.raises(ValueError):
        export.rows(program, BASE, 1, split={"train": 0.5})
    with pytest.raises(ValueError):
        export.rows(program, BASE, 1, schema="openai")
    with pytest.raises(KeyError, match="no environment"):
        export.rows(program, ["nope"], 1)
    (row,) = export.rows(program, ["lists.sort_list"], 1, schema="verl", split="test")
    assert row["extra_info"]["split"] == "test"
    (row,) = export.rows(program, ["lists.sort_list"], 1, schema="verl")
    assert row["extra_info"]["split"] == "train"
    with pytest.raises(ValueError, match="no split"):
        export.by_split(export.rows(program, ["lists.sort_list"], 1))


def test_jsonl_is_byte_identical_across_runs(tmp_path: Path) -> None:
    script = ("import sys, racesdsl; from racesdsl.integrations import export; "
              f"p = racesdsl.load([{str(SPECS / 'strings.races')!r}, {str(COMPOSITIONS)!r}]); "
              "export.write(export.rows(p, None, 20, seed=3, schema=sys.argv[1], "
              "split={'train': 0.5, 'test': 0.5}), sys.argv[2])")
    for schema in export.SCHEMAS:
        outs = []
        for hashseed in ("1", "2"):
            out = tmp_path / f"{schema}-{hashseed}.jsonl"
            env = {**os.environ, "PYTHONHASHSEED": hashseed}
            done = subprocess.run([sys.executable, "-c", script, schema, str(out)], env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            outs.append(out.read_bytes())
        assert outs[0] == outs[1] and outs[0].count(b"\n") == 20 * 24


def test_plain_rows_match_instances_in_both_formats(program, tmp_path: Path, pq) -> None:
    rows = list(export.rows(program, ["strings.reverse_string", "compositions.two_tasks"], 5, seed=11))
    expected = [program[r["env"]].sample(r["seed"]).to_dict() for r in rows]
    assert rows == expected
    text = io.StringIO()
    export.write(rows, text)
    assert text.getvalue() == "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in expected)
    binary = io.BytesIO()
    export.write(rows, binary, "parquet")
    back = pq.read_table(io.BytesIO(binary.getvalue())).to_pylist()
    for row, want in zip(back, expected, strict=True):
        assert {k: json.loads(row[k]) if k in export.JSON_COLUMNS["plain"] else row[k] for k in row} == want
    with pytest.raises(TypeError):
        export.write(rows, io.StringIO(), "parquet")
    with pytest.raises(ValueError):
        export.write(rows, tmp_path / "x.csv", "csv")
    export.write([], tmp_path / "empty.parquet", "parquet")
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0


# --------------------------------------------------------------- registry


def test_registry_from_env_variable_is_cached(specs_env, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = loader.load

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "load", counting)
    monkeypatch.setattr(registry, "_DEFAULT", None)  # earlier tests may have built it already
    monkeypatch.setenv(registry.ENV_SPECS, os.pathsep.join([str(COMPOSITIONS), ""]))
    reg = default_registry()
    assert reg.specs == (str(COMPOSITIONS),)
    env = reg.get("racesdsl/compositions.top3_sum")
    assert env.qualname == "compositions.top3_sum" and reg.get("top3_sum") is env
    for seed in range(5):
        inst = reg.instance("compositions.top3_sum", seed, {})
        assert reg.instance("compositions.top3_sum", seed, {}) is inst
        good = env.render_answer(inst.answer)
        assert compute_score("racesdsl/compositions.top3_sum", good, "",
                             {"env": env.qualname, "seed": seed, "params": "{}"})["score"] == 1.0
    assert default_registry() is reg and calls == [str(COMPOSITIONS)] and reg.loads == 1
    reg.get("dates.day_of_week")  # the stdlib, one module file on first need
    reg.get("dates.is_leap_year")
    assert reg.loads == 2
    monkeypatch.setenv(registry.ENV_SPECS, str(SPECS / "lists.races"))
    assert default_registry() is not reg


def test_registry_errors_come_at_lookup_time(tmp_path: Path) -> None:
    reg = Registry(specs=[tmp_path / "missing.races"])
    with pytest.raises(RegistryError, match="missing.races"):
        reg.get("x.y")
    assert reg.score("x.y", 1, {}, "c").value == 0.0
    bad = Registry(packages=["no_such_racesdsl_package"], stdlib=False)
    with pytest.raises(RegistryError, match="no_such_racesdsl_package"):
        bad.get("lists.sort_list")
    empty = Registry(stdlib=False)
    with pytest.raises(UnknownEnvironment, match="no sources configured"):
        empty.get("lists.sort_list")
    assert "lists.sort_list" in Registry() and "lists.nothing" not in Registry()


def test_registry_finds_compiled_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from racesdsl.check.pipeline import check_paths
    from racesdsl.codegen.writer import package_files, write_files

    write_files(package_files(check_paths([COMPOSITIONS]).program, "integration_envs"), tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(registry.ENV_PACKAGES, "integration_envs")
    monkeypatch.delenv(registry.ENV_SPECS, raising=False)
    reg = Registry.from_env(stdlib=False)
    env = reg.get("compositions.nested")
    assert type(env).__module__ == "racesdsl.runtime.composite"
    inst = env.sample(2)
    assert reg.score("compositions.nested", 2, inst.params, env.render_answer(inst.answer)).value == 1.0
    assert reward_function(None, [env.render_answer(inst.answer)], env=["compositions.nested"], seed=[2],
                           params=[json.dumps(inst.params)]) == [1.0]


def test_from_plain_matches_rows(program) -> None:
    from racesdsl.parallel import sample_rows

    names = ["lists.sort_list", "compositions.nested"]
    plain = sample_rows([SPECS / "lists.races", COMPOSITIONS], names, 30, 4, {}, workers=1)
    for schema in export.SCHEMAS:
        for split in (None, "test", {"train": 0.7, "test": 0.3}):
            assert list(export.from_plain(plain, schema, split, program)) == list(
                export.rows(program, names, 30, 4, schema=schema, split=split))
    with pytest.raises(ValueError):
        export.from_plain(plain, "nope")
