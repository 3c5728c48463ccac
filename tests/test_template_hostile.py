"""Hostile templates (issue 12, findings 6 and 10): `check` never evaluates a
template, so it stays fast and small whatever the constants; a template `check`
accepts renders within the runtime budget or ends in a TemplateError (a spec
error: exit 1) naming env and seed, never in another exception."""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.pipeline import check_text
from racesdsl.runtime.template_budget import BudgetContext
from racesdsl.runtime.template_limits import MAX_BLOCK_DEPTH, MAX_OPS, BudgetExceeded, TemplateError
from racesdsl.runtime.templates import compile_template, template_environment
from racesdsl.runtime.values import SamplingError

HOSTILE = [
    # finding 6: constants jinja2's compiler used to fold at check time
    "{{ 'ab' * 2**31 }}",
    "{{ 'a'|center(10**9) }}",
    "{{ '%1000000000s'|format(1) }}",
    "{{ [1]*10**9 }}",
    "{{ s * 10**9 }}",
    "{{ 2**2**2**2**2**2**2 }}",
    "{{ 9**9**9 }}{{ 9**(9**9) }}",
    "{{ ('ab' ~ 'cd') * 10**9 }}",
    "{{ 'x'|indent(10**9) }}",
    "{{ 'x'|wordwrap(1) }}{{ s|truncate(10**9) }}",
    "{{ range(99999)|join(',') }}",
    "{{ range(10)|slice(10**9)|list }}",
    "{{ range(10)|batch(10**9)|list }}",
    "{{ '%s'|format(s) }}{{ '%*s' % (10**9, 'a') }}",
    "{{ '{:1000000000}'.format(1) }}",
    "{{ '%0000000000000000000000001000000000s'|format(1) }}{{ ('{:' ~ '0' * 5000 ~ '9}').format(1) }}",
    "{{ '{:{}}'.format(1, 10**9) }}",
    "{{ 'x'.ljust(10**9) }}{{ 'x'.zfill(10**9) }}",
    "{{ 'ab'.replace('', 'x' * 100000) }}",
    "{{ ','.join(['ab' * 1000] * 1000) }}",
    # finding 10: unbounded at run time
    "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
    "{% for a in range(99999) %}{% for b in range(99999) %}{{ a }}{% endfor %}{% endfor %}",
    "{% macro m() %}{{ m() }}{{ m() }}{% endmacro %}{{ m() }}",
    "{% macro d(n) %}{% if n %}{{ d(n - 1) }}{{ d(n - 1) }}{% endif %}x{% endmacro %}{{ d(40) }}",
    "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
    "{{ lipsum(10**6) }}",
    "{% set xs = [1, 2] %}{% for v in xs %}{{ xs.append(v) }}{% endfor %}",
    "{% for v in xs %}{{ xs.append(v) }}{% endfor %}",
    "{% set d = {} %}{{ d.update(a=1) }}{{ d.setdefault(1, 2) }}",
    "{{ range(10**9) }}",
    "{% for v in range(10**9) %}{% endfor %}",
    "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
    "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}{{ ns.n }}",
    "{% set y %}{% for i in range(99999) %}{{ s }}{% endfor %}{% endset %}{{ y|length }}",
    "{% for v in xs recursive %}{{ loop(xs) }}{% endfor %}",
    "{{ xs|map('center', 10**9)|list }}",
    "{{ (range(99999)|list) + (range(99999)|list) }}",
    "{% for i in range(99999) %}{{ range(99999)|sum }}{% endfor %}",
    "{{ dict.fromkeys(range(99999)) }}",
    # the sandbox's own refusals, which used to exit 3 at sample time
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ x['__class__'] }}{{ x|attr('__class__') }}",
    "{{ self }}",
    "{% include 'other.txt' %}",
    "{% import 'm.txt' as m %}{{ m }}",
    "{% extends 'base.txt' %}",
    "{% block b %}{{ x }}{% endblock %}",
    "{{ xs|random }}",
    "{{ x / 0 }}",
    "{{ nope.attr }}",
]


def _spec(template: str) -> str:
    return ('env hostile "A hostile template." {\n    input x: Int[0..9]\n    input s: Str[len=1..5]\n'
            '    input xs: List[Int[0..9], len=2]\n    output Int[0..9]\n'
            f'    prompt """{{{{ x }}}} {{{{ s }}}} {{{{ xs }}}}\n{template}\n"""\n    solve x\n}}\n')


