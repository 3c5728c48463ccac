"""racesdsl.curriculum: the level map is monotone and samples on every stdlib env,
the controller moves levels and grows structure deterministically (and resumes
from JSON state), held-out splits do not leak, and ids are stable."""

from __future__ import annotations

import doctest
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.curriculum import (
    Adaptive,
    Holdout,
    InstanceStream,
    LeakageError,
    PoolEntry,
    check_leakage,
    difficulty,
    instance_key,
    iter_instances,
    lineage,
    make_pool,
    params_at_level,
    replay_stage,
    sample_at_level,
    spec_hash,
    split_compositions,
    stage_seed,
)
from racesdsl.runtime.composite import Composite
from racesdsl.runtime.env import ParamError

ROOT = Path(__file__).resolve().parent.parent
LANG = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)
BASES = ["lists.sort_list", "lists.take_first", "lists.total", "numbers.gcd2", "numbers.is_even"]
COMPS = ["compositions.top3_sum", "compositions.two_tasks", "compositions.shuffled", "compositions.planner",
         "compositions.nested", "compositions.gcd_pair"]


@pytest.fixture(scope="module")
def std():
    return racesdsl.load(ROOT / "specs")


@pytest.fixture(scope="module")
def lang():
    return racesdsl.load(LANG)


def reward_of(i: int, p: float) -> float:
    """A reproducible Bernoulli(p) reward stream."""
    return 1.0 if int(hashlib.sha256(str(i).encode()).hexdigest()[:8], 16) / 2**32 < p else 0.0


# ------------------------------------------------------------------ level map


def test_level_map_is_monotone_and_samples_on_every_stdlib_env(std) -> None:
    assert len(std) >= 100
    for name in std:
        env = std[name]
        vector = difficulty(env)
        previous = None
        for level in LEVELS:
            params = params_at_level(env, level)
            for knob in vector.knobs:
                assert knob.lo <= params[knob.name] <= knob.hi, (name, level, knob)
                if previous is not None:
                    assert params[knob.name] >= previous[knob.name], (name, level, knob.name)
            for key, default in vector.fixed:
                assert params[key] == default
            inst = sample_at_level(env, 0, level)
            assert inst.params == params
            previous = params
        for knob in vector.knobs:  # independent ranges: the ends are the range's ends
            assert params_at_level(env, 0.0)[knob.name] == knob.lo
            assert previous[knob.name] == knob.hi


def test_level_map_rules(tmp_path: Path, std) -> None:
    spec = tmp_path / "dep.races"
    spec.write_text('''
env window_sum "Sum of a window of a list." {
    param n: Int[3..12] = 8
    param w: Int[1..n] = 3
    param f: Float[0.5..2.0] = 1.0
    param neg: Bool = false
    param style: Enum["plain", "story"] = "plain"
    input xs: List[Int[0..9], len=n]
    input start: Int[0..n - w]
    output Int[-108..108]
    prompt """({{ style }}, {{ f }}) Sum the {{ w }} elements of {{ xs }} from index {{ start }}."""
    solve -sum(xs[start:start + w]) if neg else sum(xs[start:start + w])
}
''', encoding="utf-8")
    env = racesdsl.load(spec)["window_sum"]
    vector = difficulty(env)
    assert [(k.name, k.kind, k.lo, k.hi) for k in vector.knobs] == [("n", "int", 3, 12), ("w", "int", 1, 8),
                                                                    ("f", "float", 0.5, 2.0)]
    assert dict(vector.fixed) == {"neg": False, "style": "plain"}
    assert (vector.depth, vector.width, vector.operator) == (1, 1, None)
    assert params_at_level(env, 0.0) == {"n": 3, "w": 1, "f": 0.5, "neg": False, "style": "plain"}
    # w's range is read at the level's n: at level 1 it reaches n = 12, not the default's 8
    assert params_at_level(env, 1.0) == {"n": 12, "w": 12, "f": 2.0, "neg": False, "style": "plain"}
    assert params_at_level(env, 0.5)["n"] == 8  # 3 + 4.5 rounds half up
    seen = [params_at_level(env, i / 20) for i in range(21)]
    for a, b in zip(seen, seen[1:], strict=False):
        assert all(b[k] >= a[k] for k in ("n", "w", "f"))
    for i in range(21):
        sample_at_level(env, i, i / 20)
    # overrides win, and the others are read at the override
    assert params_at_level(env, 1.0, n=4, style="story") == {"n": 4, "w": 4, "f": 2.0, "neg": False,
                                                             "style": "story"}
    with pytest.raises(ValueError):
        params_at_level(env, 1.5)
    with pytest.raises(ParamError):
        params_at_level(env, 0.5, nope=1)
    with pytest.raises(ParamError):
        params_at_level(std["lists.sort_list"], 0.5, n=99)


