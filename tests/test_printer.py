"""The printer inverts the parser: `parse(print(m)) == m`, and its output is readable.

Round trips run over every `.races` file in the repository, over snippets that
exercise every grammar rule (including the language reference's §4 and §5
examples), and over hypothesis-generated ASTs; golden strings pin the layout.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import MODULE_NAME, MODULE_PATH, exprs, modules

from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import _parser, parse_text
from racesdsl.syntax.printer import print_comp, print_expr, print_module, print_type

ROOT = Path(__file__).resolve().parent.parent

LANGUAGE_SECTION_4 = '''\
type Small = Int[-99..99]

env sort_list "Sort a list of integers in ascending order." {
    param n: Int[2..12] = 6              # difficulty knob with its default
    input xs: List[Small, len=n]
    output List[Small, len=n]
    prompt """Sort this list in ascending order: {{ xs }}"""
    step """sort {{ xs }} in ascending order"""
    solve sorted(xs)
    # verify exact  (the default)
}

env take_first "Keep the first k elements of a list." {
    param k: Int[1..5] = 3
    input xs: List[Small, len=k..12]
    output List[Small, len=k]
    prompt """Write down the first {{ k }} elements of {{ xs }}."""
    solve xs[:k]
}

env total "Sum of a list of integers." {
    input xs: List[Small, len=1..12]
    output Int[-1188..1188]
    prompt """What is the sum of {{ xs }}?"""
    solve sum(xs)
}

env gcd2 "Greatest common divisor of two positive integers." {
    param hi: Int[10..10000] = 100
    input a: Int[1..hi]
    input b: Int[1..hi]
    where a != b                          # sampler constraint (rejection)
    output Int[1..hi]
    prompt """What is gcd({{ a }}, {{ b }})?"""
    solve gcd(a, b)
}

env shortest_path "Length of a shortest path in a weighted graph." {
    param nodes: Int[4..30] = 8
    input g: {n: Int[4..30], edges: List[Tuple[Int[0..29], Int[0..29], Int[1..20]], len=3..200]}
    output Int[0..600]
    sample python "racesdsl_std.graphs:sample_graph"     # custom sampler
    prompt """The graph has {{ g.n }} nodes and weighted edges {{ g.edges }}.
    What is the length of a shortest path from node 0 to node {{ g.n - 1 }}?"""
    solve python "racesdsl_std.graphs:shortest_path"     # Python reference solver
}
'''

LANGUAGE_SECTION_5 = '''\
use std.lists.{sort_list, take_first, total, reverse_list, double_all}
use std.numbers.{gcd2, is_even, num_divisors}   # num_divisors: Int[1..hi] -> Int[1..64]

compose top3_sum "Sum of the three smallest" = seq(sort_list(n=3..12), take_first(k=3), total)
compose two_tasks = par(sort_list, gcd2)
compose shuffled  = sort(sort_list(n=3..12), take_first(k=3), total)
compose planner   = select(sort_list(n=3..12), take_first(k=3), total;
                           distractors: reverse_list, double_all)
compose nested    = par(top3_sum, seq(gcd2, is_even))
compose gcd_pair  = seq(num_divisors, gcd2(hi=100)[a])   # feeds gcd2's input a; b is sampled
'''

SNIPPETS: dict[str, str] = {
    "str-options": 'type S = Str[len=1..5, chars="a-z"]\ntype T = Str[len=3]\n',
    "language-4": LANGUAGE_SECTION_4,
    "language-5": LANGUAGE_SECTION_5,
    "uses": "use a\nuse a.b as c\nuse a.b.{x, y,}\nuse a.{z}\n",
    "let-draw": 'env e {\n    input n: Int[1..5]\n    draw k: Int[1..len(xs) + n] ~ loguniform\n    let s = k * (n + 1)\n}\n',
    "sampling": '''data words: List[Str[len=1..9]] = lines("w.txt")
data rows: List[{a: Int}] = csv("sub/rows.csv")
env e {
    input w: OneOf[m.words]
    input k: Int[0..2] ~ weights(1, 2.5, 0,)
    input b: Bool ~ bernoulli(p / 2)
    input n: Int[1..10 ** 6] ~ loguniform
    input xs: List[Int[1..9], len=9, distinct]
    input ys: List[Str[len=1], distinct]
}
''',
    "types": '''type A = Int
type B = Int[1..]
type C = Int[..n + 1]
type D = Int[..]
type E = Float[0.5..1e-6]
type F = {x: Bool, y: Str, z: Str[chars="a-z"],}
type G = Enum["a", "b\\"q", "",]
type H = List[a.b, len=n]
type I = Set[Tuple[Int, Float], len=1..]
type J = List[List[Int[(a)..b.c]], len=(n * 2)..2 ** k]
type K = Map[Str, Optional[Int[0..3]], len=1..3]
type L = Map[Enum["a"], List[Bool]]
''',
    "clauses": '''env e {}
env f "doc with \\"quotes\\" and \\\\ and \\n" {
    param p: Float[0.0..1.0] = 0.25
    input x: Int[1..p]
    output Bool
    where x in [1, 2] and not x not in ()
    prompt "one line\\t{{ x }}"
    step """  multi
      line {{ x }} with \\ and "quotes" """
    solve python "m.sub:fn"
    sample python "m:sample"
    verify tolerance(1e-6)
    verify python "m:check"
    verify exact
    verify unordered
    verify check answer != none and answer in {a: none}.a
    answer boxed
}
''',
    "expressions": '''env e {
    solve 1_000 + 2.5 * -x ** 2 ** y // (3 % z) / 4 - +w
    where (a or b) and c or not d
    where a < b <= c == d >= e != f > g
    where (a < b) < c
    where (x if y else z) if (p if q else r) else s if t else u
    solve f(x, y, k=1,)[1:2:3] + g()[:][::2][a:][:b].c.d
    solve ((), (1,), (1, 2,), [], [1, 2,], {a: 1, b: (c, d)})
    solve [x * y for x, y in zip(xs, ys) if x if y for (u, v) in w]
    solve [x for x in (a if b else c) if (d if e else f)]
    solve "\\u00e9\\x00" == "" and true != false
    solve fold(xs, 0, lambda acc, x: acc + x) + max(xs, key=lambda v: -v if v else v)
}
''',
    "compositions": '''compose a = e
compose b "doc" = seq(e(), f(n=1, m.k=2..hi,), g[port], reward=final)
compose c = par(seq(a, b), sort(c, d), mode=all,)
compose d = select(a, b, reward=x; distractors: c(n=1), d, extra=y)
compose e = select(a; distractors: k=v)
compose f = select(k=v; distractors: j=w, i=u)
compose g = seq(reward=final)
compose h = x.y.z(p=-1..-(2))[q]
''',
    "generics": '''env take[T = Int[-9..9], U: Ord, V: Num = {a: List[T]},] "doc" {
    input xs: List[T, len=1..3]
}
env plain[T] {}
compose a = seq(take[Str[len=1..8, chars="a-z"]](k=3), take[Int, Words,]()[xs], take[xs](), take[a.b])
''',
}

def _parse(text: str, file: str = MODULE_PATH) -> A.Module:
    module, diags = parse_text(text, file, MODULE_NAME)
    assert module is not None, diags
    return module


def _races_files() -> list[Path]:
    return sorted(p for d in ("tests", "specs") for p in (ROOT / d).rglob("*.races"))


def _round_trip_cases() -> list:
    cases = [pytest.param(text, id=name) for name, text in SNIPPETS.items()]
    cases.append(pytest.param('type S = Str[len=1..5, chars="a-z"]\ntype T = Str[len=n]', id="str-len"))
    for path in _races_files():
        cases.append(pytest.param(path.read_text(encoding="utf-8"), id=str(path.relative_to(ROOT))))
    return cases


@pytest.mark.parametrize("text", _round_trip_cases())
def test_print_of_parsed_source_reparses_to_the_same_ast(text: str) -> None:
    module, _ = parse_text(text, MODULE_PATH, MODULE_NAME)
    if module is None:  # a syntax-error fixture has no AST to print
        return
    printed = print_module(module)
    assert _parse(printed) == module
    assert print_module(_parse(printed)) == printed


def _nodes(value: object) -> Iterator[object]:
    if isinstance(value, tuple):
        for item in value:
            yield from _nodes(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, A.Span):
        yield value
        for f in dataclasses.fields(value):
            yield from _nodes(getattr(value, f.name))


def _variant(node: object) -> str:
    """A node's class plus the flag or operator that changes how it prints."""
    name = type(node).__name__
    detail = {
        A.BinOp: lambda n: n.op, A.UnaryOp: lambda n: n.op, A.BoolOp: lambda n: n.op,
        A.IntType: lambda n: n.bounded, A.FloatType: lambda n: n.bounded,
        A.LenSpec: lambda n: "exact" if n.exact else n.hi is None, A.Template: lambda n: n.triple,
        A.StageRef: lambda n: n.has_parens, A.Comprehension: lambda n: n.parens,
        A.UseDecl: lambda n: "names" if n.names else n.alias is not None,
        A.VerifyClause: lambda n: n.kind, A.OpExpr: lambda n: n.op,
        A.SolveClause: lambda n: type(n.body).__name__,
    }.get(type(node))
    return name if detail is None else f"{name}:{detail(node)}"