@pytest.mark.parametrize("template", HOSTILE)
def test_check_is_bounded_and_sampling_ends_in_a_spec_error(template: str, tmp_path: Path) -> None:
    text = _spec(template)
    tracemalloc.start()
    start = time.monotonic()
    try:
        result = check_text(text, "hostile.races")
        seconds = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seconds < 2.0, f"check took {seconds:.1f}s"
    assert peak < 200_000_000, f"check peaked at {peak / 1e6:.0f} MB"
    errors = [d for d in result.diagnostics if d.is_error]
    assert all(d.code.startswith("E04") for d in errors), errors
    if errors:
        return
    path = tmp_path / "hostile.races"
    path.write_text(text, encoding="utf-8")
    env = racesdsl.load(path)["hostile"]
    for seed in range(3):
        try:
            inst = env.sample(seed)
        except TemplateError as exc:
            assert "hostile" in str(exc) and f"seed {seed}" in str(exc)
        else:
            assert len(inst.prompt) <= 1_000_000


def test_constants_are_not_evaluated_at_check() -> None:
    for template, code in [("{{ 'ab' * 2**31 }}", "E0407"), ("{{ 9**(9**9) }}", "E0407"),
                           ("{{ 'a'|center(10**9) }}", "E0407"), ("{{ '%1000000000s'|format(1) }}", "E0407"),
                           ("{{ '{:1000000000}'.format(1) }}", "E0407"), ("{{ range(10**9) }}", "E0407"),
                           ("{{ ''.__class__ }}", "E0406"), ("{{ self }}", "E0406"),
                           ("{% include 'x' %}", "E0406"), ("{{ xs.append(1) }}", "E0406"),
                           ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "E0407")]:
        codes = [d.code for d in check_text(_spec(template)).diagnostics if d.is_error]
        assert codes == [code], (template, codes)


def test_a_param_named_range_is_not_jinjas_range() -> None:
    text = _spec("{{ range }}").replace("    output", "    param range: Int[0..1000] = 5\n    output")
    assert [d.code for d in check_text(text).diagnostics if d.is_error] == []


def test_legal_templates_still_render() -> None:
    render = compile_template(
        "{% macro item(v) %}<{{ v }}>{% endmacro %}{% for v in xs if v > 1 %}{{ item(v) }}{% endfor %}"
        "{{ '%03d'|format(n) }} {{ '{:>4}'.format(n) }} {{ 'ab' * 2 }} {{ xs|map('string')|join('-') }}"
        " {{ 2**10 }} {{ (xs|length) ~ '!' }} {{ 'x'.center(5) }}")
    assert render({"xs": [1, 2, 3], "n": 7}) == "<2><3>007    7 abab 1-2-3 1024 3! " + "  x  "


def test_budget_is_a_deterministic_operation_count() -> None:
    """The counter, not the clock, ends a render: a loop of n items costs n, and a
    runaway template stops at the same operation every time."""
    env = template_environment()

    def ops(src: str, **values: object) -> int:
        tpl = env.from_string(src)
        ctx = tpl.new_context(values)
        assert isinstance(ctx, BudgetContext)
        try:
            "".join(tpl.root_render_func(ctx))
        except BudgetExceeded:
            assert ctx.ops > MAX_OPS
        return ctx.ops

    loop = "{% for i in range(n) %}{% endfor %}"
    assert ops(loop, n=2000) - ops(loop, n=1000) == 1000
    runaway = "{% for a in range(99999) %}{% for b in xs %}{{ b }}{% endfor %}{% endfor %}"
    assert ops(runaway, xs=list(range(50))) == ops(runaway, xs=list(range(50))) > MAX_OPS