def test_difficulty_of_composites(lang) -> None:
    top3 = difficulty(lang["top3_sum"])
    assert (top3.depth, top3.width, top3.size, top3.operator) == (2, 3, 3, "seq")
    assert [(k.name, k.lo, k.hi) for k in top3.knobs] == [("sort_list.n", 3, 12)]
    nested = difficulty(lang["nested"])
    assert (nested.depth, nested.width, nested.operator) == (3, 2, "par")
    assert {k.name for k in nested.knobs} == {"top3_sum.sort_list.n", "gcd2.hi"}
    assert difficulty(lang["planner"]).size == 3  # distractors are not counted
    json.dumps(nested.to_dict())
    for name in COMPS:
        env = lang[name]
        previous = None
        for level in LEVELS:
            params = params_at_level(env, level)
            if previous is not None:
                assert all(params[k] >= previous[k] for k in env.knob_defaults)
            env.sample(3, **params)
            previous = params
        assert params_at_level(env, 1.0) == {k: r[1] for k, r in env.knob_ranges.items()}


# ----------------------------------------------------------------- controller


def drive(ctl: Adaptive, steps: int, p: float, start: int = 0) -> list:
    out = []
    for i in range(start, start + steps):
        name, level = ctl.next()
        out.append((name, level, ctl.report(name, reward_of(i, p))))
    return out


def test_controller_raises_on_success_and_lowers_on_failure() -> None:
    ctl = Adaptive([PoolEntry("a", 1), PoolEntry("b", 1)], window=8, start_level=0.5)
    for _ in range(8):
        ctl.report("a", 1.0)
        ctl.report("b", 0.0)
    assert ctl.level("a") == pytest.approx(0.6) and ctl.level("b") == pytest.approx(0.4)
    for _ in range(200):
        ctl.report("a", 1.0)
        ctl.report("b", 0.0)
    assert ctl.level("b") == 0.0  # clamped
    assert ctl.level("a") == 1.0 and ctl.mastered() == ["a"] and ctl.active() == ["b"]
    # inside the band nothing moves; update_every decides more often than the window fills
    mid = Adaptive(["c"], window=10, update_every=5, start_level=0.5)
    for i in range(100):
        mid.report("c", float(i % 2))
    assert mid.level("c") == 0.5
    fast = Adaptive(["d"], window=64, update_every=4)
    for _ in range(4):
        fast.report("d", 1.0)
    assert fast.level("d") == pytest.approx(0.1)
    with pytest.raises(ValueError):
        fast.report("d", 1.5)
    with pytest.raises(KeyError):
        fast.report("never_active", 1.0)


def test_controller_promotes_deeper_composites_after_mastery(lang) -> None:
    pool = make_pool(lang, BASES + COMPS)
    assert {e.name: e.depth for e in pool}["compositions.nested"] == 3
    ctl = Adaptive(pool, window=8, seed=1)
    assert ctl.active() == BASES  # the shallowest rung starts
    assert ctl.level("lists.total") == 1.0  # no knobs: nothing to walk
    events = [e for _, _, e in drive(ctl, 3000, 1.0) if e is not None and e.action == "mastered"]
    first = events[0]
    assert first.env in BASES and first.promoted
    depth = {e.name: e.depth for e in pool}
    assert all(depth[n] == 2 for n in first.promoted)
    # each mastery brings in up to two unseen envs one rung deeper, those that share a base env first
    seen, used_related = set(BASES), 0
    for e in events:
        mine = set(lineage(lang[e.env])["bases"])
        unseen = [n for n in BASES + COMPS if depth[n] == depth[e.env] + 1 and n not in seen]
        related = [n for n in unseen if mine & set(lineage(lang[n])["bases"])]
        assert e.promoted == tuple((related or unseen)[:2]), e
        seen |= set(e.promoted)
        used_related += bool(related)
    assert used_related >= 2
    # mastering a depth-2 composite reaches depth 3
    assert "compositions.nested" in ctl.active() + ctl.mastered()
    promoted_at_3 = [e for e in events if "compositions.nested" in e.promoted]
    assert promoted_at_3 and depth[promoted_at_3[0].env] == 2
    assert set(ctl.mastered()) == set(BASES + COMPS)  # all 1.0: everything is mastered in the end
    name, level = ctl.next()  # nothing left in rotation: review mastered envs at the top level
    assert name in ctl.mastered() and level == 1.0