def test_snippets_cover_every_ast_node_and_variant() -> None:
    nodes = [n for text in SNIPPETS.values() for n in _nodes(_parse(text))]
    seen = {_variant(n) for n in nodes}
    ops = {o for n in nodes if isinstance(n, A.Compare) for o in n.ops}
    assert ops == {"<", "<=", "==", ">=", "!=", ">", "in", "not in"}
    classes = {c.__name__ for c in vars(A).values()
               if isinstance(c, type) and dataclasses.is_dataclass(c) and c is not A.Span}
    expected = classes - {"BinOp", "UnaryOp", "BoolOp", "IntType", "FloatType", "LenSpec", "Template",
                          "StageRef", "Comprehension", "UseDecl", "VerifyClause", "OpExpr", "SolveClause"}
    expected |= {f"BinOp:{o}" for o in ("+", "-", "*", "/", "//", "%", "**")}
    expected |= {"UnaryOp:+", "UnaryOp:-", "UnaryOp:not", "BoolOp:and", "BoolOp:or"}
    expected |= {f"{c}:{b}" for c in ("IntType", "FloatType", "Template", "StageRef", "Comprehension")
                 for b in (True, False)}
    expected |= {"LenSpec:exact", "LenSpec:True", "LenSpec:False", "UseDecl:names", "UseDecl:True",
                 "UseDecl:False", "SolveClause:PythonRef", "SolveClause:Call"}
    expected |= {f"VerifyClause:{k}" for k in ("exact", "unordered", "tolerance", "python", "check")}
    expected |= {f"OpExpr:{k}" for k in ("seq", "par", "sort", "select")}
    assert expected - seen == set()