def test_renders_never_share_a_budget() -> None:
    render = compile_template("{% for i in range(n) %}.{% endfor %}")
    for _ in range(50):  # each alone is well inside the budget; together they would not be
        assert render({"n": MAX_OPS // 10}) == "." * (MAX_OPS // 10)


def test_template_error_is_a_sampling_error_for_the_cli(tmp_path: Path) -> None:
    spec = tmp_path / "loop.races"
    spec.write_text(_spec("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"),
                    encoding="utf-8")
    assert issubclass(TemplateError, SamplingError)
    proc = subprocess.run([sys.executable, "-m", "racesdsl", "sample", f"{spec}:hostile", "-n", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "hostile's prompt" in proc.stderr and "seed 0" in proc.stderr
    assert "Traceback" not in proc.stderr


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([
    "{{ ", " }}", "{% for v in ", "range(", "99999", ") %}", "{% endfor %}", " * ", "10**9", "xs", "s",
    "|join", "|center(", "'ab'", " ~ ", "{% macro m() %}", "m()", "{% endmacro %}", "{% set ns = namespace(v=s) %}",
    "{% set ns.v = ns.v ~ ns.v %}", "ns.v", "x", "|list", "|length", "(", ")", ",", "2**", "9",
]), max_size=14))
def test_random_template_pieces_check_fast_and_render_or_fail_cleanly(pieces: list[str]) -> None:
    template = "".join(pieces)
    start = time.monotonic()
    result = check_text(_spec(template))
    assert time.monotonic() - start < 2.0
    if any(d.is_error for d in result.diagnostics):
        return
    render = compile_template(template)
    try:
        out = render({"x": 3, "s": "hi", "xs": [1, 2]})
    except TemplateError:
        return
    assert len(out) <= 1_000_000


def test_a_composite_names_its_seed_when_a_step_template_fails(tmp_path: Path) -> None:
    spec = tmp_path / "comp.races"
    spec.write_text(
        "use std.lists.{sort_list}\n\n"
        'env slow "Sort, slowly described." {\n    input xs: List[Int[-99..99], len=2..12]\n'
        "    output List[Int[-99..99], len=2..12]\n"
        '    prompt """Sort {{ xs }}."""\n'
        '    step """sort {{ xs }}{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"""\n'
        "    solve sorted(xs)\n}\n\ncompose c = seq(sort_list, slow)\n", encoding="utf-8")
    comp = racesdsl.load(spec)["c"]
    with pytest.raises(TemplateError, match=r"slow's step.*seed 4"):
        comp.sample(4)


def test_long_and_deeply_nested_templates_check_without_running_jinjas_compiler() -> None:
    """jinja2's code generator is quadratic in nested loops; `check` does not run it
    and redoes its few checks on the tree instead."""
    cases = {
        "{% for a in range(2) %}" * 100 + "{% endfor %}" * 100: ["E0407"],  # nested past MAX_BLOCK_DEPTH
        "{{ " + "*".join(["2"] * 20000) + " }}": ["E0401"],  # nested too deeply, not a crash
        "{{ x }}" * 9000: [],
        "{{ x }}" * 20000: ["E0407"],  # over the template length limit
        "{% for loop in xs %}{% endfor %}": ["E0401"],
        "{% macro m(caller) %}{% endmacro %}": ["E0401"],
        "{% block a %}{% endblock %}{% block a %}{% endblock %}": ["E0401"],
    }
    for template, codes in cases.items():
        start = time.monotonic()
        found = [d.code for d in check_text(_spec(template)).diagnostics if d.is_error]
        assert time.monotonic() - start < 5.0, template[:40]
        assert found == codes, (template[:40], found)


@pytest.mark.parametrize("block", ["for", "if", "with"])
def test_blocks_nest_up_to_the_limit_and_no_further(block: str, tmp_path: Path) -> None:
    """Past about 20 nested blocks the compiled template does not compile at all (a spec
    error only at sample time); `check` stops at MAX_BLOCK_DEPTH, and what it accepts renders."""
    opener = {"for": "{% for a in [1] %}", "if": "{% if x > -1 %}", "with": "{% with a = 1 %}"}[block]

    def nested(depth: int) -> str:
        return opener * depth + "y" + f"{{% end{block} %}}" * depth

    assert [d.code for d in check_text(_spec(nested(MAX_BLOCK_DEPTH + 1))).diagnostics if d.is_error] == ["E0407"]
    spec = tmp_path / "deep.races"
    spec.write_text(_spec(nested(MAX_BLOCK_DEPTH)), encoding="utf-8")
    program = racesdsl.load(spec)
    assert "y" in program[program.roots[0]].sample(0).prompt


def test_an_elif_chain_is_not_nesting() -> None:
    chain = "{% if x == 0 %}a" + "".join(f"{{% elif x == {i} %}}b" for i in range(1, 3 * MAX_BLOCK_DEPTH)) + \
        "{% endif %}"
    assert [d.code for d in check_text(_spec(chain)).diagnostics if d.is_error] == []