def test_controller_resumes_from_json_state_with_the_same_decisions(lang) -> None:
    def fresh() -> Adaptive:
        return Adaptive(make_pool(lang, BASES + COMPS), window=6, update_every=3, seed=7, review=0.1)

    full = fresh()
    whole = drive(full, 600, 0.85)
    half = fresh()
    first = drive(half, 300, 0.85)
    state = json.loads(json.dumps(half.state_dict()))
    resumed = Adaptive.from_state(state)
    rest = drive(resumed, 300, 0.85, start=300)
    assert first + rest == whole
    assert resumed.state_dict() == full.state_dict()
    assert any(e is not None and e.action == "mastered" for *_, e in whole)
    # a different seed picks differently
    other = Adaptive(make_pool(lang, BASES + COMPS), window=6, update_every=3, seed=8, review=0.1)
    assert [n for n, *_ in drive(other, 50, 0.85)] != [n for n, *_ in whole[:50]]


# -------------------------------------------------------------------- streams


def test_streams_sample_from_the_controller(lang) -> None:
    ctl = Adaptive(make_pool(lang, BASES + ["compositions.top3_sum"]), window=4, seed=3)
    insts = []
    for inst in iter_instances(lang, ctl, seed=5):
        insts.append(inst)
        if len(insts) == 40:
            break
    assert {i.env for i in insts} <= set(BASES)
    assert len({i.id for i in insts}) == 40
    again = Adaptive(make_pool(lang, BASES + ["compositions.top3_sum"]), window=4, seed=3)
    it = iter_instances(lang, again, seed=5)
    assert [next(it).id for _ in range(40)] == [i.id for i in insts]

    ctl = Adaptive(make_pool(lang, BASES + ["compositions.top3_sum"]), window=4, seed=3)
    stream = InstanceStream(lang, ctl, seed=5, limit=400)
    seen = []
    for inst in stream:
        seen.append(inst)
        stream.report(inst, 1.0)
    assert len(seen) == 400 and "compositions.top3_sum" in {i.env for i in seen}
    top = [i for i in seen if i.env == "compositions.top3_sum"]
    assert max(i.params["sort_list.n"] for i in top) > 3  # its level climbed from 0
    # a stream resumed from a saved controller continues rather than repeats
    resumed = InstanceStream(lang, Adaptive.from_state(ctl.state_dict()), seed=5, limit=5)
    assert not {i.id for i in resumed} & {i.id for i in seen}


# --------------------------------------------------------------------- splits


def test_split_holds_out_combinations_and_leak_check_catches_a_plant(lang) -> None:
    train, held = split_compositions(lang, {"bases": [("sort_list", "gcd2")]})
    assert set(held) == {"compositions.two_tasks", "compositions.nested"}
    assert set(train) == set(COMPS) - set(held)  # base envs are left out
    assert check_leakage([lang[n] for n in train], [lang[n] for n in held]) == []
    # the held-out pair never co-occurs in training; other pairs of eval composites may
    pair_items = {k.item for k in check_leakage([lang[n] for n in train], [lang[n] for n in held], pairs=True)}
    assert "lists.sort_list+numbers.gcd2" not in pair_items and pair_items

    by_depth = split_compositions(lang, Holdout(depths=(3,)))
    assert by_depth.eval == ["compositions.nested"]
    by_op = split_compositions(lang, {"operators": ["select", "sort"]})
    assert set(by_op.eval) == {"compositions.shuffled", "compositions.planner"}
    by_pattern = split_compositions(lang, {"patterns": ["par(*seq(*"]})
    assert by_pattern.eval == ["compositions.nested"]
    frac = split_compositions(lang, {"pair_fraction": 0.5, "seed": 2})
    assert sorted(frac.train + frac.eval) == sorted(COMPS)
    assert split_compositions(lang, {"pair_fraction": 0.5, "seed": 2}) == frac

    # rows as a dataset writes them: instance dicts carrying their lineage
    def rows(names: list[str]) -> list[dict]:
        return [lang[n].sample(s).to_dict() | {"lineage": lineage(lang[n])} for n in names for s in range(2)]

    train_rows, eval_rows = rows(train), rows(held)
    assert check_leakage(train_rows, eval_rows) == []
    planted = train_rows + [eval_rows[0]]
    leaks = check_leakage(planted, eval_rows)
    assert [(k.kind, k.eval_env) for k in leaks] == [("composite", eval_rows[0]["env"])]
    with pytest.raises(LeakageError) as err:
        check_leakage(planted, eval_rows, strict=True)
    assert err.value.leaks == leaks
    # a renamed copy of an eval composite leaks through its signature
    renamed = dict(eval_rows[0], env="copy", lineage=dict(eval_rows[0]["lineage"], env="copy"))
    assert check_leakage(train_rows + [renamed], eval_rows)[0].train_env == "copy"
    # pair leakage: a depth split shares base-env pairs between train and eval
    pair_leaks = check_leakage([lang[n] for n in by_depth.train], [lang[n] for n in by_depth.eval], pairs=True)
    assert pair_leaks and {k.kind for k in pair_leaks} == {"pair"}
    assert check_leakage([lang[n] for n in by_depth.train], [lang[n] for n in by_depth.eval]) == []


# ------------------------------------------------------------------------ ids

