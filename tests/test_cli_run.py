"""`racesdsl sample`, `verify` and `compile` through the command line, as typed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = """use std.numbers.{gcd2}

env halve "Halve an even number." {
    param hi: Int[2..100] = 50
    input x: Int[0..hi]
    where x % 2 == 0
    output Int[0..50]
    prompt \"\"\"What is {{ x }} divided by 2?\"\"\"
    solve x // 2
}
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "racesdsl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def spec(tmp_path: Path, text: str = SPEC) -> Path:
    path = tmp_path / "tasks.races"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_writes_deterministic_json_lines(tmp_path: Path) -> None:
    spec(tmp_path)
    first = run("sample", "tasks.races:halve", "-n", "5", "--seed", "3", cwd=tmp_path)
    again = run("sample", "tasks.races:halve", "-n", "5", "--seed", "3", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    assert [r["seed"] for r in rows] == [3, 4, 5, 6, 7]
    assert set(rows[0]) == {"id", "env", "seed", "params", "input", "prompt", "answer"}
    assert all(r["answer"] * 2 == r["input"]["x"] for r in rows)


def test_sample_param_override_and_output_file(tmp_path: Path) -> None:
    spec(tmp_path)
    res = run("sample", "tasks.races:halve", "-n", "20", "--param", "hi=4", "-o", "out.jsonl", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 20 and all(r["input"]["x"] <= 4 and r["params"] == {"hi": 4} for r in rows)


def test_sample_usage_errors_exit_2(tmp_path: Path) -> None:
    spec(tmp_path)
    for args, needle in [
        (("tasks.races:halve", "--param", "hi=500"), "param `hi`"),
        (("tasks.races:halve", "--param", "size=3"), "no param `size`"),
        (("tasks.races:halve", "--param", "hi"), "NAME=VALUE"),
        (("tasks.races:halv",), "did you mean `halve`"),
        (("missing.races",), "no such file"),
    ]:
        res = run("sample", *args, cwd=tmp_path)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert needle in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.stderr


def test_sample_of_a_broken_spec_exits_1_with_diagnostics(tmp_path: Path) -> None:
    spec(tmp_path, "type T = Int[3..1]\n")
    res = run("sample", "tasks.races", cwd=tmp_path)
    assert res.returncode == 1 and "[E0301]" in res.stderr


def test_impossible_where_is_reported_as_a_spec_bug(tmp_path: Path) -> None:
    spec(tmp_path, SPEC.replace("x % 2 == 0", "x > 1000"))
    res = run("sample", "tasks.races:halve", "-n", "1", cwd=tmp_path)
    assert res.returncode == 1
    assert "no input satisfied `where x > 1000`" in res.stderr and "Traceback" not in res.stderr


def test_verify_scores_a_completion_file(tmp_path: Path) -> None:
    spec(tmp_path)
    row = run("sample", "tasks.races:halve", "-n", "1", "--seed", "9", cwd=tmp_path).stdout
    (tmp_path / "inst.jsonl").write_text(row)
    answer = json.loads(row)["answer"]
    for text, value in [(f"Thinking... <answer>{answer}</answer>", 1.0), ("<answer>-1</answer>", 0.0),
                        ("\x00" * 1000 + "<answer>[[[[", 0.0)]:
        (tmp_path / "completion.txt").write_text(text)
        res = run("verify", "tasks.races:halve", "--instance", "inst.jsonl", "--completion", "completion.txt",
                  cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        score = json.loads(res.stdout)
        assert score["value"] == value and score["reason"]


def test_compile_writes_a_package_and_check_detects_staleness(tmp_path: Path) -> None:
    spec(tmp_path)
    res = run("compile", "tasks.races", "-o", "build", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "build" / "tasks" / "tasks.py").is_file()
    assert run("compile", "tasks.races", "-o", "build", "--check", cwd=tmp_path).returncode == 0
    spec(tmp_path, SPEC.replace("divided by 2", "halved"))
    stale = run("compile", "tasks.races", "-o", "build", "--check", cwd=tmp_path)
    assert stale.returncode == 1 and "stale: build/tasks/tasks.py" in stale.stdout
    assert run("compile", "tasks.races", "-o", "build", "--package", "not-valid", cwd=tmp_path).returncode == 2


def test_selftest_command_exit_codes(tmp_path: Path) -> None:
    broken = ROOT / "tests" / "fixtures" / "broken"
    ok = run("test", str(ROOT / "specs" / "lists.races"), "--seeds", "3", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.rstrip().endswith("0 failures, 0 warnings")
    bad = run("test", str(broken), "--seeds", "3", "--format", "json", cwd=tmp_path)
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["ok"] is False and report["summary"]["failures"] > 0
    assert run("test", str(broken), "--format", "xml", cwd=tmp_path).returncode == 2
    assert run("test", str(ROOT / "specs" / "lists.races"), "--env", "nope", cwd=tmp_path).returncode == 2
    # A leaking prompt is only a warning; --strict makes warnings fail.
    leaky = str(broken / "leaky_prompt.races")
    assert run("test", leaky, "--seeds", "3", cwd=tmp_path).returncode == 0
    strict = run("test", leaky, "--seeds", "3", "--strict", cwd=tmp_path)
    assert strict.returncode == 1 and "prompt_leak" in strict.stdout
    as_json = run("test", leaky, "--seeds", "3", "--strict", "--format", "json", cwd=tmp_path)
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["ok"] is False
    assert run("test", str(ROOT / "specs" / "lists.races"), "--seeds", "3", "--strict", cwd=tmp_path).returncode == 0


def test_sample_output_is_identical_for_any_worker_count(tmp_path: Path) -> None:
    spec(tmp_path)
    outs = {w: run("sample", "tasks.races:halve", "-n", "600", "--seed", "11", "--workers", w, cwd=tmp_path)
            for w in ("1", "2")}
    assert all(r.returncode == 0 for r in outs.values()), [r.stderr for r in outs.values()]
    assert outs["1"].stdout == outs["2"].stdout
    assert len(outs["1"].stdout.splitlines()) == 600


def test_enumerate_writes_checked_source_and_stats(tmp_path: Path) -> None:
    res = run("enumerate", str(ROOT / "specs"), "-o", "found.races", "--limit", "12", "--depth", "2..3",
              "--stats", "stats.json", "--workers", "1", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["kept"] == 12 and stats["tried"] == stats["kept"] + sum(stats["rejected"].values())
    assert run("check", "found.races", cwd=tmp_path).returncode == 0
    assert run("enumerate", str(ROOT / "specs"), "-o", "found.txt", cwd=tmp_path).returncode == 2


def test_sample_exports_verl_parquet_splits(tmp_path: Path) -> None:
    pq = __import__("pytest").importorskip("pyarrow.parquet")
    spec(tmp_path)
    res = run("sample", "tasks.races:halve", "-n", "200", "--schema", "verl", "--format", "parquet",
              "--split", "train=0.8,test=0.2", "-o", "ds", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    train, test = (pq.read_table(tmp_path / "ds" / f"{s}.parquet").to_pylist() for s in ("train", "test"))
    assert len(train) + len(test) == 200 and train and test
    assert not {r["extra_info"]["seed"] for r in train} & {r["extra_info"]["seed"] for r in test}
    assert train[0]["reward_model"]["style"] == "rule" and train[0]["prompt"][0]["role"] == "user"
    assert run("sample", "tasks.races:halve", "--format", "parquet", cwd=tmp_path).returncode == 2


def test_exported_rows_carry_lineage_that_the_leakage_check_reads(tmp_path: Path) -> None:
    from racesdsl.curriculum.splits import check_leakage

    comp = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
    train = run("sample", f"{comp}:top3_sum", "-n", "3", "--schema", "verl", cwd=tmp_path)
    held = run("sample", f"{comp}:gcd_pair", "-n", "3", "--schema", "verl", cwd=tmp_path)
    train_rows = [json.loads(line) for line in train.stdout.splitlines()]
    held_rows = [json.loads(line) for line in held.stdout.splitlines()]
    assert json.loads(train_rows[0]["extra_info"]["lineage"])["operators"] == ["seq"]
    assert not check_leakage(train_rows, held_rows)
    assert check_leakage(train_rows + held_rows[:1], held_rows)  # a planted leak is caught


def test_sample_with_ray_engine_matches_local(tmp_path: Path) -> None:
    __import__("pytest").importorskip("ray", reason="the ray extra is not installed")
    spec(tmp_path)
    local = run("sample", "tasks.races:halve", "-n", "300", "--workers", "1", cwd=tmp_path)
    ray = run("sample", "tasks.races:halve", "-n", "300", "--workers", "2", "--engine", "ray", cwd=tmp_path)
    assert ray.returncode == 0, ray.stderr
    assert ray.stdout == local.stdout


def test_selftest_report_is_the_same_for_any_worker_count(tmp_path: Path) -> None:
    reports = []
    for workers in ("1", "2"):
        res = run("test", str(ROOT / "tests" / "fixtures" / "broken"), "--seeds", "3", "--format", "json",
                  "--workers", workers, cwd=tmp_path)
        assert res.returncode == 1, res.stderr
        report = json.loads(res.stdout)
        reports.append([(e["env"], e["failures"], e["warnings"]) for e in report["envs"]])
    assert reports[0] == reports[1] and len(reports[0]) == 8
