"""Parse tree -> AST: the Lark transformer behind `racesdsl.syntax.parser`.

One method per grammar rule (`grammars/races.lark`) builds the matching
`racesdsl.syntax.ast` node with its span. Reserved words used as names are
collected as E0103 diagnostics; literals with no value raise `BadLiteral`,
which the parser reports as E0107."""

from __future__ import annotations

import ast as pyast
import math
import warnings

from lark import Token, Transformer, v_args

from racesdsl.diagnostics import Diagnostic, error
from racesdsl.runtime.limits import MAX_INT_DIGITS
from racesdsl.syntax import ast as A
from racesdsl.syntax.reserved import PARAM_RESERVED, RESERVED

__all__ = ["AstBuilder", "BadLiteral", "decode_string", "span_of"]


def span_of(file: str, meta_or_tok) -> A.Span:
    """The source span of a parse-tree node's meta or of a token (an empty rule: line 1)."""
    m = meta_or_tok
    if isinstance(m, Token):
        return A.Span(file, m.line, m.column, m.end_line, m.end_column, m.start_pos, m.end_pos)
    if getattr(m, "empty", False):
        return A.Span(file, 1, 1, 1, 1)
    return A.Span(file, m.line, m.column, m.end_line, m.end_column, m.start_pos, m.end_pos)


class BadLiteral(ValueError):
    """A string or number literal the lexer accepted but that has no value."""

    def __init__(self, message: str, help: str | None = None, code: str = "E0107") -> None:
        super().__init__(message)
        self.help = help
        self.code = code


_ESCAPES_HELP = 'escapes are Python\'s: \\\\, \\", \\n, \\t, \\xHH, \\uHHHH'