IDS_SCRIPT = """
import json, racesdsl
from racesdsl.curriculum import Adaptive, instance_key, iter_instances, make_pool, spec_hash, stage_seed
prog = racesdsl.load({lang!r})
ctl = Adaptive(make_pool(prog, {names!r}), window=4, seed=3)
it = iter_instances(prog, ctl, seed=9)
print(json.dumps({{"spec": spec_hash({specs!r}), "file": spec_hash({lang!r}),
    "key": instance_key("abc", "lists.sort_list", {{"n": 5}}, 3),
    "stage": stage_seed(11, ("top3_sum", "take_first")),
    "ids": [next(it).id for _ in range(10)]}}))
"""


def ids_here(lang) -> dict:
    ctl = Adaptive(make_pool(lang, BASES), window=4, seed=3)
    it = iter_instances(lang, ctl, seed=9)
    return {"spec": spec_hash(str(ROOT / "specs")), "file": spec_hash(str(LANG)),
            "key": instance_key("abc", "lists.sort_list", {"n": 5}, 3),
            "stage": stage_seed(11, ("top3_sum", "take_first")), "ids": [next(it).id for _ in range(10)]}


def test_ids_are_stable_across_processes(lang) -> None:
    script = IDS_SCRIPT.format(lang=str(LANG), names=BASES, specs=str(ROOT / "specs"))
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONHASHSEED": "123", "PATH": "", "PYTHONPATH": str(ROOT)}, check=True)
    assert json.loads(res.stdout) == ids_here(lang)


def test_ids_are_content_addressed_and_distinct(lang, tmp_path: Path) -> None:
    text = LANG.read_text(encoding="utf-8")
    assert spec_hash(LANG) == spec_hash(text) == spec_hash(text.replace("\n", "\r\n"))
    assert spec_hash(text + "\n# edited\n") != spec_hash(text)
    keys = {instance_key("abc", "lists.sort_list", {"n": 5}, seed) for seed in range(1000)}
    assert len(keys) == 1000
    assert instance_key("abd", "lists.sort_list", {"n": 5}, 0) != instance_key("abc", "lists.sort_list", {"n": 5}, 0)
    assert instance_key("abc", "lists.sort_list", {"n": 6}, 0) != instance_key("abc", "lists.sort_list", {"n": 5}, 0)
    assert instance_key("abc", lang["lists.sort_list"], {"n": 5}, 0) == instance_key("abc", "lists.sort_list", {"n": 5}, 0)
    # the seed tree: children differ, and deriving in steps equals deriving at once
    assert stage_seed(5, ()) == 5
    assert stage_seed(5, ("a", "b")) == stage_seed(stage_seed(5, ("a",)), ("b",))
    assert len({stage_seed(s, ("a",)) for s in range(1000)} | {stage_seed(0, (str(i),)) for i in range(1000)}) == 2000
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "a.races").write_text(text, encoding="utf-8")
    before = spec_hash(folder)
    (folder / "helper.py").write_text("X = 1\n", encoding="utf-8")
    assert spec_hash(folder) != before


def test_a_stage_replays_alone(lang) -> None:
    comp = lang["top3_sum"]
    assert isinstance(comp, Composite)
    for seed in range(5):
        inst = comp.sample(seed)
        for i, label in enumerate(["sort_list", "take_first", "total"]):
            stage = replay_stage(comp, seed, (label,))
            assert stage.answer == inst.answer[i]
            env = lang[stage.env]
            assert env.verify(stage, env.render_answer(stage.answer, **stage.params)).value == 1.0
        assert replay_stage(comp, seed, ("1",)) == replay_stage(comp, seed, ("take_first",))
    nested = lang["nested"]
    inner = replay_stage(nested, 0, ("top3_sum", "total"))
    assert inner.answer == nested.sample(0).answer[0]
    with pytest.raises(ValueError):
        replay_stage(nested, 0, ("top3_sum",))
    with pytest.raises(KeyError):
        replay_stage(nested, 0, ("nope",))


def test_docs_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    doc = ROOT / "docs" / "curriculum.md"
    result = doctest.testfile(str(doc), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_sample_level_keyword_matches_sample_at_level() -> None:
    import racesdsl
    from racesdsl.curriculum.difficulty import sample_at_level

    prog = racesdsl.load(str(Path(__file__).resolve().parent / "fixtures" / "language" / "compositions.races"))
    for name in ("top3_sum", "two_tasks"):
        for level in (0.0, 0.5, 1.0):
            assert prog[name].sample(3, level=level) == sample_at_level(prog[name], 3, level)
    base = racesdsl.load(str(Path(__file__).resolve().parent.parent / "specs" / "lists.races"))["sort_list"]
    assert len(base.sample(0, level=1.0).answer) == 12 and len(base.sample(0, level=0.0).answer) == 2
