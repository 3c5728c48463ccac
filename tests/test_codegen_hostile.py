"""Hostile spec text against code generation (issue 12): spec text reaches generated code
only as `repr()`/`ascii()` literals, and no spec name can rebind a generated name."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.errors import SpecError

# Every line break Python's tokenizer or `str.splitlines` recognises, and text that broke
# compilation outright (a NUL, a lone surrogate, CRLF).
BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\ud800"]

BASE = """env e EDOC {
    input x: Int[0..9]
    input c: Enum["a", ENUM]
    input s: Str[len=1..3, chars=CHARS]
    where c != LIT or x >= 0
    output Int[0..9]
    prompt PROMPT
    step STEP
    solve x if c != LIT else 0
}

compose both CDOC = par(e, e)
"""

PLAIN = {"EDOC": '"doc"', "ENUM": '"b"', "PROMPT": '"""{{ x }} {{ c }} {{ s }}"""', "STEP": '"""step {{ x }}"""',
         "LIT": '"z"', "CDOC": '"two"',
         "CHARS": '"a-c"'}
STRING_FIELDS = ["EDOC", "ENUM", "LIT", "CDOC", "PROMPT", "STEP", "CHARS"]  # as `"..."` literals with escapes
TEMPLATE_FIELDS = ["PROMPT", "STEP"]  # raw characters inside `"""..."""`


def spec_literal(text: str) -> str:
    """`text` as a `.races` string literal (the escapes are Python's)."""
    assert '"' not in text
    return '"' + ascii(text)[1:-1] + '"'


def payload(marker: Path, brk: str) -> str:
    """Text that, pasted into source after a line break, would create `marker`."""
    return f"x{brk}import os; open({str(marker)!r}, 'w').close(){brk}#"


def make_spec(**fields: str) -> str:
    text = BASE
    for key, value in {**PLAIN, **fields}.items():
        text = text.replace(key, value)
    return text


def compile_and_import(paths: list[Path], out: Path, package: str):
    result = check_paths(paths)
    assert not result.errors, [d.message for d in result.errors]
    write_files(package_files(result.program, package), out)
    importlib.invalidate_caches()
    return importlib.import_module(package)


def assert_same_as_load(pkg, paths: list[Path], seeds: range = range(3)) -> None:
    loaded = racesdsl.load(paths)
    compiled = pkg.environments()
    assert sorted(compiled) == sorted(loaded)
    assert dict(pkg.ENVIRONMENTS) == compiled
    for qualname, env in compiled.items():
        for seed in seeds:
            assert env.sample(seed).to_dict() == loaded[qualname].sample(seed).to_dict()


def test_the_exploit_from_the_issue_stays_a_description(tmp_path: Path, importer: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "ex.races"
    spec.write_text("env e \"x\\rimport os; os.system('touch pwned')\" { input x: Int[0..9] output Int[0..9] "
                    'prompt """{{ x }}""" solve x }\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env = racesdsl.load(spec)["e"]
    assert env.doc == "x\rimport os; os.system('touch pwned')"
    env.sample(0)
    assert_same_as_load(compile_and_import([spec], importer, "ex_pkg"), [spec])
    run = subprocess.run([sys.executable, "-m", "racesdsl", "sample", "ex.races:e", "-n", "2"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "pwned").exists()


# A lone surrogate cannot be written raw into a UTF-8 file: it goes in escaped only.
CASES = [(f, b) for f in STRING_FIELDS for b in BREAKS] + [
    (f"raw {f}", b) for f in TEMPLATE_FIELDS for b in BREAKS if b != "\ud800"]


@pytest.mark.parametrize(("field", "brk"), CASES, ids=[f"{f}-{ascii(b)}" for f, b in CASES])
def test_hostile_text_in_every_field_is_data(field: str, brk: str, tmp_path: Path, importer: Path) -> None:
    marker = tmp_path / "pwned"
    text = payload(marker, brk)
    if field.startswith("raw "):
        key = field.removeprefix("raw ")
        value = '"""{{ x }} {{ c }} {{ s }}' + text + '"""'
    else:
        key, value = field, spec_literal(text)
        if key in ("PROMPT", "STEP"):
            value = spec_literal("{{ x }} {{ c }} {{ s }}" + text)
    spec = tmp_path / "hostile.races"
    spec.write_text(make_spec(**{key: value}), encoding="utf-8")
    try:
        loaded = racesdsl.load(spec)
    except SpecError:
        # Only a character class's own rules may refuse the text (the payload holds the
        # temp folder's path, so ranges like `t-o` depend on the machine); nothing ran.
        assert key == "CHARS" and not marker.exists()
        return
    loaded["e"].sample(1)
    pkg = compile_and_import([spec], importer, "hostile_pkg")
    assert_same_as_load(pkg, [spec])
    assert not marker.exists()


def _shape(source: str) -> str:
    """The generated module's syntax tree with every string constant blanked out."""
    class Blank(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.Constant:
            return ast.Constant("") if isinstance(node.value, str) else node

    return ast.dump(Blank().visit(ast.parse(source)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.lists(st.characters(exclude_characters='"', exclude_categories=()) | st.sampled_from(BREAKS),
                    max_size=30).map("".join))
def test_any_description_leaves_the_generated_code_unchanged(doc: str, tmp_path: Path) -> None:
    spec = tmp_path / "prop.races"
    spec.write_text(make_spec(EDOC=spec_literal(doc), CDOC=spec_literal(doc)), encoding="utf-8")
    plain = tmp_path / "prop_plain.races"
    plain.write_text(make_spec(), encoding="utf-8")
    files = package_files(check_paths([spec]).program, "p")
    reference = package_files(check_paths([plain]).program, "p")
    assert _shape(files["p/prop.py"]) == _shape(reference["p/prop_plain.py"])
    assert racesdsl.load(spec)["e"].doc == doc


# -- names (finding 4)

ENV = 'env NAME {{ input x: Int[0..9] output Int[0..9] prompt """{{{{ x }}}} NAME""" solve x }}\n'


def env_decl(name: str) -> str:
    return ENV.replace("NAME", name).replace("{{", "{").replace("}}", "}")


COLLIDING = {
    "helper function first": env_decl("_e_solve") + env_decl("_e_types") + env_decl("e"),
    "prompt constant first": env_decl("E_PROMPT") + env_decl("_e_prompt") + env_decl("e"),
    "imports and runtime names": "".join(env_decl(n) for n in (
        "Composite", "Environment", "EnvTypes", "ParamSpec", "TInt", "Interval", "os", "os_", "annotations",
        "ENVIRONMENTS", "_ORIGIN", "_rt", "__name__", "__builtins__")),
    "python keywords and builtins": "".join(env_decl(n) for n in (
        "class_", "lambda_", "print", "print_", "len", "max", "sum", "object", "_", "__", "l", "I")),
    "case differs": env_decl("e") + env_decl("E"),
    "composites named like helpers": env_decl("e") + "compose Stage = par(e, e)\ncompose Composite = seq(e, e)\n"
                                     "compose _m_lists = seq(lists_env, e)\ncompose _lists_module = par(e, e)\n",
}


@pytest.mark.parametrize("case", list(COLLIDING))
def test_spec_names_never_rebind_generated_names(case: str, tmp_path: Path, importer: Path) -> None:
    (tmp_path / "lists.races").write_text(env_decl("lists_env"), encoding="utf-8")
    spec = tmp_path / "names.races"
    spec.write_text("use lists.{lists_env}\n\n" + COLLIDING[case], encoding="utf-8")
    loaded = racesdsl.load(spec)
    for qualname in loaded.checked.envs:  # each env kept its own prompt
        inst = loaded[qualname].sample(2)
        assert inst.prompt.startswith(f"{inst.input['x']} {qualname.rsplit('.', 1)[1]}\n")
    pkg = compile_and_import([spec], importer, "names_pkg")
    assert_same_as_load(pkg, [spec])


TRICKY = ["e", "E", "_e_solve", "_e_types", "_e_prompt", "_e_step", "_e_where_0", "E_PROMPT", "_ORIGIN", "_rt",
          "os", "Stage", "Composite", "Environment", "TInt", "ENVIRONMENTS", "annotations", "sum", "print", "_",
          "_lists_env_module", "_lists_module", "lists_env", "class_", "l", "x", "p"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.tuples(st.sampled_from(TRICKY), st.integers(0, 2)).map(lambda t: t[0] + "_" * t[1]),
                      min_size=1, max_size=6, unique=True))
def test_any_set_of_names_compiles_to_the_loaded_behaviour(names: list[str], tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("names")
    (folder / "lists.races").write_text(env_decl("lists_env"), encoding="utf-8")
    envs = [n for n in names if n != "lists_env"] or ["e"]
    composites = [f"compose c_{n} = seq(lists_env, {n})\n" for n in envs]
    spec = folder / "names.races"
    spec.write_text("use lists.{lists_env}\n\n" + "".join(map(env_decl, envs)) + "".join(composites),
                    encoding="utf-8")
    out = folder / "build"
    sys.path.insert(0, str(out))
    before = set(sys.modules)
    try:
        pkg = compile_and_import([spec], out, "props_pkg")
        assert_same_as_load(pkg, [spec], range(2))
    finally:
        sys.path.remove(str(out))
        for name in set(sys.modules) - before:
            del sys.modules[name]


@pytest.mark.parametrize("module", ["__init__", "get", "environments", "MODULES", "ENVIRONMENTS", "Mapping",
                                    "_Environments", "import_module", "class_", "lists"])
def test_module_files_never_shadow_the_package(module: str, tmp_path: Path, importer: Path) -> None:
    spec = tmp_path / f"{module}.races"
    spec.write_text(env_decl("e") + "compose both = par(e, e)\n", encoding="utf-8")
    pkg = compile_and_import([spec], importer, "mods_pkg")
    assert callable(pkg.get) and callable(pkg.environments)
    assert_same_as_load(pkg, [spec])
    assert pkg.get("both").qualname == f"{module}.both"


def test_cli_sample_works_with_colliding_names(tmp_path: Path) -> None:
    (tmp_path / "names.races").write_text(COLLIDING["prompt constant first"], encoding="utf-8")
    for env in ("E_PROMPT", "_e_prompt", "e"):
        run = subprocess.run([sys.executable, "-m", "racesdsl", "sample", f"names.races:{env}", "-n", "1"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert f' {env}\\n' in run.stdout


@pytest.mark.parametrize("package", ["class", "not-valid", "1abc", "ﬁ", ""])
def test_unimportable_package_names_are_refused(package: str, tmp_path: Path) -> None:
    (tmp_path / "tasks.races").write_text(env_decl("e"), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "racesdsl", "compile", "tasks.races", "-o", "build", "--package",
                          package], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "package name" in run.stderr and not (tmp_path / "build").exists()


# -- bounds (finding 9)

def test_a_long_run_of_signs_in_a_bound_compiles(tmp_path: Path, importer: Path) -> None:
    """As many signs as E0110 allows (64 levels) compile with the right parity; 202 are E0110."""
    spec = tmp_path / "signs.races"
    spec.write_text("".join(f"env e{n} {{ input x: Int[" + "-" * n + "1..2] output Int[-1..2] "
                            "prompt \"\"\"{{ x }}\"\"\" solve x }\n" for n in (63, 64)), encoding="utf-8")
    loaded = racesdsl.load(spec)
    assert min(loaded["e64"].sample(s).input["x"] for s in range(100)) == 1
    assert min(loaded["e63"].sample(s).input["x"] for s in range(100)) == -1
    assert_same_as_load(compile_and_import([spec], importer, "signs_pkg"), [spec])
    spec.write_text("env e { input x: Int[" + "-" * 202 + "1..2] output Int[-1..2] prompt \"\"\"{{ x }}\"\"\" "
                    "solve x }\n", encoding="utf-8")
    assert [d.code for d in check_paths([spec]).errors] == ["E0110"]


# -- param names (finding 5)

@pytest.mark.parametrize("name", ["seed", "self", "inputs"])
def test_params_named_like_run_time_arguments_are_spec_errors(name: str, tmp_path: Path) -> None:
    spec = tmp_path / "p.races"
    spec.write_text(f"env e {{ param {name}: Int[1..3] = 1 input x: Int[0..{name}] output Int[0..3] "
                    'prompt """{{ x }}""" solve x }\n', encoding="utf-8")
    [diag] = check_paths([spec]).errors
    assert diag.code == "E0103" and f"`{name}` cannot name a param" in diag.message
    assert (diag.span.line, diag.span.col) == (1, 15)


def test_a_param_named_level_still_samples(tmp_path: Path) -> None:
    spec = tmp_path / "p.races"
    spec.write_text('env e { param level: Int[1..3] = 1 input x: Int[level..level] output Int[0..3] '
                    'prompt """{{ x }}""" solve x }\n', encoding="utf-8")
    env = racesdsl.load(spec)["e"]
    assert env.sample(4, level=3).input == {"x": 3}
    assert env.sample(4, **{"level": 2}).input == {"x": 2}
