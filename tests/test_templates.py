"""Template text rules, span mapping, runtime filters and E0401-E0404."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from racesdsl.check.templates import (
    RUNTIME_FILTERS,
    check_template,
    runtime_filters,
    template_environment,
    template_source,
)
from racesdsl.diagnostics import Diagnostic
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import parse_text


def _env_templates(src: str) -> list[A.Template]:
    """The prompt/step templates of the first env in `src`, in clause order."""
    module, diags = parse_text(src, "t.races")
    assert not diags, diags
    env = next(d for d in module.decls if isinstance(d, A.EnvDecl))
    return [c.template for c in env.clauses if isinstance(c, A.PromptClause | A.StepClause)]


def _tpl(raw: str, triple: bool = True, line: int = 1, col: int = 12) -> A.Template:
    return A.Template(raw, triple, span=A.Span("t.races", line, col, line, col + len(raw) + 6))


def _check(tpl: A.Template, names: set[str], **kw: object) -> tuple[set[str], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    reads = check_template(tpl, names, diags, **kw)  # type: ignore[arg-type]
    return reads, diags


def _codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


SRC = '''\
env sum_list "Sum a list." {
    input xs: List[Int[0..9], len=3]
    output Int[0..27]
    prompt """
        Here is a list:
          {{ xs | listing }}
        What is the {{ total }} of it?
        """
    step """add up {{ xs }}
    then {{ nope }}"""
    solve sum(xs)
}
'''


# ------------------------------------------------------------ template text


def test_first_newline_dropped_and_dedented() -> None:
    tpl = _env_templates(SRC)[0]
    assert template_source(tpl).text == "Here is a list:\n  {{ xs | listing }}\nWhat is the {{ total }} of it?"


def test_text_on_the_quotes_line_keeps_it_and_dedents_the_rest() -> None:
    # Like inspect.cleandoc: continuation lines indented with the env body read flush.
    tpl = _env_templates(SRC)[1]
    assert template_source(tpl).text == "add up {{ xs }}\nthen {{ nope }}"


def test_only_one_newline_dropped_and_trailing_indentation_stripped() -> None:
    assert template_source(_tpl("\n\n  a\n  b\n  ")).text == "\na\nb"
    assert template_source(_tpl("a\n")).text == "a"
    assert template_source(_tpl("a\n\n")).text == "a\n"


def test_single_quoted_used_as_is() -> None:
    assert template_source(_tpl("  x {{ y }}\n", triple=False)).text == "  x {{ y }}\n"


# ------------------------------------------------------------ span mapping


def test_undefined_name_on_third_line_maps_to_source() -> None:
    tpl = _env_templates(SRC)[0]
    reads, diags = _check(tpl, {"xs"})
    assert reads == {"xs", "total"}
    assert _codes(diags) == ["E0402"]
    span = diags[0].span
    line = SRC.splitlines()[span.line - 1]
    assert (span.line, span.col, span.end_col) == (7, 24, 29)
    assert line[span.col - 1:span.end_col - 1] == "total"
    assert SRC[span.start_pos:span.end_pos] == "total"


def test_undedented_second_line_maps_to_source() -> None:
    tpl = _env_templates(SRC)[1]
    _, diags = _check(tpl, {"xs"})
    span = diags[0].span
    assert (span.line, span.col) == (10, 13)
    assert SRC[span.start_pos:span.end_pos] == "nope"


def test_first_line_offset_by_opening_quotes() -> None:
    src = 'env e {\n  input xs: List[Int[0..9], len=3]\n  prompt """Sum {{ xss }}."""\n}\n'
    tpl = _env_templates(src)[0]
    _, diags = _check(tpl, {"xs"})
    span = diags[0].span
    assert (span.line, span.col) == (3, 20)
    assert src[span.start_pos:span.end_pos] == "xss"
    assert diags[0].help == "did you mean `xs`?"


def test_single_quoted_template_maps_after_quote() -> None:
    src = 'env e {\n  input xs: List[Int[0..9], len=3]\n  prompt "Sum {{ xz }}."\n}\n'
    tpl = _env_templates(src)[0]
    _, diags = _check(tpl, {"xs"})
    assert (diags[0].span.line, diags[0].span.col) == (3, 18)


def test_to_span_clamps() -> None:
    src = template_source(_tpl("a\nb"))
    assert src.to_span(99, 1).line == 2
    assert src.to_span(0, 0).line == 1


# --------------------------------------------------------------- diagnostics


def test_clean_template_reports_nothing() -> None:
    tpl = _tpl("Sort {{ xs | json }} using {% for i in range(n) %}{{ loop.index }}{% endfor %}")
    reads, diags = _check(tpl, {"xs", "n"}, must_mention={"xs"})
    assert diags == []
    assert reads == {"xs", "n"}


def test_locals_attributes_and_kwargs_are_not_undefined() -> None:
    tpl = _tpl("{% set k = 2 %}{{ g.edges | map(attribute='w') | list }}{{ k }}{% for e in g.edges %}{{ e }}{% endfor %}")
    reads, diags = _check(tpl, {"g"})
    assert diags == [] and reads == {"g"}


def test_set_in_a_branch_is_defined_after_it() -> None:
    """Issue 12, finding 21: jinja2 renders a name set in an `{% if %}`/`{% else %}`
    branch after the block, so `check` must not call it undefined."""
    text = ("{% if n > 4 %}{% set word = 'big' %}{% elif n > 2 %}{% set word = 'mid' %}"
            "{% else %}{% set word = 'small' %}{% endif %}{{ word }} {{ n }}")
    reads, diags = _check(_tpl(text), {"n"})
    assert diags == [] and reads == {"n"}
    assert template_environment().from_string(text).render(n=3) == "mid 3"


def test_loop_and_macro_names_stay_in_their_scope() -> None:
    text = "{% for v in xs %}{% set w = v %}{% endfor %}{{ v }}{{ w }}{% macro m(a) %}{{ a }}{% endmacro %}{{ a }}"
    _, diags = _check(_tpl(text), {"xs"})
    assert [d.message for d in diags] == [
        "undefined name `v` in template", "undefined name `w` in template", "undefined name `a` in template"]


def test_macro_body_reads_top_level_names_and_itself() -> None:
    text = "{% macro m(k) %}{{ total }}{{ caller() if k }}{% endmacro %}{% set total = 3 %}{{ m(0) }}"
    _, diags = _check(_tpl(text), set())
    assert diags == []


def test_undefined_name_suggests_locals_and_globals() -> None:
    """Issue 12, finding 23: E0402 says what was probably meant, among the template's
    own names and jinja2's globals as well as the env's inputs and params."""
    text = "{% for item in xs %}{{ itme }}{% endfor %}{% set label = 'a' %}{{ lable }}{{ rnage(3) }}{{ nubmers }}"
    _, diags = _check(_tpl(text), {"xs", "numbers"})
    assert [(d.code, d.help) for d in diags] == [
        ("E0402", "did you mean `item`?"), ("E0402", "did you mean `label`?"),
        ("E0402", "did you mean `range`?"), ("E0402", "did you mean `numbers`?")]


def test_every_occurrence_of_an_undefined_name_is_located() -> None:
    # single-quoted at column 0: text columns are source columns
    tpl = _tpl("{{ x.y }} {{ y }} and {{ y|default(y) }}", triple=False, col=0)
    _, diags = _check(tpl, {"x"})
    assert [(d.code, d.span.col) for d in diags] == [("E0402", 14), ("E0402", 26), ("E0402", 36)]


def test_syntax_error() -> None:
    tpl = _tpl("line one\nsum of {{ xs + }}", col=1)
    reads, diags = _check(tpl, {"xs"}, must_mention={"xs"})
    assert _codes(diags) == ["E0401"]
    assert diags[0].message.startswith("template syntax error: unexpected")
    assert (diags[0].span.line, diags[0].span.col) == (2, 8)
    assert reads == {"xs"}  # a textual guess, so no unused-param noise


def test_unclosed_block_points_at_its_opener() -> None:
    tpl = _env_templates('env e {\n  prompt """\n    {% for x in xs %}\n    {% if x %}{{ x }}{% endif %}\n    """\n}\n')[0]
    _, diags = _check(tpl, {"xs"})
    assert _codes(diags) == ["E0401"]
    assert (diags[0].span.line, diags[0].span.col) == (3, 5)
    assert any("endfor" in n for n in diags[0].notes)


def test_codegen_error_is_a_syntax_error() -> None:
    _, diags = _check(_tpl("{% block a %}{% endblock %}{% block a %}{% endblock %}"), set())
    assert _codes(diags) == ["E0401"]
    assert "defined twice" in diags[0].message


def test_unknown_filter_and_test() -> None:
    tpl = _tpl("{{ xs | listng }}\n{{ xs | sort | bulets }}{% if xs is evn %}{% endif %}", col=1)
    reads, diags = _check(tpl, {"xs"})
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [
        ("E0404", 1, 12), ("E0404", 2, 16), ("E0404", 2, 37)]
    assert [d.help for d in diags] == ["did you mean `listing`?", "did you mean `bullets`?", "did you mean `even`?"]
    assert reads == {"xs"}


def test_unknown_filter_does_not_hide_undefined_names() -> None:
    _, diags = _check(_tpl("{{ x | nope }} {{ y }}"), set())
    assert sorted(_codes(diags)) == ["E0402", "E0402", "E0404"]


def test_must_mention() -> None:
    tpl = _tpl("Sort the list.", line=4, col=12)
    reads, diags = _check(tpl, {"xs", "n"}, must_mention=["xs"])
    assert reads == set()
    [d] = diags
    assert d.code == "E0403"
    assert d.message == "input `xs` is never mentioned in the prompt"
    assert d.help == "the model cannot solve the task without it: add `{{ xs }}`"
    assert (d.span.line, d.span.col, d.span.end_col) == (4, 12, 15)


def test_global_names_can_be_shadowed_by_params() -> None:
    reads, diags = _check(_tpl("{{ range }}{{ dict(a=1) }}"), {"range"})
    assert diags == [] and reads == {"range"}


# ------------------------------------------------------------------ filters


def test_runtime_filters() -> None:
    f = runtime_filters()
    assert set(f) == set(RUNTIME_FILTERS) == {"json", "listing", "bullets", "pretty"}
    assert f["json"]({"a": (1, 2), "b": "é"}) == '{"a": [1, 2], "b": "é"}'
    assert f["json"]({3, 1, 2}) == "[1, 2, 3]"
    assert f["listing"]([1, 2, 3]) == "1, 2, 3"
    assert f["listing"](["a", [1, 2], True]) == "a, [1, 2], True"
    assert f["bullets"](["x", 2]) == "- x\n- 2"
    assert f["pretty"]({"a": [1]}) == '{\n  "a": [\n    1\n  ]\n}'


def test_environment_renders_template_source() -> None:
    tpl = _env_templates(SRC)[0]
    out = template_environment().from_string(template_source(tpl).text).render(xs=[1, 2], total="sum")
    assert out == "Here is a list:\n  1, 2\nWhat is the sum of it?"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="{}%#|.,=()'\"\n -+xn isfor")), st.booleans(), st.sets(st.sampled_from(["xs", "n", "x", "range"])))
def test_check_template_never_raises(raw: str, triple: bool, names: set[str]) -> None:
    diags: list[Diagnostic] = []
    before = list(diags)
    reads = check_template(A.Template(raw, triple), names, diags, must_mention=names)
    assert diags[:len(before)] == before
    assert isinstance(reads, set)
    assert all(isinstance(d, Diagnostic) and d.code.startswith("E040") for d in diags)
