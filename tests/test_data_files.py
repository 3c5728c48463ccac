"""Data files (docs/language.md §2 "Data files"): read and validated at check time, refused
outside the spec's folder, drawn by `OneOf`, hashed into instance ids, shipped in packages."""

from __future__ import annotations

import importlib
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.data import data_file
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files

SPEC = '''data words: List[Str[len=3..10, chars="a-z"]] = lines("words.txt")
data recs: List[{a: Int[0..9], b: List[Int[0..9]]}] = json("recs.json")
data animals: Set[{name: Str[len=1..20], legs: Int[0..8]}] = csv("animals.csv")

env spell_backward "Spell a word backwards." {
    input word: OneOf[words]
    output Str[len=3..10, chars="a-z"]
    prompt """Spell {{ word }} backwards."""
    solve word[::-1]
}

env legs "Count legs." {
    input animal: OneOf[animals]
    input n: Int[1..5]
    input r: OneOf[recs]
    output Int
    prompt """How many legs have {{ n }} {{ animal.name }}s, plus {{ r }}?"""
    solve n * animal.legs + r.a
}

env double "A word twice." {
    input s: Str[len=2..5, chars="a-z"]
    output Str[len=4..10, chars="a-z"]
    prompt """Write {{ s }} twice."""
    solve s + s
}

compose double_then_spell = seq(double, spell_backward)
'''
WORDS = "apple\nbanana\n\ncherry\r\nkiwi\n"


def write(folder: Path, spec: str = SPEC, words: str = WORDS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "words.txt").write_text(words, encoding="utf-8", newline="")
    (folder / "recs.json").write_text('[{"a": 1, "b": [1, 2]}, {"a": 2, "b": []}]', encoding="utf-8")
    (folder / "animals.csv").write_text("legs,name\n4,cat\n2,bird\n8,spider\n", encoding="utf-8")
    path = folder / "farm.races"
    path.write_text(spec, encoding="utf-8")
    return path


def codes(path: Path) -> list[str]:
    return [d.code for d in check_paths([path]).diagnostics if d.is_error]


def test_oneof_draws_every_element_uniformly(tmp_path: Path) -> None:
    program = racesdsl.load(write(tmp_path))
    words = Counter(program["spell_backward"].sample(s).input["word"] for s in range(2000))
    assert set(words) == {"apple", "banana", "cherry", "kiwi"}  # blank line skipped, \r dropped
    assert all(abs(c - 500) < 100 for c in words.values()), words
    inst = program["legs"].sample(3)
    assert inst.input["animal"] in ({"name": "cat", "legs": 4}, {"name": "bird", "legs": 2},
                                    {"name": "spider", "legs": 8})
    inst.input["r"]["b"].append(9)  # changing one instance's input leaves the data alone
    assert all(9 not in program["legs"].sample(s).input["r"]["b"] for s in range(50))


def test_oneof_is_fed_like_its_element_type(tmp_path: Path) -> None:
    """`seq(double, spell_backward)` checks: a `Str[len=4..10, chars="a-z"]` feeds `OneOf[words]`."""
    program = racesdsl.load(write(tmp_path))
    inst = program["double_then_spell"].sample(1)
    word = inst.input["s"]
    assert inst.answer == [word * 2, (word * 2)[::-1]]


def test_instance_ids_follow_the_file(tmp_path: Path) -> None:
    programs = [racesdsl.load(write(tmp_path / "a")), racesdsl.load(write(tmp_path / "b")),
                racesdsl.load(write(tmp_path / "c", words=WORDS + "zebra\n"))]
    a, same, changed = (p["spell_backward"].sample(0) for p in programs)
    assert a.id == same.id and a.id != changed.id
    a, same, changed = (p["double_then_spell"].sample(0) for p in programs)  # composites too
    assert a.id == same.id and a.id != changed.id
    a, same, changed = (p["double"].sample(0) for p in programs)  # an env without data keeps its id
    assert a.id == same.id == changed.id
    assert a.input == changed.input or a.input["word"] != "zebra"  # the draw may move too; the id must


def test_load_and_compiled_agree_and_the_package_needs_no_data_file(tmp_path: Path) -> None:
    spec = write(tmp_path / "src")
    write_files(package_files(check_paths([spec]).program, "farmpkg"), tmp_path / "out")
    for name in ("words.txt", "recs.json", "animals.csv"):
        os.remove(tmp_path / "src" / name)  # the package carries the values itself
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        compiled = importlib.import_module("farmpkg")
        write(tmp_path / "again")
        loaded = racesdsl.load(tmp_path / "again" / "farm.races")
        for env in ("spell_backward", "legs"):
            for seed in range(30):
                assert compiled.get(env).sample(seed).to_dict() == loaded[env].sample(seed).to_dict()
    finally:
        sys.path.remove(str(tmp_path / "out"))


def test_files_outside_the_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("secret\n", encoding="utf-8")
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "sub").mkdir()
    (spec_dir / "sub" / "ok.txt").write_text("fine\n", encoding="utf-8")
    os.symlink(tmp_path / "outside.txt", spec_dir / "link.txt")
    for bad in ("../outside.txt", str(tmp_path / "outside.txt"), "link.txt", "missing.txt", "sub\\ok.txt", ""):
        assert isinstance(data_file(spec_dir, bad), str), bad
    assert data_file(spec_dir, "sub/ok.txt") == (spec_dir / "sub" / "ok.txt").resolve()


@pytest.mark.parametrize(("words", "code"), [
    ("apple\nBanana\n", "E0345"),  # a capital outside chars="a-z"
    ("\n\n", "E0345"),  # nothing to draw
    (b"\xff\xfe".decode("latin-1"), "E0345"),  # not UTF-8 once written as latin-1 bytes below
])
def test_contents_that_do_not_fit_are_reported(tmp_path: Path, words: str, code: str) -> None:
    path = write(tmp_path)
    (tmp_path / "words.txt").write_bytes(words.encode("latin-1"))
    assert codes(path) == [code]


@pytest.mark.parametrize(("change", "code"), [
    (("json(\"recs.json\")", "json(\"../recs.json\")"), "E0209"),
    (("lines(\"words.txt\")", "lines(\"nope.txt\")"), "E0209"),
    (("input word: OneOf[words]", "input word: OneOf[spell_backward]"), "E0210"),
    (("input word: OneOf[words]", "input word: List[OneOf[words], len=2]"), "E0210"),
    (("input word: OneOf[words]", "input word: OneOf[words] ~ loguniform"), "E0344"),
    (("List[{a: Int[0..9]", "List[{a: Int[0..0]"), "E0345"),
    (("Set[{name", "Tuple[{name"), "E0345"),
    (("legs: Int[0..8]}] = csv", "feet: Int[0..8]}] = csv"), "E0345"),
])
def test_checker_codes(tmp_path: Path, change: tuple[str, str], code: str) -> None:
    old, new = change
    assert old in SPEC
    path = write(tmp_path, SPEC.replace(old, new))
    assert code in codes(path) and set(codes(path)) <= {code, "E0305", "E0310"}


def test_racesdsl_test_checks_oneof_frequencies(tmp_path: Path) -> None:
    from racesdsl.selftest import run_selftest

    report = run_selftest(racesdsl.load(write(tmp_path)), seeds=3)
    by_env = {e.env: e for e in report.envs}
    assert all(e.ok for e in report.envs)
    assert by_env["farm.spell_backward"].checks["distribution"] == 1 and by_env["farm.legs"].checks["distribution"] == 2