def test_snippets_cover_every_grammar_rule() -> None:
    parser = _parser()
    rules = {str(r.alias or r.origin.name) for r in parser.rules
             if (r.alias or not r.options.expand1) and not str(r.origin.name).startswith("_")}
    seen = {str(t.data) for text in SNIPPETS.values() for t in parser.parse(text).iter_subtrees()}
    assert rules - seen == set()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_generated_modules_round_trip_and_print_idempotently(module: A.Module) -> None:
    printed = print_module(module)
    reparsed, diags = parse_text(printed, MODULE_PATH, MODULE_NAME)
    assert diags == []
    assert reparsed == module
    assert print_module(reparsed) == printed


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs(4))
def test_generated_expressions_round_trip(expr: A.Expr) -> None:
    module = _parse(f"env e {{ where {print_expr(expr)} }}")
    assert module.decls[0].clauses[0].expr == expr


def test_str_with_length_round_trips() -> None:
    t = A.StrType(A.LenSpec(A.IntLit(1), A.Name("n"), False), "a-z")
    assert _parse(f"type T = {print_type(t)}").decls[0].type == t


# ------------------------------------------------------------------ golden


@pytest.mark.parametrize(("source", "expected"), [
    ("(-a) ** 2", "(-a) ** 2"),
    ("-a ** 2", "-a ** 2"),
    ("a ** (b ** c)", "a ** b ** c"),
    ("(a ** b) ** c", "(a ** b) ** c"),
    ("a ** -b", "a ** -b"),
    ("((a - b) - c)", "a - b - c"),
    ("a - (b - c)", "a - (b - c)"),
    ("(a + b) * c", "(a + b) * c"),
    ("-(-a)", "- -a"),
    ("a < b < c", "a < b < c"),
    ("(a < b) < c", "(a < b) < c"),
    ("(not a) == b", "(not a) == b"),
    ("not (a and b)", "not (a and b)"),
    ("a or (b and c)", "a or b and c"),
    ("(a or b) and c", "(a or b) and c"),
    ("(a if b else c) if d else e", "(a if b else c) if d else e"),
    ("a if b else (c if d else e)", "a if b else c if d else e"),
    ("[x for (a, b) in (p if q else r) if s]", "[x for (a, b) in (p if q else r) if s]"),
    ("f(x, k=(1,),)[::2].y", "f(x, k=(1,))[::2].y"),
    ("(a.b)[1:]", "a.b[1:]"),
    ("{a: 1, b: ()}", "{a: 1, b: ()}"),
    ('"tab\\tquote\\" é"', '"tab\\tquote\\" é"'),
    ("1_000 + 0.5 + 1e-6", "1000 + 0.5 + 1e-06"),
])
def test_expression_prints_with_minimal_parentheses(source: str, expected: str) -> None:
    expr = _parse(f"env e {{ where {source} }}").decls[0].clauses[0].expr
    assert print_expr(expr) == expected


