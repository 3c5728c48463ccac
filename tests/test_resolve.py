"""Module resolution: `use` forms, search path, stdlib, duplicates, cycles."""

from __future__ import annotations

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


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics]


def test_use_forms_bind_module_alias_and_names(tmp_path: Path) -> None:
    write(tmp_path, "arith.races", ECHO + "type Digit = Int[0..9]\n")
    main = write(tmp_path, "main.races", (
        "use arith\nuse arith as A\nuse arith.{echo, Digit}\n"
        "compose a = seq(arith.echo, A.echo, echo)\n"
        "env id \"Identity.\" {\n input d: Digit\n output Digit\n prompt \"\"\"{{ d }}\"\"\"\n solve d\n}\n"))
    result = check_paths([main])
    assert codes(result) == []
    assert "main.a" in result.program.composites


def test_stdlib_namespace_and_last_component_binding(tmp_path: Path) -> None:
    main = write(tmp_path, "main.races", "use std.lists\ncompose c = seq(lists.sort_list, lists.total)\n")
    assert codes(check_paths([main])) == []


def test_search_path_is_consulted_after_the_importing_folder(tmp_path: Path) -> None:
    write(tmp_path / "lib", "shared.races", ECHO)
    main = write(tmp_path / "app", "main.races", "use shared.{echo}\ncompose c = seq(echo, echo)\n")
    assert codes(check_paths([main])) == ["E0201"]
    assert codes(check_paths([main], search_path=[tmp_path / "lib"])) == []


def test_dotted_modules_map_to_subfolders(tmp_path: Path) -> None:
    write(tmp_path, "pkg/tools.races", ECHO)
    main = write(tmp_path, "main.races", "use pkg.tools.{echo}\ncompose c = seq(echo, echo)\n")
    assert codes(check_paths([main])) == []


def test_unknown_name_in_import_suggests_the_closest(tmp_path: Path) -> None:
    main = write(tmp_path, "main.races", "use std.lists.{sort_lst}\n")
    (d,) = check_paths([main]).diagnostics
    assert d.code == "E0202" and d.help == "did you mean `sort_list`?"
    assert (d.span.line, d.span.col) == (1, 16)


def test_unknown_env_in_composition_suggests_the_closest(tmp_path: Path) -> None:
    main = write(tmp_path, "main.races", "use std.lists.{sort_list, total}\ncompose c = seq(sort_list, totl)\n")
    errors = check_paths([main]).errors
    assert [(d.code, d.help) for d in errors] == [("E0202", "did you mean `total`?")]


def test_failed_import_does_not_cascade(tmp_path: Path) -> None:
    main = write(tmp_path, "main.races", "use nowhere.{a, b}\ncompose c = seq(a, b)\n")
    assert codes(check_paths([main])) == ["E0201"]


def test_import_clashing_with_a_declaration_is_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path, "other.races", ECHO)
    main = write(tmp_path, "main.races", "use other.{echo}\n" + ECHO)
    assert "E0203" in codes(check_paths([main]))


def test_import_cycle_is_reported_once_with_its_span(tmp_path: Path) -> None:
    write(tmp_path, "a.races", "use b.{y}\n" + ECHO.replace("echo", "x"))
    write(tmp_path, "b.races", "use a.{x}\n" + ECHO.replace("echo", "y"))
    result = check_paths([tmp_path])
    cycle = [d for d in result.diagnostics if d.code == "E0204"]
    assert len(cycle) == 1 and cycle[0].span.line == 1


def test_each_file_is_parsed_once_even_when_imported_and_given(tmp_path: Path) -> None:
    write(tmp_path, "lib.races", ECHO)
    write(tmp_path, "main.races", "use lib.{echo}\ncompose c = seq(echo, echo)\n")
    result = check_paths([tmp_path])
    assert codes(result) == []
    assert sorted(result.sources) == sorted(str(p) for p in result.sources)
    assert len([s for s in result.sources if s.endswith("lib.races")]) == 1


def test_missing_path_and_wrong_suffix_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        check_paths([tmp_path / "missing.races"])
    other = write(tmp_path, "notes.txt", "hello")
    with pytest.raises(InputError):
        check_paths([other])