def decode_string(token_text: str) -> str:
    """Decode a `"..."` literal; escapes follow Python's (`\\"`, `\\\\`, `\\n`).
    Unknown or truncated escapes are errors, not silent backslashes."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            value = pyast.literal_eval(token_text)
        except (ValueError, SyntaxError, Warning):
            raise BadLiteral("invalid escape sequence in string literal", _ESCAPES_HELP) from None
    if not isinstance(value, str):
        raise BadLiteral("invalid string literal", _ESCAPES_HELP)
    return value


@v_args(meta=True, inline=True)
class AstBuilder(Transformer):
    """Maps parse-tree rules to AST nodes; collects reserved-name diagnostics."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    def _s(self, meta) -> A.Span:
        return span_of(self.file, meta)

    def _ident(self, tok: Token, what: str) -> str:
        if str(tok) in RESERVED:
            self.diagnostics.append(error(
                "E0103", f"`{tok}` is a reserved word and cannot name {what}",
                span_of(self.file, tok), f"rename it, for example `{tok}_`"))
        return str(tok)

    # -- modules
    def start(self, meta, *decls):
        return list(decls)

    def dotted_name(self, meta, *parts):
        out: tuple[str, ...] = ()
        for p in parts:
            out += p if isinstance(p, tuple) else (str(p),)
        return out

    def import_name(self, meta, tok):
        return A.ImportName(str(tok), span=self._s(meta))

    def use_module(self, meta, name, alias):
        if alias is not None:
            alias = self._ident(alias, "a module alias")
        return A.UseDecl(name, alias, None, span=self._s(meta))

    def use_names(self, meta, name, *names):
        return A.UseDecl(name, None, tuple(names), span=self._s(meta))

    def type_decl(self, meta, name, type_):
        return A.TypeDecl(self._ident(name, "a type"), type_, span=self._s(meta))

    # -- envs
    def doc(self, meta, tok):
        return decode_string(tok)

    def env_decl(self, meta, name, tparams, doc, *clauses):
        return A.EnvDecl(self._ident(name, "an env"), doc, tuple(clauses),
                         span=self._s(meta), name_span=span_of(self.file, name), type_params=tparams or ())

    def type_params(self, meta, *params):
        return tuple(params)

    def type_param(self, meta, name, bound, default):
        return A.TypeParam(self._ident(name, "a type parameter"), None if bound is None else str(bound), default,
                           span=self._s(meta))

    def param_clause(self, meta, name, type_, default):
        if str(name) in PARAM_RESERVED:
            self.diagnostics.append(error(
                "E0103", f"`{name}` cannot name a param: the run-time API takes `{name}` as its own argument",
                span_of(self.file, name), f"rename it, for example `{name}_`"))
        return A.ParamClause(self._ident(name, "a param"), type_, default, span=self._s(meta))

    def input_clause(self, meta, name, type_, dist):
        return A.InputClause(self._ident(name, "an input"), type_, span=self._s(meta), dist=dist)

    def dist_weights(self, meta, *weights):
        return A.Distribution("weights", tuple(weights), span=self._s(meta))

    def dist_bernoulli(self, meta, p):
        return A.Distribution("bernoulli", (p,), span=self._s(meta))

    def dist_loguniform(self, meta):
        return A.Distribution("loguniform", span=self._s(meta))

    def data_decl(self, meta, name, type_, fmt, path):
        return A.DataDecl(self._ident(name, "a data declaration"), type_, str(fmt), decode_string(path),
                          span=self._s(meta), path_span=span_of(self.file, path))

    def draw_clause(self, meta, name, type_, dist):
        return A.DrawClause(self._ident(name, "a draw"), type_, span=self._s(meta), dist=dist)

    def let_clause(self, meta, name, expr):
        return A.LetClause(self._ident(name, "a let"), expr, span=self._s(meta))

    def output_clause(self, meta, type_):
        return A.OutputClause(type_, span=self._s(meta))

    def where_clause(self, meta, expr):
        return A.WhereClause(expr, span=self._s(meta))

    def template(self, meta, tok):
        if tok.type == "TEMPLATE":
            return A.Template(str(tok)[3:-3], True, span=self._s(meta))
        return A.Template(decode_string(tok), False, span=self._s(meta))

    def prompt_clause(self, meta, tpl):
        return A.PromptClause(tpl, span=self._s(meta))

    def step_clause(self, meta, tpl):
        return A.StepClause(tpl, span=self._s(meta))

    def _ref(self, tok) -> A.PythonRef:
        return A.PythonRef(decode_string(tok), span=span_of(self.file, tok))

    def solve_expr(self, meta, expr):
        return A.SolveClause(expr, span=self._s(meta))

    def solve_python(self, meta, tok):
        return A.SolveClause(self._ref(tok), span=self._s(meta))

    def sample_clause(self, meta, tok):
        return A.SampleClause(self._ref(tok), span=self._s(meta))

    def verify_exact(self, meta):
        return A.VerifyClause("exact", None, span=self._s(meta))

    def verify_unordered(self, meta):
        return A.VerifyClause("unordered", None, span=self._s(meta))

    def verify_tolerance(self, meta, expr):
        return A.VerifyClause("tolerance", expr, span=self._s(meta))

    def verify_python(self, meta, tok):
        return A.VerifyClause("python", self._ref(tok), span=self._s(meta))

    def verify_check(self, meta, expr):
        return A.VerifyClause("check", expr, span=self._s(meta))

    def answer_clause(self, meta, tok):
        return A.AnswerClause(str(tok), span=self._s(meta))

    # -- types
    def bounds(self, meta, lo, hi):
        return (lo, hi)

    def int_type(self, meta, bounds=None):
        lo, hi = bounds if bounds is not None else (None, None)
        return A.IntType(lo, hi, bounds is not None, span=self._s(meta))

    def float_type(self, meta, bounds=None):
        lo, hi = bounds if bounds is not None else (None, None)
        return A.FloatType(lo, hi, bounds is not None, span=self._s(meta))

    def bool_type(self, meta):
        return A.BoolType(span=self._s(meta))

    def str_type(self, meta, *options):
        length, chars = None, None
        for opt in options:
            if opt is None:
                continue
            if isinstance(opt, A.LenSpec):
                length = opt
            else:
                chars = opt
        return A.StrType(length, chars, span=self._s(meta))

    def str_option(self, meta, opt):
        return opt

    def chars_option(self, meta, tok):
        return decode_string(tok)

    def len_range(self, meta, lo, hi):
        return A.LenSpec(lo, hi, False, span=self._s(meta))

    def len_from(self, meta, lo):
        return A.LenSpec(lo, None, False, span=self._s(meta))

    def len_exact(self, meta, value):
        return A.LenSpec(value, value, True, span=self._s(meta))

    def enum_type(self, meta, *toks):
        return A.EnumType(tuple(decode_string(t) for t in toks), span=self._s(meta))

    def list_type(self, meta, elem, *rest):
        length = next((r for r in rest if isinstance(r, A.LenSpec)), None)
        return A.ListType(elem, length, span=self._s(meta), distinct=any(r is True for r in rest))

    def distinct(self, meta):
        return True

    def one_of_type(self, meta, name):
        return A.OneOfType(name, span=self._s(meta))

    def set_type(self, meta, elem, length=None):
        return A.SetType(elem, length, span=self._s(meta))

    def tuple_type(self, meta, *items):
        return A.TupleType(tuple(items), span=self._s(meta))

    def map_type(self, meta, key, value, length=None):
        return A.MapType(key, value, length, span=self._s(meta))

    def optional_type(self, meta, inner):
        return A.OptionalType(inner, span=self._s(meta))

    def field_decl(self, meta, name, type_):
        return A.FieldDecl(self._ident(name, "a field"), type_, span=self._s(meta))

    def record_type(self, meta, *fields):
        return A.RecordType(tuple(fields), span=self._s(meta))

    def named_type(self, meta, name):
        return A.NamedType(name, span=self._s(meta))

    # -- compositions
    def compose_decl(self, meta, name, doc, body):
        return A.ComposeDecl(self._ident(name, "a composite"), doc, body,
                             span=self._s(meta), name_span=span_of(self.file, name))

    def comp_args(self, meta, *args):
        return list(args)

    def option(self, meta, name, value):
        return A.Option(str(name), str(value), span=self._s(meta))

    def _op(self, op: str, meta, args, distractors=()) -> A.OpExpr:
        stages = tuple(a for a in args if not isinstance(a, A.Option))
        options = tuple(a for a in args if isinstance(a, A.Option))
        return A.OpExpr(op, stages, options, tuple(distractors), span=self._s(meta))

    def seq_op(self, meta, args):
        return self._op("seq", meta, args)

    def par_op(self, meta, args):
        return self._op("par", meta, args)

    def sort_op(self, meta, args):
        return self._op("sort", meta, args)

    def select_op(self, meta, args, distractors):
        # Options among the distractors are kept so the checker can reject them.
        bad = [a for a in distractors if isinstance(a, A.Option)]
        return self._op("select", meta, list(args) + bad,
                        [d for d in distractors if not isinstance(d, A.Option)])

    def param_args(self, meta, *args):
        return tuple(a for a in args if a is not None)

    def param_arg(self, meta, name, lo, hi):
        return A.ParamArg(name, lo, hi, span=self._s(meta))

    def port(self, meta, tok):
        return str(tok)

    def type_args(self, meta, *types):
        return tuple(types)

    def stage_ref(self, meta, name, targs, args, port):
        lone = targs is not None and len(targs) == 1 and isinstance(targs[0], A.NamedType)
        if lone and args is None and len(targs[0].name) == 1:  # `e[xs]`: a port, as in v0.1
            return A.StageRef(name, (), targs[0].name[0], False, span=self._s(meta))
        return A.StageRef(name, args or (), port, args is not None, span=self._s(meta), type_args=targs or ())

    # -- expressions
    def name(self, meta, tok):
        return A.Name(str(tok), span=self._s(meta))

    def int_lit(self, meta, tok):
        digits = str(tok).replace("_", "")
        if len(digits) > MAX_INT_DIGITS:  # int() itself refuses 4300 digits; nothing reads such numbers
            raise BadLiteral(f"integer literal of {len(digits)} digits is too large",
                             f"integer literals have at most {MAX_INT_DIGITS} digits", "E0109")
        return A.IntLit(int(digits), span=self._s(meta))

    def float_lit(self, meta, tok):
        value = float(str(tok).replace("_", ""))
        if not math.isfinite(value):
            raise BadLiteral(f"float literal `{tok}` is too large", "floats must be finite")
        return A.FloatLit(value, span=self._s(meta))

    def str_lit(self, meta, tok):
        return A.StrLit(decode_string(tok), span=self._s(meta))

    def true_lit(self, meta):
        return A.BoolLit(True, span=self._s(meta))

    def false_lit(self, meta):
        return A.BoolLit(False, span=self._s(meta))

    def none_lit(self, meta):
        return A.NoneLit(span=self._s(meta))

    def binop(self, meta, left, op, right):
        return A.BinOp(str(op), left, right, span=self._s(meta))

    def unary(self, meta, op, operand):
        return A.UnaryOp(str(op), operand, span=self._s(meta))

    def not_op(self, meta, operand):
        return A.UnaryOp("not", operand, span=self._s(meta))

    def and_op(self, meta, left, right):
        return A.BoolOp("and", left, right, span=self._s(meta))

    def or_op(self, meta, left, right):
        return A.BoolOp("or", left, right, span=self._s(meta))

    def comp_op(self, meta, *toks):
        return " ".join(str(t) for t in toks)

    def compare(self, meta, left, *rest):
        ops = tuple(rest[0::2])
        return A.Compare(left, ops, tuple(rest[1::2]), span=self._s(meta))

    def if_exp(self, meta, body, test, orelse):
        return A.IfExp(body, test, orelse, span=self._s(meta))

    def attribute(self, meta, value, tok):
        return A.Attribute(value, str(tok), span=self._s(meta))

    def subscript(self, meta, value, index):
        return A.Subscript(value, index, span=self._s(meta))

    def slice(self, meta, lower, upper, step):
        return A.Slice(lower, upper, step, span=self._s(meta))

    def keyword_arg(self, meta, tok, value):
        return A.Keyword(str(tok), value, span=self._s(meta))

    def call_arg(self, meta, value):
        return value

    def lambda_expr(self, meta, head, *rest):
        if str(head) != "lambda":
            raise BadLiteral(f"unexpected name `{rest[0]}` after `{head}`",
                             "a function argument is written `lambda x: ...`", "E0101")
        *params, body = rest
        return A.Lambda(tuple(self._ident(p, "a lambda parameter") for p in params), body, span=self._s(meta))

    def call(self, meta, func, *args):
        args = [a for a in args if a is not None]
        pos = tuple(a for a in args if not isinstance(a, A.Keyword))
        kws = tuple(a for a in args if isinstance(a, A.Keyword))
        return A.Call(str(func), pos, kws, span=self._s(meta))

    def tuple_lit(self, meta, *items):
        return A.TupleLit(tuple(i for i in items if i is not None), span=self._s(meta))

    def list_lit(self, meta, *items):
        return A.ListLit(tuple(i for i in items if i is not None), span=self._s(meta))

    def record_item(self, meta, tok, value):
        return A.RecordItem(self._ident(tok, "a field"), value, span=self._s(meta))

    def record_lit(self, meta, *items):
        return A.RecordLit(tuple(items), span=self._s(meta))

    def comp_target(self, meta, *toks):
        return tuple(str(t) for t in toks)

    def comp_if(self, meta, expr):
        return expr

    def comp_target_parens(self, meta, *toks):
        return ("(",) + tuple(str(t) for t in toks)

    def comp_for(self, meta, targets, iterable, *ifs):
        parens = targets[0] == "("
        return A.Comprehension(targets[parens:], iterable, tuple(ifs), parens, span=self._s(meta))

    def list_comp(self, meta, elt, *gens):
        return A.ListComp(elt, tuple(gens), span=self._s(meta))