def test_hand_built_negative_literals_are_parenthesised_like_unary_minus() -> None:
    assert print_expr(A.BinOp("**", A.IntLit(-3), A.IntLit(2))) == "(-3) ** 2"
    assert print_expr(A.BinOp("-", A.Name("a"), A.FloatLit(-0.5))) == "a - -0.5"
    assert print_expr(A.Attribute(A.IntLit(-1), "x")) == "(-1).x"


@pytest.mark.parametrize(("texpr", "expected"), [
    (A.IntType(), "Int"),
    (A.IntType(bounded=True), "Int[..]"),
    (A.IntType(A.IntLit(1), None, True), "Int[1..]"),
    (A.FloatType(None, A.BinOp("+", A.Name("n"), A.IntLit(1)), True), "Float[..n + 1]"),
    (A.IntType(A.Compare(A.Name("a"), ("<",), (A.Name("b"),)), A.Name("c"), True), "Int[(a < b)..c]"),
    (A.StrType(A.LenSpec(A.IntLit(1), A.IntLit(5), False), 'a-z"'), 'Str[len=1..5, chars="a-z\\""]'),
    (A.StrType(None, "ab"), 'Str[chars="ab"]'),
    (A.EnumType(("red", "green")), 'Enum["red", "green"]'),
    (A.ListType(A.NamedType(("lists", "Small")), A.LenSpec(A.Name("n"), A.Name("n"), True)),
     "List[lists.Small, len=n]"),
    (A.SetType(A.BoolType(), A.LenSpec(A.IntLit(2), None, False)), "Set[Bool, len=2..]"),
    (A.TupleType((A.IntType(), A.FloatType())), "Tuple[Int, Float]"),
    (A.RecordType((A.FieldDecl("x", A.IntType()), A.FieldDecl("y", A.StrType()))), "{x: Int, y: Str}"),
])
def test_type_prints_in_the_language_notation(texpr: A.TypeExpr, expected: str) -> None:
    assert print_type(texpr) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("seq(a,b(n=3..12),c[port],reward=final,)", "seq(a, b(n=3..12), c[port], reward=final)"),
    ("select(a, reward=x; distractors: c, d)", "select(a, reward=x; distractors: c, d)"),
    ("select(a; distractors: b, k=v)", "select(a, k=v; distractors: b)"),
    ("select(a; distractors: k=v)", "select(a; distractors: k=v)"),
    ("par( e ( ) , f.g(x.y=1) )", "par(e(), f.g(x.y=1))"),
])
def test_composition_prints_canonically(source: str, expected: str) -> None:
    assert print_comp(_parse(f"compose c = {source}").decls[0].body) == expected


def test_module_layout_is_canonical() -> None:
    source = '''use std.lists.{sort_list,total}
use std.numbers as n
type Small=Int[-99..99]
env  sort_list  "Sort."{param n:Int[2..12]=6 input xs:List[Small,len=n]
output List[Small,len=n] prompt """Sort {{ xs }}.""" solve sorted(xs)}
compose top "Top."=seq(sort_list(n=3..12),total)
env empty{}
'''
    assert print_module(_parse(source)) == '''use std.lists.{sort_list, total}
use std.numbers as n

type Small = Int[-99..99]

env sort_list "Sort." {
    param n: Int[2..12] = 6
    input xs: List[Small, len=n]
    output List[Small, len=n]
    prompt """Sort {{ xs }}."""
    solve sorted(xs)
}

compose top "Top." = seq(sort_list(n=3..12), total)

env empty {}
'''
